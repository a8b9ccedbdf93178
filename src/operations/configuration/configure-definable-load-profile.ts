/**
 * ConfigureDefinableLoadProfile (docs/gxf.md#configuredefinableloadprofile): configures the definable load profile
 * (class 7 profile generic, 0-1:94.31.6.255, the same object on DSMR 4.2.2, SMR 4.3 and SMR 5.x, no protocol check)
 * as GXF's ConfigureDefinableLoadProfileCommandExecutor does (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms …/commands/misc/). When CaptureObjects is given, one SET of attribute 3 capture_objects
 * = array of structure{long-unsigned class_id, octet-string(6) logical_name, integer attribute_index, long-unsigned
 * data_index} whose first entry is always the clock's time {8, 0-0:1.0.0.255, 2, 0} (a requested entry equal to it
 * is dropped), then the requested objects in request order. Then, when CapturePeriod is given, one SET of attribute
 * 4 capture_period = double-long-unsigned seconds. A refused write ends NOT OK naming the attribute and the result;
 * a refused capture_objects write stops before the capture_period. Which objects a meter can capture is the meter's
 * business: the request is not checked against a list.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ClockClass, ProfileGenericClass, WellKnownObis, attributeOf, cosemObject } from '../../cosem/index.ts';
import { PqProfileObis } from '../../cosem/power-quality.ts';
import { Data, type DlmsData } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { captureObject, captureObjectsToData, sameCaptureObject, type CaptureObjectDefinition } from '../../dlms/selective-access.ts';
import { int, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { child, childElements, childText } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { define } from '../define.ts';
import { attribute } from './configuration-objects.ts';

const DEFINABLE_LOAD_PROFILE = cosemObject(ProfileGenericClass, PqProfileObis.DEFINABLE_LOAD_PROFILE);
const CLOCK_TIME = captureObject(ClockClass.classId, WellKnownObis.CLOCK, 2);

const captureObjectSchema = z.object({
  classId: z.number().int().min(0).max(65535),
  obisCode: z.string().regex(/^\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'A-B:C.D.E.F').refine((s) => s.split(/[-:.]/).every((n) => Number(n) <= 255), 'each group 0..255'),
  attributeIndex: z.number().int().min(0).max(127),
  dataIndex: z.number().int().min(0).max(65535).optional(),
}).strict();
const payload = z.object({
  captureObjects: z.array(captureObjectSchema).max(64).optional(),
  capturePeriod: z.number().int().min(0).max(4294967295).optional(),
}).strict();
type Payload = z.infer<typeof payload>;
export type DefinableCaptureObject = z.infer<typeof captureObjectSchema>;

/** The capture_objects value GXF writes: the clock's time first, then the requested objects (clock entries dropped). */
export function definableLoadProfileCaptureObjects(requested: readonly DefinableCaptureObject[]): DlmsData {
  const list: CaptureObjectDefinition[] = requested
    .map((o) => captureObject(o.classId, o.obisCode, o.attributeIndex, o.dataIndex ?? 0))
    .filter((o) => !sameCaptureObject(o, CLOCK_TIME));
  return captureObjectsToData([CLOCK_TIME, ...list]);
}

function readCaptureObject(e: Parameters<typeof text>[0]): DefinableCaptureObject {
  const ln = sub(e, 'LogicalName');
  const dataIndex = int(childText(e, 'DataIndex'));
  return {
    classId: Number(text(e, 'ClassId')),
    obisCode: `${text(ln, 'a')}-${text(ln, 'b')}:${text(ln, 'c')}.${text(ln, 'd')}.${text(ln, 'e')}.${text(ln, 'f')}`,
    attributeIndex: Number(text(e, 'AttributeIndex')),
    ...(dataIndex === undefined ? {} : { dataIndex }),
  };
}

export default define({
  messageType: 'CONFIGURE_DEFINABLE_LOAD_PROFILE',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'ConfigureDefinableLoadProfileRequest',
  payload,
  soap: {
    request: 'ConfigureDefinableLoadProfileRequest',
    asyncResponse: 'ConfigureDefinableLoadProfileAsyncResponse',
    asyncRequest: 'ConfigureDefinableLoadProfileAsyncRequest',
    response: 'ConfigureDefinableLoadProfileResponse',
    wsdlOperations: ['ConfigureDefinableLoadProfile', 'GetConfigureDefinableLoadProfileResponse'],
    family: 'lenient',
    read: (r) => {
      const d = sub(r, 'DefinableLoadProfileConfigurationData');
      const objects = child(d, 'CaptureObjects');
      const period = childText(d, 'CapturePeriod');
      const parsed = payload.safeParse({
        ...(objects ? { captureObjects: childElements(objects).filter((e) => e.name === 'CaptureObject').map(readCaptureObject) } : {}),
        ...(period === undefined ? {} : { capturePeriod: Number(period.trim()) }),
      });
      if (!parsed.success) throw validation(`DefinableLoadProfileConfigurationData: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/definable-load-profile',
    operationId: 'configureDefinableLoadProfile',
    summary: "Set the definable load profile's capture objects (after the clock column) and capture period (ConfigureDefinableLoadProfile)",
    tag: 'devices',
    params: gatewayParams,
    body: payload.extend({
      captureObjects: z.array(captureObjectSchema.describe('classId, obisCode "A-B:C.D.E.F", attributeIndex, dataIndex (0)')).max(64).optional(),
      capturePeriod: payload.shape.capturePeriod.describe('seconds'),
      ...requestOptions,
    }).strict(),
    toRequest: (params, body) => {
      const { captureObjects, capturePeriod } = body as Payload;
      return { deviceIdentification: pathDevice(params), payload: { ...(captureObjects ? { captureObjects } : {}), ...(capturePeriod === undefined ? {} : { capturePeriod }) } };
    },
  },
  async execute(ports, p: Payload, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const writes: [string, number, DlmsData][] = [];
    if (p.captureObjects) writes.push(['capture objects', attributeOf(ProfileGenericClass, 'capture_objects').id, definableLoadProfileCaptureObjects(p.captureObjects)]);
    if (p.capturePeriod !== undefined) writes.push(['capture period', attributeOf(ProfileGenericClass, 'capture_period').id, Data.doubleLongUnsigned(p.capturePeriod)]);
    if (writes.length === 0) return undefined;
    await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      for (const [name, id, value] of writes) {
        const result = await link.setAttribute(attribute(DEFINABLE_LOAD_PROFILE, id), value);
        if (result !== 0) {
          throw new MeterfabricError(
            ErrorCode.DATA_ACCESS_RESULT,
            `Attribute '${name}' of the definable load profile was not set successfully for device ${device.deviceIdentification}. ResultCode: ${dataAccessResultName(result)}`,
            { component: 'PROTOCOL_DLMS', retryable: false, details: { result } },
          );
        }
      }
    });
    return undefined;
  },
});
