/**
 * SetPushSetupAlarm (docs/gxf.md#push-setups): on the alarm push setup (class 40, 0-1:25.9.0.255), as GXF's
 * SetPushSetupAlarmCommandExecutor does:
 * 1. when Host and Port are both given, SET attribute 3 send_destination_and_method = {TCP, "host:port", message type
 *    (0 on SMR 5.x, 128 elsewhere)}; a refusal ends the request;
 * 2. when a PushObjectList is given, GET every listed attribute first (it must exist; a DataIndex other than 0 is not
 *    supported), then SET attribute 2 push_object_list.
 * Attributes 4..7 are left as they are.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { PUSH_SETUP_ALARM, TransportService, pushObjectListData, sendDestinationAndMethodData } from '../../cosem/index.ts';
import { Obis } from '../../dlms/obis.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { childElements } from '../../api/soap/xml.ts';
import { int, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childText } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { define } from '../define.ts';
import { hasConfigurationObjects, pushMessageType, requireProtocol, setOrFail } from './configuration-objects.ts';

const pushObject = z.object({
  classId: z.number().int().min(0).max(65535),
  obisCode: z.string().regex(/^\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'A-B:C.D.E.F').refine((s) => s.split(/[-:.]/).every((n) => Number(n) <= 255), 'each group 0..255'),
  attributeIndex: z.number().int().min(0).max(127),
  dataIndex: z.number().int().min(0).max(65535).optional(),
});
const payload = z.object({
  host: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  port: z.number().int().min(0).max(65535).optional(),
  pushObjectList: z.array(pushObject).max(64).optional(),
});
export type SetPushSetupAlarmPayload = z.infer<typeof payload>;

function readPushObject(e: Parameters<typeof text>[0]): z.infer<typeof pushObject> {
  const ln = sub(e, 'LogicalName');
  const obisCode = `${text(ln, 'a')}-${text(ln, 'b')}:${text(ln, 'c')}.${text(ln, 'd')}.${text(ln, 'e')}.${text(ln, 'f')}`;
  const dataIndex = int(childText(e, 'DataIndex'));
  return { classId: Number(text(e, 'ClassId')), obisCode, attributeIndex: Number(text(e, 'AttributeIndex')), ...(dataIndex === undefined ? {} : { dataIndex }) };
}

export default define({
  messageType: 'SET_PUSH_SETUP_ALARM',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetPushSetupAlarmRequest',
  payload,
  soap: {
    request: 'SetPushSetupAlarmRequest',
    asyncResponse: 'SetPushSetupAlarmAsyncResponse',
    asyncRequest: 'SetPushSetupAlarmAsyncRequest',
    response: 'SetPushSetupAlarmResponse',
    wsdlOperations: ['SetPushSetupAlarm', 'GetSetPushSetupAlarmResponse'],
    family: 'lenient',
    read: (r) => {
      const setup = sub(sub(r, 'SetPushSetupAlarmRequestData'), 'PushSetupAlarm');
      const host = childText(setup, 'Host');
      const port = int(childText(setup, 'Port'));
      const list = childElements(setup).filter((c) => c.name === 'PushObjectList').map(readPushObject);
      const parsed = payload.safeParse({ ...(host ? { host } : {}), ...(port === undefined ? {} : { port }), ...(list.length ? { pushObjectList: list } : {}) });
      if (!parsed.success) throw validation(`PushSetupAlarm: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/push-setup/alarm',
    operationId: 'setPushSetupAlarm',
    summary: 'Set where the meter pushes alarms (TCP host and port) and what it pushes (SetPushSetupAlarm)',
    tag: 'devices',
    params: gatewayParams,
    body: payload.extend({ pushObjectList: z.array(pushObject.describe('classId, obisCode "A-B:C.D.E.F", attributeIndex, dataIndex (0)')).max(64).optional(), ...requestOptions }).strict(),
    toRequest: (params, body) => {
      const { host, port, pushObjectList } = body as SetPushSetupAlarmPayload;
      return { deviceIdentification: pathDevice(params), payload: { ...(host === undefined ? {} : { host }), ...(port === undefined ? {} : { port }), ...(pushObjectList ? { pushObjectList } : {}) } };
    },
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetPushSetupAlarm', device.protocol, hasConfigurationObjects);
    const list = p.pushObjectList?.map((o) => ({ classId: o.classId, obis: Obis.parse(o.obisCode), attributeIndex: o.attributeIndex, dataIndex: o.dataIndex ?? 0 }));
    if (list?.some((o) => o.dataIndex !== 0)) {
      throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'A push object with a DataIndex other than 0 is not supported', { component: 'PROTOCOL_DLMS', retryable: false });
    }
    await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      if (p.host !== undefined && p.port !== undefined) {
        const destination = sendDestinationAndMethodData({ transportService: TransportService.TCP, destination: `${p.host}:${p.port}`, message: pushMessageType(device.protocol) });
        await setOrFail(link, PUSH_SETUP_ALARM, 3, destination, 'AccessResultCode for set send destination and method of the alarm push setup');
      }
      if (list) {
        const found = await link.getAttributes(list.map((o) => ({ classId: o.classId, obis: o.obis, attributeId: o.attributeIndex })));
        list.forEach((o, i) => {
          const r = found[i];
          if (r?.kind !== 'data') {
            throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `Push object ${o.classId} ${o.obis.toString()} attribute ${o.attributeIndex} cannot be read: ${r ? dataAccessResultName(r.result) : 'no result'}`, { component: 'PROTOCOL_DLMS', retryable: false });
          }
        });
        await setOrFail(link, PUSH_SETUP_ALARM, 2, pushObjectListData(list), 'AccessResultCode for set push object list of the alarm push setup');
      }
    });
    return undefined;
  },
});
