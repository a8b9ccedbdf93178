/**
 * COSEM interface classes declared as data, the way zwave-js declares command classes: a class is its id, version,
 * attributes and methods with ids, names, A-XDR types and access, declared once. Everything else is derived from
 * the declaration: the names a caller may use and the TypeScript type of each value (at compile time), the
 * attribute/method ids and the type checks (at run time, through maps built once by defineClass). The session
 * reads, writes and invokes through a declaration (src/session/client.ts `read`/`write`/`invoke`), the simulator
 * serves its objects through the same declarations (src/simulator/objects.ts). See docs/dlms.md#cosem-classes-as-data.
 */
import { type DlmsData, type DlmsDataType } from '../dlms/axdr.ts';
import { decodeError, encodeError } from '../dlms/bytes.ts';
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

/** A declared class. A and M are the literal attribute and method declarations (names and types as types). */
export interface InterfaceClass<A extends AttributeDef = AttributeDef, M extends MethodDef = MethodDef> {
  readonly classId: number;
  readonly version: number;
  readonly name: string;
  /** In id order. */
  readonly attributes: readonly A[];
  readonly methods: readonly M[];
  /** The same declarations by name, for O(1) addressing. */
  readonly attribute: { readonly [K in A['name']]: Extract<A, { name: K }> };
  readonly method: { readonly [K in M['name']]: Extract<M, { name: K }> };
}

export interface ClassDeclaration<A extends readonly AttributeDef[], M extends readonly MethodDef[]> {
  classId: number;
  version: number;
  name: string;
  attributes: A;
  methods: M;
}

/** Declares a class once; names and value types of attributes and methods are derived from the literal declaration. */
export function defineClass<const A extends readonly AttributeDef[], const M extends readonly MethodDef[]>(c: ClassDeclaration<A, M>): InterfaceClass<A[number], M[number]> {
  const attributes = Object.freeze(c.attributes.map((a) => Object.freeze({ ...a })).sort((x, y) => x.id - y.id));
  const methods = Object.freeze(c.methods.map((m) => Object.freeze({ ...m })).sort((x, y) => x.id - y.id));
  const byName = <T extends { id: number; name: string }>(list: readonly T[], what: string) => {
    const out: Record<string, T> = {};
    const ids = new Set<number>();
    for (const x of list) {
      if (ids.has(x.id)) throw modelError(`class ${c.classId} v${c.version}: duplicate ${what} id ${x.id}`);
      if (Object.hasOwn(out, x.name)) throw modelError(`class ${c.classId} v${c.version}: duplicate ${what} name ${x.name}`);
      ids.add(x.id);
      out[x.name] = x;
    }
    return Object.freeze(out);
  };
  return Object.freeze({
    classId: c.classId,
    version: c.version,
    name: c.name,
    attributes,
    methods,
    attribute: byName(attributes, 'attribute'),
    method: byName(methods, 'method'),
  }) as unknown as InterfaceClass<A[number], M[number]>;
}

/** Attribute 1 of every class. */
export const LOGICAL_NAME = { id: 1, name: 'logical_name', type: 'octet-string', access: 'read', description: 'octet-string(6)' } as const satisfies AttributeDef;

export function attributeOf(cls: InterfaceClass, nameOrId: string | number): AttributeDef {
  const named = cls.attribute as Record<string, AttributeDef>;
  const a = typeof nameOrId === 'string' ? (Object.hasOwn(named, nameOrId) ? named[nameOrId] : undefined) : cls.attributes.find((x) => x.id === nameOrId);
  if (!a) throw modelError(`class ${cls.name} v${cls.version} has no attribute ${String(nameOrId)}`);
  return a;
}

