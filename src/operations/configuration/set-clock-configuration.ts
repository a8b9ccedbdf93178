/**
 * SetClockConfiguration (docs/gxf.md#setclockconfiguration): writes the clock (class 8, 0-0:1.0.0.255) as GXF's
 * SetClockConfigurationCommandExecutor does, one SET per attribute in this order: 3 time_zone = long (minutes, the
 * DLMS deviation sign: -60 for UTC+1), 5 daylight_savings_begin and 6 daylight_savings_end = octet-string(12)
 * COSEM date-time, 8 daylight_savings_enabled = boolean. All four are sent; when any is refused the request ends
 * NOT OK naming the results. The clock's time is not touched.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ClockClass, WellKnownObis, attributeOf, cosemObject } from '../../cosem/index.ts';
import { Data, type DlmsData } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { bool, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childText } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { define } from '../define.ts';
import { attribute } from './configuration-objects.ts';

const CLOCK = cosemObject(ClockClass, WellKnownObis.CLOCK);
const cosemDateTime = z.string().regex(/^[0-9A-Fa-f]{24}$/, '12 bytes of hex (COSEM date-time)').transform((s) => s.toUpperCase());
const payload = z.object({
  timeZoneOffset: z.number().int().min(-720).max(720),
  daylightSavingsBegin: cosemDateTime,
  daylightSavingsEnd: cosemDateTime,
  daylightSavingsEnabled: z.boolean(),
});
type Payload = z.infer<typeof payload>;

export default define({
  messageType: 'SET_CLOCK_CONFIGURATION',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetClockConfigurationRequest',
  payload,
  soap: {
    request: 'SetClockConfigurationRequest',
    asyncResponse: 'SetClockConfigurationAsyncResponse',
    asyncRequest: 'SetClockConfigurationAsyncRequest',
    response: 'SetClockConfigurationResponse',
    wsdlOperations: ['SetClockConfiguration', 'GetSetClockConfigurationResponse'],
    family: 'lenient',
    read: (r) => {
      const d = sub(r, 'SetClockConfigurationData');
      const parsed = payload.safeParse({
        timeZoneOffset: Number(text(d, 'TimeZoneOffset')),
        daylightSavingsBegin: text(d, 'DaylightSavingsBegin'),
        daylightSavingsEnd: text(d, 'DaylightSavingsEnd'),
        // the schema's default is true
        daylightSavingsEnabled: bool(childText(d, 'DaylightSavingsEnabled') || undefined) ?? true,
      });
      if (!parsed.success) throw validation(`SetClockConfigurationData: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/clock/configuration',
    operationId: 'setClockConfiguration',
    summary: "Set the clock's time zone offset and daylight saving begin, end and enabled (SetClockConfiguration)",
    tag: 'adhoc',
    params: gatewayParams,
    body: payload.extend({
      timeZoneOffset: payload.shape.timeZoneOffset.describe('minutes, DLMS sign: -60 for UTC+1'),
      daylightSavingsBegin: cosemDateTime.describe('COSEM date-time, 24 hex digits, e.g. FFFF03FE0702000000FFC400'),
      ...requestOptions,
    }).strict(),
    toRequest: (params, body) => {
      const { timeZoneOffset, daylightSavingsBegin, daylightSavingsEnd, daylightSavingsEnabled } = body as Payload;
      return { deviceIdentification: pathDevice(params), payload: { timeZoneOffset, daylightSavingsBegin, daylightSavingsEnd, daylightSavingsEnabled } };
    },
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const writes: [string, DlmsData][] = [
      ['time_zone', Data.long(p.timeZoneOffset)],
      ['daylight_savings_begin', Data.octetString(Buffer.from(p.daylightSavingsBegin, 'hex'))],
      ['daylight_savings_end', Data.octetString(Buffer.from(p.daylightSavingsEnd, 'hex'))],
      ['daylight_savings_enabled', Data.boolean(p.daylightSavingsEnabled)],
    ];
    const results = await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      const out: number[] = [];
      for (const [name, value] of writes) out.push(await link.setAttribute(attribute(CLOCK, attributeOf(ClockClass, name).id), value));
      return out;
    });
    if (results.some((r) => r !== 0)) {
      throw new MeterfabricError(
        ErrorCode.DATA_ACCESS_RESULT,
        `Clock configuration was not set successfully for device ${device.deviceIdentification}. ResultCode: [${results.map(dataAccessResultName).join(', ')}]`,
        { component: 'PROTOCOL_DLMS', retryable: false, details: { results } },
      );
    }
    return undefined;
  },
});
