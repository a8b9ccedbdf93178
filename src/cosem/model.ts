/**
 * COSEM interface classes declared as data (house style: the way zwave-js declares command classes). A class is
 * its id, version, attributes and methods with ids, names, A-XDR types and access; behaviour lives elsewhere
 * (the simulator implements it, the session and adapters address objects through it).
 */
import type { DlmsData, DlmsDataType } from '../dlms/axdr.ts';
import { attributeDescriptor, methodDescriptor, type AttributeDescriptor, type MethodDescriptor } from '../dlms/apdu/common.ts';
import { Obis } from '../dlms/obis.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

function modelError(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.INTERNAL_ERROR, message, { component: 'PROTOCOL_DLMS' });
}

/** One A-XDR type, a CHOICE of types (e.g. slave_deinstall takes integer or unsigned), or 'any' (CHOICE of all). */
export type TypeSpec = DlmsDataType | readonly DlmsDataType[] | 'any';

export type Access = 'none' | 'read' | 'write' | 'read-write';

export interface AttributeDef {
  readonly id: number;
  readonly name: string;
  readonly type: TypeSpec;
  /** Default access for a management association; profiles may restrict it further. */
  readonly access: Access;
  /** e.g. 'octet-string(12)' or 'array of structure{...}', for people and generated docs. */
  readonly description?: string;
}

export interface MethodDef {
  readonly id: number;
  readonly name: string;
  /** Parameter type; undefined = no parameter (null-data or absent). */
  readonly parameter?: TypeSpec;
  /** Type of the return data, when the method returns any. */
  readonly returns?: TypeSpec;
  readonly optional?: boolean;
  readonly description?: string;
}

export interface InterfaceClass {
  readonly classId: number;
  readonly version: number;
  readonly name: string;
  readonly attributes: readonly AttributeDef[];
  readonly methods: readonly MethodDef[];
}

export function defineClass(c: InterfaceClass): InterfaceClass {
  const ids = new Set<number>();
  for (const a of c.attributes) {
    if (ids.has(a.id)) throw modelError(`class ${c.classId} v${c.version}: duplicate attribute id ${a.id}`);
    ids.add(a.id);
  }
  ids.clear();
  for (const m of c.methods) {
    if (ids.has(m.id)) throw modelError(`class ${c.classId} v${c.version}: duplicate method id ${m.id}`);
    ids.add(m.id);
  }
  return Object.freeze({
    ...c,
    attributes: Object.freeze(c.attributes.map((a) => Object.freeze({ ...a }))),
    methods: Object.freeze(c.methods.map((m) => Object.freeze({ ...m }))),
  });
}

/** Attribute 1 of every class. */
export const LOGICAL_NAME: AttributeDef = { id: 1, name: 'logical_name', type: 'octet-string', access: 'read', description: 'octet-string(6)' };

export function attributeOf(cls: InterfaceClass, nameOrId: string | number): AttributeDef {
  const a = cls.attributes.find((x) => x.id === nameOrId || x.name === nameOrId);
  if (!a) throw modelError(`class ${cls.name} v${cls.version} has no attribute ${String(nameOrId)}`);
  return a;
}

export function methodOf(cls: InterfaceClass, nameOrId: string | number): MethodDef {
  const m = cls.methods.find((x) => x.id === nameOrId || x.name === nameOrId);
  if (!m) throw modelError(`class ${cls.name} v${cls.version} has no method ${String(nameOrId)}`);
  return m;
}

/** Whether a value fits a type spec (the simulator answers type-unmatched when it does not). null-data fits nothing but 'any'. */
export function matchesType(spec: TypeSpec | undefined, value: DlmsData | undefined): boolean {
  if (spec === undefined) return value === undefined || value.type === 'null-data';
  if (value === undefined) return false;
  if (spec === 'any') return true;
  if (typeof spec === 'string') return value.type === spec;
  return spec.includes(value.type);
}

/** A COSEM object: class, version and logical name. */
export interface CosemObject {
  readonly cls: InterfaceClass;
  readonly obis: Obis;
}

export function cosemObject(cls: InterfaceClass, obis: Obis | string): CosemObject {
  return Object.freeze({ cls, obis: typeof obis === 'string' ? Obis.parse(obis) : obis });
}

/** Attribute descriptor for GET/SET, by attribute name or id. */
export function attributeAddress(o: CosemObject, nameOrId: string | number): AttributeDescriptor {
  return attributeDescriptor(o.cls.classId, o.obis, attributeOf(o.cls, nameOrId).id);
}

/** Method descriptor for ACTION, by method name or id. */
export function methodAddress(o: CosemObject, nameOrId: string | number): MethodDescriptor {
  return methodDescriptor(o.cls.classId, o.obis, methodOf(o.cls, nameOrId).id);
}
