/**
 * SetThdConfiguration (docs/gxf.md#setthdconfiguration): the current THD over-limit detection settings of an SMR 5.2
 * or 5.5 meter, five class 3 registers (src/cosem/configuration.ts THD_CONFIGURATION) written in one
 * set-request-with-list where the meter allows it, as GXF's SetThdConfigurationCommandExecutor does
 * (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms). Every attribute must be written: a meter that refuses
 * any of them ends the request NOT OK, naming each refused setting. Other protocols: 416, as GXF.
 * GXF's Configuration WSDL declares the messages but no operation; its endpoint and its bundle serve the request.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { THD_CONFIGURATION, thdValue } from '../../cosem/index.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { attribute, requireProtocol } from './configuration-objects.ts';

const UINT16 = 0xffff;
const UINT32 = 0xffffffff;

const payload = z.object({
  minDurationNormalToOver: z.number().int().min(0).max(UINT32).describe('seconds above the threshold before an over-limit is raised'),
  minDurationOverToNormal: z.number().int().min(0).max(UINT32).describe('seconds below the threshold before the over-limit ends'),
  timeThreshold: z.number().int().min(0).max(UINT32).describe('seconds of over-limit after which it counts as long'),
  valueHysteresis: z.number().int().min(0).max(UINT16).describe('percent'),
  valueThreshold: z.number().int().min(0).max(UINT16).describe('percent'),
});
type Payload = z.infer<typeof payload>;

/** SMR 5.2 and later have the THD objects (GXF: SMR 5.2 and 5.5). */
export function hasThdConfiguration(protocol: string): boolean {
  const m = /^SMR 5\.(\d+)/.exec(protocol);
  return m !== null && Number(m[1]) >= 2;
}

const FIELDS = ['MinDurationNormalToOver', 'MinDurationOverToNormal', 'TimeThreshold', 'ValueHysteresis', 'ValueThreshold'] as const;
const fieldOf = (name: (typeof FIELDS)[number]) => (name[0]!.toLowerCase() + name.slice(1)) as keyof Payload;

export default define({
  messageType: 'SET_THD_CONFIGURATION',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetThdConfigurationRequest',
  payload,
  soap: {
    request: 'SetThdConfigurationRequest',
    asyncResponse: 'SetThdConfigurationAsyncResponse',
    asyncRequest: 'SetThdConfigurationAsyncRequest',
    response: 'SetThdConfigurationResponse',
    // No wsdlOperations: GXF's SmartMeteringConfiguration.wsdl has the messages but no operation; its endpoint and
    // its bundle serve the request.
    family: 'lenient',
    read: (r) => {
      const d = sub(r, 'SetThdConfigurationRequestData');
      const raw = Object.fromEntries(FIELDS.map((f) => [fieldOf(f), Number(text(d, f))]));
      const parsed = payload.safeParse(raw);
      if (!parsed.success) throw validation(`SetThdConfigurationRequestData: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/thd-configuration',
    operationId: 'setThdConfiguration',
    summary: 'Set the current THD over-limit thresholds, hysteresis and durations of an SMR 5.2+ meter (SetThdConfiguration)',
    tag: 'devices',
    params: gatewayParams,
    body: payload.extend(requestOptions).strict(),
    toRequest: (params, body) => {
      const b = body as Payload;
      const p: Payload = { minDurationNormalToOver: b.minDurationNormalToOver, minDurationOverToNormal: b.minDurationOverToNormal, timeThreshold: b.timeThreshold, valueHysteresis: b.valueHysteresis, valueThreshold: b.valueThreshold };
      return { deviceIdentification: pathDevice(params), payload: p };
    },
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetThdConfiguration', device.protocol, hasThdConfiguration);
    const writes = THD_CONFIGURATION.map((s) => ({ ref: attribute(s.object, 2), value: thdValue(s, p[s.field]) }));
    const results = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.setAttributes(writes));
    const refused = THD_CONFIGURATION.flatMap((s, i) => (results[i] === 0 ? [] : [`${s.field} (${s.object.obis.toString()}): ${results[i] === undefined ? 'no result' : dataAccessResultName(results[i]!)}`]));
    if (refused.length > 0) {
      throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `The THD configuration was not set: ${refused.join('; ')}`, {
        component: 'PROTOCOL_DLMS',
        retryable: false,
        details: { result: results.find((r) => r !== 0) },
      });
    }
    return undefined;
  },
});
