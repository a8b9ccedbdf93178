/**
 * The object_list of an association (class 15 attribute 2, IEC 62056-6-2): one element per object the
 * association sees, with its class, version, logical name and access rights (docs/dlms.md#object-list).
 *
 *   object_list_element ::= structure { class_id long-unsigned, version unsigned, logical_name octet-string(6),
 *     access_rights structure {
 *       attribute_access array of structure { attribute_id integer, access_mode enum,
 *                                             access_selectors CHOICE { null-data, array of integer } },
 *       method_access    array of structure { method_id integer,
 *                                             access_mode boolean (class 15 version 0) | enum (version 1+) } } }
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { decodeError } from '../dlms/bytes.ts';
import { type Access, type CosemObject, attributeAccessMode } from './model.ts';

/** One entry of an association's object_list, DLMS-native. */
export interface ObjectListElement {
  classId: number;
  version: number;
  /** 6 bytes, as the meter sends it */
  logicalName: Buffer;
  /** access_mode as the enum number the meter sends; access_selectors [] when the meter sends null-data */
  attributeAccess: { attributeId: number; accessMode: number; accessSelectors: number[] }[];
  /** access_mode as the number the meter sends (a class 15 version 0 boolean becomes 0 or 1) */
  methodAccess: { methodId: number; accessMode: number }[];
}

function fields(d: DlmsData, type: 'array' | 'structure', what: string, count?: number): DlmsData[] {
  if (d.type !== type) throw decodeError(`object_list: ${what} is ${d.type}, expected ${type}`);
  const v = (d as { value: DlmsData[] }).value;
  if (count !== undefined && v.length !== count) throw decodeError(`object_list: ${what} has ${v.length} elements, expected ${count}`);
  return v;
}

function num(d: DlmsData, types: readonly string[], what: string): number {
  if (!types.includes(d.type)) throw decodeError(`object_list: ${what} is ${d.type}, expected ${types.join(' or ')}`);
  return (d as { value: number }).value;
}

/** Decodes attribute 2 of class 15, versions 0 and 1+ alike (the types tell them apart). */
export function decodeObjectList(d: DlmsData): ObjectListElement[] {
  return fields(d, 'array', 'object_list').map((e, i) => {
    const [classId, version, logicalName, accessRights] = fields(e, 'structure', `element ${i}`, 4);
    if (logicalName.type !== 'octet-string' || logicalName.value.length !== 6) throw decodeError(`object_list: element ${i} logical_name is not octet-string(6)`);
    const [attributes, methods] = fields(accessRights, 'structure', `element ${i} access_rights`, 2);
    return {
      classId: num(classId, ['long-unsigned'], `element ${i} class_id`),
      version: num(version, ['unsigned'], `element ${i} version`),
      logicalName: Buffer.from(logicalName.value),
      attributeAccess: fields(attributes, 'array', `element ${i} attribute_access`).map((a, j) => {
        const [id, mode, selectors] = fields(a, 'structure', `element ${i} attribute_access ${j}`, 3);
        return {
          attributeId: num(id, ['integer'], `element ${i} attribute_id`),
          accessMode: num(mode, ['enum'], `element ${i} attribute access_mode`),
          accessSelectors: selectors.type === 'null-data' ? [] : fields(selectors, 'array', `element ${i} access_selectors`).map((s) => num(s, ['integer'], `element ${i} access_selector`)),
        };
      }),
      methodAccess: fields(methods, 'array', `element ${i} method_access`).map((m, j) => {
        const [id, mode] = fields(m, 'structure', `element ${i} method_access ${j}`, 2);
        return {
          methodId: num(id, ['integer'], `element ${i} method_id`),
          // Version 0 states a boolean, version 1+ an enum (0 no access, 1 access, 2 authenticated access).
          accessMode: mode.type === 'boolean' ? Number(mode.value) : num(mode, ['enum'], `element ${i} method access_mode`),
        };
      }),
    };
  });
}

/** Encodes an object_list as an association of class 15 `associationVersion` states it (the simulator's side). */
export function encodeObjectList(elements: readonly ObjectListElement[], associationVersion: number): DlmsData {
  return Data.array(
    elements.map((e) =>
      Data.structure([
        Data.longUnsigned(e.classId),
        Data.unsigned(e.version),
        Data.octetString(e.logicalName),
        Data.structure([
          Data.array(
            e.attributeAccess.map((a) =>
              Data.structure([Data.integer(a.attributeId), Data.enum(a.accessMode), a.accessSelectors.length === 0 ? Data.nullData() : Data.array(a.accessSelectors.map((s) => Data.integer(s)))]),
            ),
          ),
          Data.array(e.methodAccess.map((m) => Data.structure([Data.integer(m.methodId), associationVersion === 0 ? Data.boolean(m.accessMode !== 0) : Data.enum(m.accessMode)]))),
        ]),
      ]),
    ),
  );
}

/**
 * The object_list element of a declared object: every declared attribute with the access `attributeAccess` gives
 * it (default: the declaration's), every method with `methodAccess` (1 = access, 0 = none).
 */
export function objectListElement(
  o: CosemObject,
  attributeAccess: (attributeId: number, declared: Access) => Access = (_, declared) => declared,
  methodAccess: (methodId: number) => number = () => 1,
  accessSelectors: (attributeId: number) => number[] = () => [],
): ObjectListElement {
  return {
    classId: o.cls.classId,
    version: o.cls.version,
    logicalName: o.obis.bytes,
    attributeAccess: o.cls.attributes.map((a) => ({ attributeId: a.id, accessMode: attributeAccessMode(attributeAccess(a.id, a.access)), accessSelectors: accessSelectors(a.id) })),
    methodAccess: o.cls.methods.map((m) => ({ methodId: m.id, accessMode: methodAccess(m.id) })),
  };
}
