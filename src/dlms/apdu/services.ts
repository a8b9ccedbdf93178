/**
 * xDLMS services with logical-name referencing (docs/dlms.md#xdlms-services): GET (normal, next, with-list; responses normal,
 * with-datablock, with-list), SET (normal, with-list; responses normal, with-list), ACTION normal, exception-response (D8) and confirmed-service-error (0E).
 * Immutable objects: `static decode(bytes)` checks the whole APDU, `encode()` produces it.
 */
import { type DlmsData, encodeData, readData } from '../axdr.ts';
import { ByteReader, checkUint, decodeError, encodeAxdrLength, u32be } from '../bytes.ts';
import {
  type AccessSelection,
  type AttributeDescriptor,
  DEFAULT_INVOKE_ID_AND_PRIORITY,
  type GetDataResult,
  type MethodDescriptor,
  encodeAccessSelection,
  encodeDescriptor,
  encodeGetDataResult,
  readAccessSelection,
  readAttributeDescriptor,
  readGetDataResult,
  readMethodDescriptor,
  readOptional,
} from './common.ts';

export const ApduTag = {
  INITIATE_REQUEST: 0x01,
  INITIATE_RESPONSE: 0x08,
  CONFIRMED_SERVICE_ERROR: 0x0e,
  GET_REQUEST: 0xc0,
  SET_REQUEST: 0xc1,
  EVENT_NOTIFICATION_REQUEST: 0xc2,
  ACTION_REQUEST: 0xc3,
  GET_RESPONSE: 0xc4,
  SET_RESPONSE: 0xc5,
  ACTION_RESPONSE: 0xc7,
  EXCEPTION_RESPONSE: 0xd8,
} as const;

