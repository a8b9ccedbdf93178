/**
 * GetAssociationLnObjects: the object_list (class 15 attribute 2) of the current association 0-0:40.0.0.255, mapped
 * one to one to GXF's AssociationLnList (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms
 * GetAssociationLnObjectsCommandExecutor; IEC 62056-6-2 clause 4.4.4 for the access modes).
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { withLink } from '../../adapters/mbus-keys.ts';
import type { ObjectListElement } from '../../adapters/ports.ts';
import { el, IncompleteResultError, record, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

/** attribute_access_mode 0..6, as GXF's AttributeAccessModeType names them. */
export const ATTRIBUTE_ACCESS_MODES = [
  'NO_ACCESS', 'READ_ONLY', 'WRITE_ONLY', 'READ_AND_WRITE', 'AUTHENTICATED_READ_ONLY', 'AUTHENTICATED_WRITE_ONLY', 'AUTHENTICATED_READ_AND_WRITE',
] as const;
/** method_access_mode 0..2, as GXF's MethodAccessModeType names them. */
export const METHOD_ACCESS_MODES = ['NO_ACCESS', 'ACCESS', 'AUTHENTICATED_ACCESS'] as const;

export interface AssociationLnListElement {
  classId: number;
  version: number;
  /** The 6 bytes of the logical name, hex (upper case, as xsd:hexBinary prints). */
  logicalName: string;
  accessRights: {
    attributeAccess: { attributeId: number; accessMode: (typeof ATTRIBUTE_ACCESS_MODES)[number]; accessSelectors: number[] }[];
    methodAccess: { methodId: number; accessMode: (typeof METHOD_ACCESS_MODES)[number] }[];
  };
}
export interface AssociationLnObjectsResult {
  associationLnList: AssociationLnListElement[];
}

function modeName<T extends readonly string[]>(names: T, mode: number, what: string): T[number] {
  const name = names[mode];
  if (name === undefined) throw new MeterfabricError(ErrorCode.DECODE_ERROR, `${what} access mode ${mode} is not defined`, { component: 'PROTOCOL_DLMS', retryable: false });
  return name;
}

/** The object list as the meter sends it, in GXF's terms. */
export function associationLnList(list: ObjectListElement[]): AssociationLnListElement[] {
  return list.map((o) => ({
    classId: o.classId,
    version: o.version,
    logicalName: o.logicalName.toString('hex').toUpperCase(),
    accessRights: {
      attributeAccess: o.attributeAccess.map((a) => ({ attributeId: a.attributeId, accessMode: modeName(ATTRIBUTE_ACCESS_MODES, a.accessMode, 'attribute'), accessSelectors: [...a.accessSelectors] })),
      methodAccess: o.methodAccess.map((m) => ({ methodId: m.methodId, accessMode: modeName(METHOD_ACCESS_MODES, m.accessMode, 'method') })),
    },
  }));
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

function renderElement(v: unknown, p: string): string {
  const o = record(v, 'associationLnList[]');
  const rights = record(o.accessRights, 'accessRights');
  if (!isInt(o.classId) || !isInt(o.version) || typeof o.logicalName !== 'string' || !/^[0-9A-Fa-f]{12}$/.test(o.logicalName) ||
      !Array.isArray(rights.attributeAccess) || !Array.isArray(rights.methodAccess)) {
    throw new IncompleteResultError('associationLnList[]');
  }
  const attributes = rights.attributeAccess.map((x) => {
    const a = record(x, 'attributeAccess[]');
    if (!isInt(a.attributeId) || !ATTRIBUTE_ACCESS_MODES.includes(a.accessMode as never) || !Array.isArray(a.accessSelectors) || !a.accessSelectors.every(isInt)) {
      throw new IncompleteResultError('attributeAccess[]');
    }
    return (
      `<${p}:AttributeAccessItem>${el(`${p}:AttributeId`, a.attributeId)}${el(`${p}:AccessMode`, a.accessMode as string)}` +
      `<${p}:AccessSelectors>${(a.accessSelectors as number[]).map((s) => el(`${p}:AccessSelector`, s)).join('')}</${p}:AccessSelectors></${p}:AttributeAccessItem>`
    );
  });
  const methods = rights.methodAccess.map((x) => {
    const m = record(x, 'methodAccess[]');
    if (!isInt(m.methodId) || !METHOD_ACCESS_MODES.includes(m.accessMode as never)) throw new IncompleteResultError('methodAccess[]');
    return `<${p}:MethodAccessItem>${el(`${p}:MethodId`, m.methodId)}${el(`${p}:AccessMode`, m.accessMode as string)}</${p}:MethodAccessItem>`;
  });
  return (
    `<${p}:AssociationLnListElement>${el(`${p}:ClassId`, o.classId)}${el(`${p}:Version`, o.version)}${el(`${p}:LogicalName`, o.logicalName.toUpperCase())}` +
    `<${p}:AccessRights><${p}:AttributeAccess>${attributes.join('')}</${p}:AttributeAccess>` +
    `<${p}:MethodAccess>${methods.join('')}</${p}:MethodAccess></${p}:AccessRights></${p}:AssociationLnListElement>`
  );
}

export default define({
  messageType: 'GET_ASSOCIATION_LN_OBJECTS',
  service: 'SmartMeteringAdhoc',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetAssociationLnObjectsRequest',
  payload: z.object({}),
  soap: {
    request: 'GetAssociationLnObjectsRequest',
    asyncResponse: 'GetAssociationLnObjectsAsyncResponse',
    asyncRequest: 'GetAssociationLnObjectsAsyncRequest',
    response: 'GetAssociationLnObjectsResponse',
    wsdlOperations: ['GetAssociationLnObjects', 'GetGetAssociationLnObjectsResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      const list = record(stored.data, 'data').associationLnList;
      if (!Array.isArray(list)) throw new IncompleteResultError('associationLnList');
      return el(`${p}:Result`, resultText(stored.result)) + `<${p}:AssociationLnList>${list.map((o) => renderElement(o, p)).join('')}</${p}:AssociationLnList>`;
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/association-ln-objects',
    operationId: 'getAssociationLnObjects',
    summary: 'Read the object list of the current association with its access rights (GetAssociationLnObjects)',
    tag: 'adhoc',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<AssociationLnObjectsResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const list = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => link.readObjectList());
    return { associationLnList: associationLnList(list) };
  },
});