export function methodOf(cls: InterfaceClass, nameOrId: string | number): MethodDef {
  const named = cls.method as Record<string, MethodDef>;
  const m = typeof nameOrId === 'string' ? (Object.hasOwn(named, nameOrId) ? named[nameOrId] : undefined) : cls.methods.find((x) => x.id === nameOrId);
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

// ---------------------------------------------------------------------------------------------------------------
// Values: the TypeScript type of a declared A-XDR type. A single type maps to its plain value (number, Buffer, ...);
// a CHOICE or 'any' stays DlmsData, so the caller says which alternative it sends and sees which one it got.

interface PlainValues {
  'null-data': null;
  array: DlmsData[];
  structure: DlmsData[];
  'compact-array': DlmsData[];
  boolean: boolean;
  'bit-string': Buffer;
  integer: number;
  long: number;
  unsigned: number;
  'long-unsigned': number;
  'double-long': number;
  'double-long-unsigned': number;
  enum: number;
  bcd: number;
  float32: number;
  float64: number;
  long64: bigint;
  'long64-unsigned': bigint;
  'octet-string': Buffer;
  'visible-string': string;
  'utf8-string': string;
  'date-time': Buffer;
  date: Buffer;
  time: Buffer;
}

export type ValueOf<S extends TypeSpec | undefined> = S extends DlmsDataType ? PlainValues[S] : S extends undefined ? undefined : DlmsData;

export type AttributeName<C extends InterfaceClass> = C['attributes'][number]['name'];
export type MethodName<C extends InterfaceClass> = C['methods'][number]['name'];
export type AttributeValue<C extends InterfaceClass, N extends AttributeName<C>> = ValueOf<Extract<C['attributes'][number], { name: N }>['type']>;
export type MethodParameter<C extends InterfaceClass, N extends MethodName<C>> = ValueOf<Extract<C['methods'][number], { name: N }>['parameter']>;

/** The plain value of `data` as the declaration types it; DECODE_ERROR when the meter sent another type. */
export function valueOf<S extends TypeSpec>(spec: S, data: DlmsData, what: string): ValueOf<S> {
  if (!matchesType(spec, data)) throw decodeError(`${what}: ${data.type}, declared ${typeof spec === 'string' ? spec : spec.join(' | ')}`);
  if (typeof spec !== 'string' || spec === 'any') return data as ValueOf<S>;
  return (data.type === 'null-data' ? null : (data as { value: unknown }).value) as ValueOf<S>;
}

/** `value` as A-XDR data of the declared type (a CHOICE takes DlmsData and checks it); ENCODE_ERROR otherwise. */
export function dataOf<S extends TypeSpec | undefined>(spec: S, value: ValueOf<S>, what: string): DlmsData | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec !== 'string' || spec === 'any') {
    if (!matchesType(spec, value as DlmsData)) throw encodeError(`${what}: ${(value as DlmsData | undefined)?.type ?? 'no value'} is not a declared alternative`);
    return value as DlmsData;
  }
  if (spec === 'null-data') return { type: 'null-data' };
  if (spec === 'bit-string') return { type: 'bit-string', value: value as Buffer, bitLength: (value as Buffer).length * 8 };
  if (spec === 'compact-array') throw encodeError(`${what}: compact-array needs its element type; pass it as DlmsData`);
  return { type: spec, value } as DlmsData;
}

// ---------------------------------------------------------------------------------------------------------------
// Objects

/** A COSEM object: class, version and logical name (6 bytes, parsed once when declared). */
export interface CosemObject<C extends InterfaceClass = InterfaceClass> {
  readonly cls: C;
  readonly obis: Obis;
}

export function cosemObject<C extends InterfaceClass>(cls: C, obis: Obis | string): CosemObject<C> {
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

// ---------------------------------------------------------------------------------------------------------------
// Access modes as an association's object_list states them (IEC 62056-6-2 class 15 attribute 2)

/** attribute_access_mode: 0 no-access, 1 read-only, 2 write-only, 3 read-and-write. */
export function attributeAccessMode(access: Access): number {
  return access === 'read' ? 1 : access === 'write' ? 2 : access === 'read-write' ? 3 : 0;
}

/** Whether an access allows reading / writing. */
export const canRead = (a: Access): boolean => a === 'read' || a === 'read-write';
export const canWrite = (a: Access): boolean => a === 'write' || a === 'read-write';

/** The access both allow. */
export function intersectAccess(a: Access, b: Access): Access {
  const r = canRead(a) && canRead(b);
  const w = canWrite(a) && canWrite(b);
  return r && w ? 'read-write' : r ? 'read' : w ? 'write' : 'none';
}