function header(what: string, buf: Buffer, tag: number, choice: number): ByteReader {
  const r = new ByteReader(buf, what);
  const t = r.u8('tag');
  if (t !== tag) throw decodeError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.toString(16).padStart(2, '0')}`);
  const c = r.u8('choice');
  if (c !== choice) throw decodeError(`${what}: expected choice ${choice}, got ${c}`);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// GET

export class GetRequestNormal {
  readonly invokeIdAndPriority: number;
  readonly attribute: AttributeDescriptor;
  readonly accessSelection?: AccessSelection;

  constructor(p: { invokeIdAndPriority?: number; attribute: AttributeDescriptor; accessSelection?: AccessSelection }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.attribute = p.attribute;
    if (p.accessSelection) this.accessSelection = p.accessSelection;
    Object.freeze(this);
  }

  encode(): Buffer {
    const a = this.attribute;
    return Buffer.concat([
      Buffer.from([ApduTag.GET_REQUEST, 0x01, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeDescriptor(a.classId, a.instance, a.attributeId),
      encodeAccessSelection(this.accessSelection),
    ]);
  }

  static decode(buf: Buffer): GetRequestNormal {
    const r = header('get-request-normal', buf, ApduTag.GET_REQUEST, 0x01);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const attribute = readAttributeDescriptor(r);
    const accessSelection = readAccessSelection(r);
    r.expectEnd();
    return new GetRequestNormal({ invokeIdAndPriority, attribute, accessSelection });
  }
}

export class GetRequestNext {
  readonly invokeIdAndPriority: number;
  readonly blockNumber: number;

  constructor(p: { invokeIdAndPriority?: number; blockNumber: number }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.blockNumber = p.blockNumber;
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.GET_REQUEST, 0x02, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      u32be(checkUint(this.blockNumber, 0xffffffff, 'block number')),
    ]);
  }

  static decode(buf: Buffer): GetRequestNext {
    const r = header('get-request-next', buf, ApduTag.GET_REQUEST, 0x02);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const blockNumber = r.u32('block number');
    r.expectEnd();
    return new GetRequestNext({ invokeIdAndPriority, blockNumber });
  }
}

export interface AttributeRequest {
  attribute: AttributeDescriptor;
  accessSelection?: AccessSelection;
}

export class GetRequestWithList {
  readonly invokeIdAndPriority: number;
  readonly attributes: readonly AttributeRequest[];

  constructor(p: { invokeIdAndPriority?: number; attributes: AttributeRequest[] }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.attributes = Object.freeze([...p.attributes]);
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.GET_REQUEST, 0x03, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeAxdrLength(this.attributes.length),
      ...this.attributes.flatMap((a) => [
        encodeDescriptor(a.attribute.classId, a.attribute.instance, a.attribute.attributeId),
        encodeAccessSelection(a.accessSelection),
      ]),
    ]);
  }

  static decode(buf: Buffer): GetRequestWithList {
    const r = header('get-request-with-list', buf, ApduTag.GET_REQUEST, 0x03);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const n = r.axdrLength('attribute count');
    if (n * 10 > r.remaining) throw decodeError(`get-request-with-list: ${n} attributes declared but only ${r.remaining} byte(s) remain`);
    const attributes: AttributeRequest[] = [];
    for (let i = 0; i < n; i++) {
      const attribute = readAttributeDescriptor(r);
      const accessSelection = readAccessSelection(r);
      attributes.push(accessSelection ? { attribute, accessSelection } : { attribute });
    }
    r.expectEnd();
    return new GetRequestWithList({ invokeIdAndPriority, attributes });
  }
}

export class GetResponseNormal {
  readonly invokeIdAndPriority: number;
  readonly result: GetDataResult;

  constructor(p: { invokeIdAndPriority?: number; result: GetDataResult }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.result = p.result;
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.GET_RESPONSE, 0x01, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeGetDataResult(this.result),
    ]);
  }

  static decode(buf: Buffer): GetResponseNormal {
    const r = header('get-response-normal', buf, ApduTag.GET_RESPONSE, 0x01);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const result = readGetDataResult(r);
    r.expectEnd();
    return new GetResponseNormal({ invokeIdAndPriority, result });
  }
}

/** Raw-data of one block, or the Data-Access-Result that ends the transfer. */
export type DataBlockResult = { kind: 'raw'; data: Buffer } | { kind: 'error'; result: number };

export class GetResponseWithDataBlock {
  readonly invokeIdAndPriority: number;
  readonly lastBlock: boolean;
  readonly blockNumber: number;
  readonly result: DataBlockResult;

  constructor(p: { invokeIdAndPriority?: number; lastBlock: boolean; blockNumber: number; result: DataBlockResult }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.lastBlock = p.lastBlock;
    this.blockNumber = p.blockNumber;
    this.result = p.result;
    Object.freeze(this);
  }

  encode(): Buffer {
    const res =
      this.result.kind === 'raw'
        ? Buffer.concat([Buffer.from([0x00]), encodeAxdrLength(this.result.data.length), this.result.data])
        : Buffer.from([0x01, checkUint(this.result.result, 0xff, 'data-access-result')]);
    return Buffer.concat([
      Buffer.from([ApduTag.GET_RESPONSE, 0x02, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority'), this.lastBlock ? 1 : 0]),
      u32be(checkUint(this.blockNumber, 0xffffffff, 'block number')),
      res,
    ]);
  }

  static decode(buf: Buffer): GetResponseWithDataBlock {
    const r = header('get-response-with-datablock', buf, ApduTag.GET_RESPONSE, 0x02);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const last = r.u8('last-block');
    if (last > 1) throw decodeError(`get-response-with-datablock: last-block must be 00 or 01, got ${last}`);
    const blockNumber = r.u32('block number');
    const choice = r.u8('result choice');
    let result: DataBlockResult;
    if (choice === 0) {
      const len = r.axdrLength('raw-data');
      result = { kind: 'raw', data: r.bytes(len, 'raw-data') };
    } else if (choice === 1) {
      result = { kind: 'error', result: r.u8('data-access-result') };
    } else {
      throw decodeError(`get-response-with-datablock: result choice must be 00 or 01, got ${choice}`);
    }
    r.expectEnd();
    return new GetResponseWithDataBlock({ invokeIdAndPriority, lastBlock: last === 1, blockNumber, result });
  }
}

export class GetResponseWithList {
  readonly invokeIdAndPriority: number;
  readonly results: readonly GetDataResult[];

  constructor(p: { invokeIdAndPriority?: number; results: GetDataResult[] }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.results = Object.freeze([...p.results]);
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.GET_RESPONSE, 0x03, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeAxdrLength(this.results.length),
      ...this.results.map(encodeGetDataResult),
    ]);
  }

  static decode(buf: Buffer): GetResponseWithList {
    const r = header('get-response-with-list', buf, ApduTag.GET_RESPONSE, 0x03);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const n = r.axdrLength('result count');
    if (n * 2 > r.remaining) throw decodeError(`get-response-with-list: ${n} results declared but only ${r.remaining} byte(s) remain`);
    const results: GetDataResult[] = [];
    for (let i = 0; i < n; i++) results.push(readGetDataResult(r));
    r.expectEnd();
    return new GetResponseWithList({ invokeIdAndPriority, results });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SET

export class SetRequestNormal {
  readonly invokeIdAndPriority: number;
  readonly attribute: AttributeDescriptor;
  readonly accessSelection?: AccessSelection;
  readonly value: DlmsData;

  constructor(p: { invokeIdAndPriority?: number; attribute: AttributeDescriptor; accessSelection?: AccessSelection; value: DlmsData }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.attribute = p.attribute;
    if (p.accessSelection) this.accessSelection = p.accessSelection;
    this.value = p.value;
    Object.freeze(this);
  }

  encode(): Buffer {
    const a = this.attribute;
    return Buffer.concat([
      Buffer.from([ApduTag.SET_REQUEST, 0x01, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeDescriptor(a.classId, a.instance, a.attributeId),
      encodeAccessSelection(this.accessSelection),
      encodeData(this.value),
    ]);
  }

  static decode(buf: Buffer): SetRequestNormal {
    const r = header('set-request-normal', buf, ApduTag.SET_REQUEST, 0x01);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const attribute = readAttributeDescriptor(r);
    const accessSelection = readAccessSelection(r);
    const value = readData(r);
    r.expectEnd();
    return new SetRequestNormal({ invokeIdAndPriority, attribute, accessSelection, value });
  }
}

export class SetResponseNormal {
  readonly invokeIdAndPriority: number;
  readonly result: number;

  constructor(p: { invokeIdAndPriority?: number; result: number }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.result = p.result;
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.from([ApduTag.SET_RESPONSE, 0x01, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority'), checkUint(this.result, 0xff, 'data-access-result')]);
  }

  static decode(buf: Buffer): SetResponseNormal {
    const r = header('set-response-normal', buf, ApduTag.SET_RESPONSE, 0x01);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const result = r.u8('data-access-result');
    r.expectEnd();
    return new SetResponseNormal({ invokeIdAndPriority, result });
  }
}

/** Set-Request-With-List (choice 4): several attributes written in one request, each with its value, in order. */
export class SetRequestWithList {
  readonly invokeIdAndPriority: number;
  readonly attributes: readonly AttributeRequest[];
  readonly values: readonly DlmsData[];

  constructor(p: { invokeIdAndPriority?: number; attributes: AttributeRequest[]; values: DlmsData[] }) {
    if (p.attributes.length !== p.values.length) throw decodeError(`set-request-with-list: ${p.attributes.length} attributes but ${p.values.length} values`);
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.attributes = Object.freeze([...p.attributes]);
    this.values = Object.freeze([...p.values]);
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.SET_REQUEST, 0x04, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeAxdrLength(this.attributes.length),
      ...this.attributes.flatMap((a) => [
        encodeDescriptor(a.attribute.classId, a.attribute.instance, a.attribute.attributeId),
        encodeAccessSelection(a.accessSelection),
      ]),
      encodeAxdrLength(this.values.length),
      ...this.values.map(encodeData),
    ]);
  }

  static decode(buf: Buffer): SetRequestWithList {
    const r = header('set-request-with-list', buf, ApduTag.SET_REQUEST, 0x04);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const n = r.axdrLength('attribute count');
    if (n * 10 > r.remaining) throw decodeError(`set-request-with-list: ${n} attributes declared but only ${r.remaining} byte(s) remain`);
    const attributes: AttributeRequest[] = [];
    for (let i = 0; i < n; i++) {
      const attribute = readAttributeDescriptor(r);
      const accessSelection = readAccessSelection(r);
      attributes.push(accessSelection ? { attribute, accessSelection } : { attribute });
    }
    const m = r.axdrLength('value count');
    if (m !== n) throw decodeError(`set-request-with-list: ${n} attributes but ${m} values`);
    const values: DlmsData[] = [];
    for (let i = 0; i < m; i++) values.push(readData(r));
    r.expectEnd();
    return new SetRequestWithList({ invokeIdAndPriority, attributes, values });
  }
}

/** Set-Response-With-List (choice 5): one data-access-result per attribute of the request, in order. */
export class SetResponseWithList {
  readonly invokeIdAndPriority: number;
  readonly results: readonly number[];

  constructor(p: { invokeIdAndPriority?: number; results: number[] }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.results = Object.freeze([...p.results]);
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.SET_RESPONSE, 0x05, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeAxdrLength(this.results.length),
      Buffer.from(this.results.map((x) => checkUint(x, 0xff, 'data-access-result'))),
    ]);
  }

  static decode(buf: Buffer): SetResponseWithList {
    const r = header('set-response-with-list', buf, ApduTag.SET_RESPONSE, 0x05);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const n = r.axdrLength('result count');
    if (n > r.remaining) throw decodeError(`set-response-with-list: ${n} results declared but only ${r.remaining} byte(s) remain`);
    const results: number[] = [];
    for (let i = 0; i < n; i++) results.push(r.u8('data-access-result'));
    r.expectEnd();
    return new SetResponseWithList({ invokeIdAndPriority, results });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ACTION

export class ActionRequestNormal {
  readonly invokeIdAndPriority: number;
  readonly method: MethodDescriptor;
  readonly parameters?: DlmsData;

  constructor(p: { invokeIdAndPriority?: number; method: MethodDescriptor; parameters?: DlmsData }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.method = p.method;
    if (p.parameters) this.parameters = p.parameters;
    Object.freeze(this);
  }

  encode(): Buffer {
    const m = this.method;
    return Buffer.concat([
      Buffer.from([ApduTag.ACTION_REQUEST, 0x01, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority')]),
      encodeDescriptor(m.classId, m.instance, m.methodId),
      this.parameters ? Buffer.concat([Buffer.from([0x01]), encodeData(this.parameters)]) : Buffer.from([0x00]),
    ]);
  }

  static decode(buf: Buffer): ActionRequestNormal {
    const r = header('action-request-normal', buf, ApduTag.ACTION_REQUEST, 0x01);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const method = readMethodDescriptor(r);
    const parameters = readOptional(r, 'method-invocation-parameters', () => readData(r));
    r.expectEnd();
    return new ActionRequestNormal({ invokeIdAndPriority, method, parameters });
  }
}

export class ActionResponseNormal {
  readonly invokeIdAndPriority: number;
  readonly result: number;
  /** Get-Data-Result with the method's return data, when the meter sends one. */
  readonly returnParameters?: GetDataResult;

  constructor(p: { invokeIdAndPriority?: number; result: number; returnParameters?: GetDataResult }) {
    this.invokeIdAndPriority = p.invokeIdAndPriority ?? DEFAULT_INVOKE_ID_AND_PRIORITY;
    this.result = p.result;
    if (p.returnParameters) this.returnParameters = p.returnParameters;
    Object.freeze(this);
  }

  /** The returned Data, if the response carries Data (not a Data-Access-Result). */
  get returnData(): DlmsData | undefined {
    return this.returnParameters?.kind === 'data' ? this.returnParameters.data : undefined;
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.ACTION_RESPONSE, 0x01, checkUint(this.invokeIdAndPriority, 0xff, 'invoke-id-and-priority'), checkUint(this.result, 0xff, 'action-result')]),
      this.returnParameters ? Buffer.concat([Buffer.from([0x01]), encodeGetDataResult(this.returnParameters)]) : Buffer.from([0x00]),
    ]);
  }

  static decode(buf: Buffer): ActionResponseNormal {
    const r = header('action-response-normal', buf, ApduTag.ACTION_RESPONSE, 0x01);
    const invokeIdAndPriority = r.u8('invoke-id-and-priority');
    const result = r.u8('action-result');
    // Some meters omit the optional return-parameters presence byte entirely when there is nothing to return.
    const returnParameters = r.atEnd ? undefined : readOptional(r, 'return-parameters', () => readGetDataResult(r));
    r.expectEnd();
    return new ActionResponseNormal({ invokeIdAndPriority, result, returnParameters });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Exception-response (D8) and confirmed-service-error (0E)

export const StateError = { SERVICE_NOT_ALLOWED: 1, SERVICE_UNKNOWN: 2 } as const;
export const ServiceError = {
  OPERATION_NOT_POSSIBLE: 1,
  SERVICE_NOT_SUPPORTED: 2,
  OTHER_REASON: 3,
  PDU_TOO_LONG: 4,
  DECIPHERING_ERROR: 5,
  INVOCATION_COUNTER_ERROR: 6,
} as const;

const stateErrorNames = new Map<number, string>(Object.entries(StateError).map(([k, v]) => [v, k]));
const serviceErrorNames = new Map<number, string>(Object.entries(ServiceError).map(([k, v]) => [v, k]));

/** `D8 <state-error> <service-error> [invocation counter (4) when service-error is 6]`. */
export class ExceptionResponse {
  readonly stateError: number;
  readonly serviceError: number;
  /** The meter's expected invocation counter, sent with service-error invocation-counter-error (6). */
  readonly invocationCounter?: number;

  constructor(p: { stateError: number; serviceError: number; invocationCounter?: number }) {
    this.stateError = p.stateError;
    this.serviceError = p.serviceError;
    if (p.invocationCounter !== undefined) this.invocationCounter = p.invocationCounter;
    Object.freeze(this);
  }

  get description(): string {
    const s = stateErrorNames.get(this.stateError) ?? `STATE_ERROR_${this.stateError}`;
    const e = serviceErrorNames.get(this.serviceError) ?? `SERVICE_ERROR_${this.serviceError}`;
    return `${s} / ${e}`;
  }

  encode(): Buffer {
    const b = Buffer.from([ApduTag.EXCEPTION_RESPONSE, checkUint(this.stateError, 0xff, 'state-error'), checkUint(this.serviceError, 0xff, 'service-error')]);
    return this.invocationCounter === undefined ? b : Buffer.concat([b, u32be(checkUint(this.invocationCounter, 0xffffffff, 'invocation counter'))]);
  }

  static decode(buf: Buffer): ExceptionResponse {
    const r = new ByteReader(buf, 'exception-response');
    if (r.u8('tag') !== ApduTag.EXCEPTION_RESPONSE) throw decodeError('exception-response: expected tag 0xd8');
    const stateError = r.u8('state-error');
    const serviceError = r.u8('service-error');
    const invocationCounter = serviceError === ServiceError.INVOCATION_COUNTER_ERROR && r.remaining >= 4 ? r.u32('invocation counter') : undefined;
    r.expectEnd();
    return new ExceptionResponse({ stateError, serviceError, invocationCounter });
  }
}

/** ConfirmedServiceError choices (which service failed). */
export const ConfirmedServiceErrorService = {
  INITIATE_ERROR: 1,
  GET_STATUS: 2,
  GET_NAME_LIST: 3,
  GET_VARIABLE_ATTRIBUTE: 4,
  READ: 5,
  WRITE: 6,
  GET_DATA_SET_ATTRIBUTE: 7,
  GET_TI_ATTRIBUTE: 8,
  CHANGE_SCOPE: 9,
  START: 10,
  STOP: 11,
  RESUME: 12,
  MAKE_USABLE: 13,
  INITIATE_LOAD: 14,
  LOAD_SEGMENT: 15,
  TERMINATE_LOAD: 16,
  INITIATE_UPLOAD: 17,
  UPLOAD_SEGMENT: 18,
  TERMINATE_UPLOAD: 19,
} as const;

/** ServiceError choices (the error class); the value that follows is an enum within that class. */
export const ServiceErrorClass = {
  APPLICATION_REFERENCE: 0,
  HARDWARE_RESOURCE: 1,
  VDE_STATE_ERROR: 2,
  SERVICE: 3,
  DEFINITION: 4,
  ACCESS: 5,
  INITIATE: 6,
  LOAD_DATA_SET: 7,
  CHANGE_SCOPE: 8,
  TASK: 9,
  OTHER: 10,
} as const;

/** Initiate error values (ServiceErrorClass.INITIATE). */
export const InitiateError = {
  OTHER: 0,
  DLMS_VERSION_TOO_LOW: 1,
  INCOMPATIBLE_CONFORMANCE: 2,
  PDU_SIZE_TOO_SHORT: 3,
  REFUSED_BY_THE_VDE_HANDLER: 4,
} as const;

const cseServiceNames = new Map<number, string>(Object.entries(ConfirmedServiceErrorService).map(([k, v]) => [v, k]));
const errorClassNames = new Map<number, string>(Object.entries(ServiceErrorClass).map(([k, v]) => [v, k]));

/** `0E <service> <error class> <value>` (in the AARE user-information: docs/dlms.md#association-acse, #errors-and-rejects). */
export class ConfirmedServiceError {
  readonly service: number;
  readonly errorClass: number;
  readonly value: number;

  constructor(p: { service: number; errorClass: number; value: number }) {
    this.service = p.service;
    this.errorClass = p.errorClass;
    this.value = p.value;
    Object.freeze(this);
  }

  get description(): string {
    const s = cseServiceNames.get(this.service) ?? `SERVICE_${this.service}`;
    const c = errorClassNames.get(this.errorClass) ?? `CLASS_${this.errorClass}`;
    return `${s}: ${c} ${this.value}`;
  }

  encode(): Buffer {
    return Buffer.from([
      ApduTag.CONFIRMED_SERVICE_ERROR,
      checkUint(this.service, 0xff, 'service'),
      checkUint(this.errorClass, 0xff, 'error class'),
      checkUint(this.value, 0xff, 'value'),
    ]);
  }

  static decode(buf: Buffer): ConfirmedServiceError {
    const r = new ByteReader(buf, 'confirmed-service-error');
    if (r.u8('tag') !== ApduTag.CONFIRMED_SERVICE_ERROR) throw decodeError('confirmed-service-error: expected tag 0x0e');
    const service = r.u8('service');
    const errorClass = r.u8('error class');
    const value = r.u8('value');
    r.expectEnd();
    return new ConfirmedServiceError({ service, errorClass, value });
  }
}
