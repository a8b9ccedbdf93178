/**
 * DLMS client session (issue 2, scope 3): connect with timeout, public (SAP 16) or management (SAP 1, HLS5-GMAC)
 * association, GET (normal, with-list, block transfer), SET, ACTION and release, with a per-APDU timeout.
 *
 * Invocation counters (docs/dlms.md#hls5-gmac, #invocation-counters): the AARQ uses IC N, f(StoC) N+1 and the APDU carrying it N+2; every
 * later APDU a fresh one — never an IV twice. Counters are reserved from the InvocationCounterStore before use.
 * The meter's counter must increase on every response (a replay is refused).
 *
 * Keys arrive as Buffers and never reach a message, a log line or an error.
 */
import { ErrorCode, MeterfabricError, isMeterfabricError } from '../errors.ts';
import {
  AssociationLnClass,
  DataClass,
  WellKnownObis,
  dataOf,
  valueOf,
  type AttributeDef,
  type AttributeName,
  type AttributeValue,
  type InterfaceClass,
  type MethodDef,
  type MethodName,
  type MethodParameter,
} from '../cosem/index.ts';
import { type DlmsData, decodeDataExact } from '../dlms/axdr.ts';
import { Obis } from '../dlms/obis.ts';
import {
  Aare,
  Aarq,
  ActionRequestNormal,
  ActionResponseNormal,
  AcseServiceUserDiagnostic,
  ApplicationContextName,
  AssociationResult,
  Conformance,
  ConfirmedServiceError,
  ExceptionResponse,
  GetRequestNext,
  GetRequestNormal,
  GetRequestWithList,
  GetResponseNormal,
  GetResponseWithDataBlock,
  GetResponseWithList,
  InitiateRequest,
  InitiateResponse,
  MechanismName,
  Rlrq,
  SetRequestNormal,
  SetRequestWithList,
  SetResponseNormal,
  SetResponseWithList,
  actionResultName,
  dataAccessResultName,
  type AccessSelection,
  type AttributeDescriptor,
  type GetDataResult,
  type MethodDescriptor,
} from '../dlms/apdu/index.ts';
import { connectClientTransport, type ClientTransportOptions } from '../transport/tcp.ts';
import type { ApduTransport, FramingKind } from '../transport/transport.ts';
import type { InvocationCounterStore } from './invocation-counter.ts';
import { authenticationError, illegalResponse, sessionError, unableToDecipher } from './errors.ts';
import { logger } from '../observability/logger.ts';
import { metrics } from '../observability/metrics.ts';

const log = logger('session');
import { generalGloDecrypt, generalGloEncrypt, gloDecrypt as gloDecryptApdu, gloEncrypt as gloEncryptApdu, hlsChallenge, hlsGmac, verifyHlsGmac, type CipheringKeys } from '../dlms/security/index.ts';
import { GENERAL_DED_CIPHERING_TAG, GENERAL_GLO_CIPHERING_TAG, GeneralGloCiphering } from '../dlms/apdu/ciphered.ts';

export const PUBLIC_CLIENT = 16;
export const MANAGEMENT_CLIENT = 1;
/** 0-0:43.1.0.255, class 1 attribute 2 (docs/dlms.md#invocation-counters). */
export const INVOCATION_COUNTER_OBIS = WellKnownObis.INVOCATION_COUNTER.toString();

/** What the client proposes: block transfer, multiple references, get/set/action, selective access (`00 1E 1D`), plus general-protection/access for the public client as in the worked example. */
const PROPOSED_CONFORMANCE = Conformance.fromValue(0x001e1d);
/** The same plus general-protection (`40 1E 1D`), what a Gurux client proposes. */
const PROPOSED_CONFORMANCE_GENERAL_PROTECTION = Conformance.fromValue(0x401e1d);
const PUBLIC_PROPOSED_CONFORMANCE = Conformance.fromValue(0x401e5d);

export interface ConnectionOptions {
  host: string;
  port: number;
  framing: FramingKind;
  /** HDLC physical address and server address size. */
  physicalAddress?: number;
  hdlcAddressSize?: 1 | 2 | 4;
  /** Logical device, default 1. */
  serverAddress?: number;
  /** HDLC information field lengths to propose (default 128/128; the meter may lower them). */
  hdlcParameters?: { maxInfoTx?: number; maxInfoRx?: number };
  /** TCP connect (+ SNRM/UA). Default 10 s. */
  connectTimeoutMs?: number;
  /** Per APDU. Default 30 s (GXF uses 120 s). */
  responseTimeoutMs?: number;
  /** Most attributes per get-request-with-list; 1 = one GET per attribute (GXF WithListMax). Default 32. */
  withListMax?: number;
  /** Receive PDU size proposed in the InitiateRequest. Default 0xFFFF (as in docs/dlms.md#association-acse). */
  maxReceivePduSize?: number;
  /** Invoke-id-and-priority byte of every request. Default 0xC1 (jDLMS/GXF send 0x40 | id). */
  invokeIdAndPriority?: number;
  /** Test hook: replaces the TCP connect (e.g. a transport over an in-memory pair). */
  openTransport?: (o: ClientTransportOptions) => Promise<ApduTransport>;
  /**
   * Sees every APDU of the connection as it goes over the wire (ciphered APDUs as ciphered), in both directions,
   * after it was sent or received; for the device message log (src/platform/message-log.ts). It must not throw
   * or block. Absent (the default), the transport is used as it is.
   */
  apduObserver?: ApduObserver;
}

/** An observer of the APDUs of a connection: `incoming` = from the meter. */
export type ApduObserver = (apdu: Buffer, incoming: boolean) => void;

export interface ManagementOptions extends ConnectionOptions {
  /** Key for the invocation counter store (the gateway's device identification). */
  deviceId: string;
  /** 8 bytes; GXF: 20 20 20 + 5-byte number of the gateway identification (docs/dlms.md#roles-addresses-and-keys). */
  clientSystemTitle: Buffer;
  ek: Buffer;
  ak: Buffer;
  invocationCounters: InvocationCounterStore;
  /** Counters reserved per store write. Default 8. */
  counterBlock?: number;
  /** HLS challenge length 8..64. Default 16. */
  challengeLength?: number;
  /** Test hook: a fixed CtoS instead of a random one (reproduces the worked example of docs/dlms.md#association-acse). */
  challenge?: Buffer;
  /**
   * Propose general-protection and, when the meter grants it, send every request after the AARQ as
   * general-glo-ciphering (as a Gurux client does by default). Default false: glo-ciphering, as GXF. Responses in
   * either form are accepted whatever this says.
   */
  generalProtection?: boolean;
}

export interface AttributeRef {
  classId: number;
  obis: string | Obis;
  attributeId: number;
}

export interface MethodRef {
  classId: number;
  obis: string | Obis;
  methodId: number;
}

/** Text logical names are for diagnostic callers (the dlms command); the typed calls below carry 6 bytes. */
function obisOf(o: string | Obis): Obis {
  return typeof o === 'string' ? Obis.parse(o) : o;
}

function attr(a: AttributeRef): AttributeDescriptor {
  return { classId: a.classId, instance: obisOf(a.obis), attributeId: a.attributeId };
}

function method(m: MethodRef): MethodDescriptor {
  return { classId: m.classId, instance: obisOf(m.obis), methodId: m.methodId };
}

function describe(a: { classId: number; instance: Obis }, id: number): string {
  return `${a.classId}/${a.instance.toString()}/${id}`;
}

/** Non-success Data-Access-Result from GET or SET. */
export function dataAccessError(what: string, result: number): MeterfabricError {
  return sessionError(ErrorCode.DATA_ACCESS_RESULT, `${what}: ${dataAccessResultName(result)} (${result})`, { retryable: false, details: { result } });
}

/** Non-success Action-Result. */
export function actionError(what: string, result: number): MeterfabricError {
  return sessionError(ErrorCode.ACTION_RESULT, `${what}: ${actionResultName(result)} (${result})`, { retryable: false, details: { result } });
}

interface Ciphering {
  keys: CipheringKeys;
  clientTitle: Buffer;
  meterTitle: Buffer;
  /** Highest meter IC seen; responses must exceed it. */
  lastMeterIc: number;
  deviceId: string;
  store: InvocationCounterStore;
  block: number;
  /** Reserved, not yet used counters [next, end). */
  next: number;
  end: number;
  /** Requests go out as general-glo-ciphering (asked for and granted). */
  generalGlo: boolean;
}

/** An open association. */
export class DlmsSession {
  private released = false;

  private constructor(
    private readonly transport: ApduTransport,
    readonly clientAddress: number,
    readonly conformance: Conformance,
    readonly serverMaxReceivePduSize: number,
    private readonly options: ConnectionOptions,
    private readonly ciphering: Ciphering | undefined,
  ) {}

  /** The meter's system title from the AARE (management association). */
  get meterSystemTitle(): Buffer | undefined {
    return this.ciphering?.meterTitle;
  }

  get open(): boolean {
    return this.transport.open && !this.released;
  }

  /** Whether one get-request-with-list can carry several attributes. */
  get withListAllowed(): boolean {
    return this.conformance.has('multiple-references') && (this.options.withListMax ?? 32) > 1;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Opening

  /** Public client (SAP 16): no authentication, no ciphering. */
  static async openPublic(options: ConnectionOptions): Promise<DlmsSession> {
    const transport = await openTransport(options, PUBLIC_CLIENT);
    try {
      const initiate = new InitiateRequest({ proposedConformance: PUBLIC_PROPOSED_CONFORMANCE, clientMaxReceivePduSize: options.maxReceivePduSize ?? 0xffff });
      const aarq = new Aarq({ applicationContextName: ApplicationContextName.LN, userInformation: initiate.encode() });
      await transport.send(aarq.encode());
      const aare = decodeAare(await transport.receive(options.responseTimeoutMs ?? 30_000));
      if (!aare.accepted) throw associationRejected(aare);
      if (!aare.userInformation) throw illegalResponse('AARE without InitiateResponse');
      const ir = decodeInitiateResponse(aare.userInformation);
      return new DlmsSession(transport, PUBLIC_CLIENT, ir.negotiatedConformance, ir.serverMaxReceivePduSize, options, undefined);
    } catch (e) {
      transport.destroy();
      throw e;
    }
  }

  /**
   * Management client (SAP 1) with HLS5-GMAC. Reads the invocation counter through the public client when the
   * store does not know it, and once more (then retries once) when the meter rejects the AARQ permanently or
   * closes the connection during the association (GXF, docs/dlms.md#invocation-counters).
   */
  static async openManagement(options: ManagementOptions): Promise<DlmsSession> {
    if (options.clientSystemTitle.length !== 8) throw sessionError(ErrorCode.VALIDATION_ERROR, 'client system title must be 8 bytes', { retryable: false });
    if (options.ek.length !== 16 || options.ak.length !== 16) throw sessionError(ErrorCode.INVALID_KEY_FORMAT, 'EK and AK must be 16 bytes', { retryable: false });
    if ((await options.invocationCounters.get(options.deviceId)) === undefined) {
      await DlmsSession.synchroniseInvocationCounter(options);
    }
    try {
      return await DlmsSession.associateManagement(options);
    } catch (e) {
      if (!isInvocationCounterRejection(e)) throw e;
      log.info({ deviceId: options.deviceId, code: (e as MeterfabricError).code }, 'association refused: re-reading the invocation counter and trying once more');
      await DlmsSession.synchroniseInvocationCounter(options);
      return DlmsSession.associateManagement(options);
    }
  }

  /** Reads 0-0:43.1.0.255 through the public client and raises the stored counter to it (never lowers: 808). */
  static async synchroniseInvocationCounter(options: ManagementOptions): Promise<number> {
    const value = await readInvocationCounter(options);
    // The meter publishes the next counter it accepts (docs/dlms.md#invocation-counters); a stored value above it is kept.
    const stored = await options.invocationCounters.get(options.deviceId);
    if (stored === undefined || value > stored) await options.invocationCounters.raise(options.deviceId, value);
    log.debug({ deviceId: options.deviceId, meterInvocationCounter: value, stored }, 'invocation counter read through the public client');
    return value;
  }

  private static async associateManagement(options: ManagementOptions): Promise<DlmsSession> {
    const store = options.invocationCounters;
    const block = Math.max(3, options.counterBlock ?? 8);
    const { first, end } = await store.reserve(options.deviceId, block);
    const keys: CipheringKeys = { ek: options.ek, ak: options.ak };
    const ciphering: Ciphering = {
      keys,
      clientTitle: options.clientSystemTitle,
      meterTitle: Buffer.alloc(0),
      lastMeterIc: -1,
      deviceId: options.deviceId,
      store,
      block,
      next: first,
      end,
      generalGlo: false,
    };
    const transport = await openTransport(options, MANAGEMENT_CLIENT);
    try {
      const timeout = options.responseTimeoutMs ?? 30_000;
      const ctos = options.challenge ?? hlsChallenge(options.challengeLength ?? 16);
      const proposedConformance = options.generalProtection ? PROPOSED_CONFORMANCE_GENERAL_PROTECTION : PROPOSED_CONFORMANCE;
      const initiate = new InitiateRequest({ proposedConformance, clientMaxReceivePduSize: options.maxReceivePduSize ?? 0xffff });
      const icAarq = ciphering.next++;
      const aarq = new Aarq({
        applicationContextName: ApplicationContextName.LN_CIPHERED,
        callingApTitle: options.clientSystemTitle,
        authentication: true,
        mechanismName: MechanismName.HLS_GMAC,
        callingAuthenticationValue: ctos,
        userInformation: gloEncrypt(initiate.encode(), options.clientSystemTitle, icAarq, keys),
      });
      await transport.send(aarq.encode());
      const aare = decodeAare(await transport.receive(timeout));
      if (!aare.accepted) throw associationRejected(aare);
      if (!aare.authenticationRequired || !aare.respondingAuthenticationValue || !aare.respondingApTitle || aare.respondingApTitle.length !== 8) {
        throw authenticationError(`AARE ${aare.description} does not continue with HLS5-GMAC`);
      }
      if (!aare.userInformation) throw illegalResponse('AARE without user-information');
      ciphering.meterTitle = aare.respondingApTitle;
      if (aare.userInformation[0] === 0x0e) throw confirmedServiceError(ConfirmedServiceError.decode(aare.userInformation));
      const initRes = gloDecrypt(aare.userInformation, ciphering.meterTitle, keys);
      ciphering.lastMeterIc = initRes.invocationCounter;
      const ir = decodeInitiateResponse(initRes.plain);
      ciphering.generalGlo = options.generalProtection === true && ir.negotiatedConformance.has('general-protection');
      const session = new DlmsSession(transport, MANAGEMENT_CLIENT, ir.negotiatedConformance, ir.serverMaxReceivePduSize, options, ciphering);
      await session.replyToHlsAuthentication(aare.respondingAuthenticationValue, ctos);
      if (log.isLevelEnabled('debug')) {
        log.debug({ deviceId: options.deviceId, meterSystemTitle: ciphering.meterTitle.toString('hex').toUpperCase(), conformance: ir.negotiatedConformance.toString() }, 'management association open');
      }
      return session;
    } catch (e) {
      transport.destroy();
      throw e;
    }
  }

  /** HLS pass 3/4: class 15 method 1 with f(StoC) under IC N+1, carried by an APDU with IC N+2 (docs/dlms.md#hls5-gmac). */
  private async replyToHlsAuthentication(stoc: Buffer, ctos: Buffer): Promise<void> {
    const c = this.ciphering!;
    const icF = await this.nextCounter();
    const fStoC = hlsGmac({ challenge: stoc, systemTitle: c.clientTitle, invocationCounter: icF, keys: c.keys });
    let response: ActionResponseNormal;
    try {
      response = await this.actionRaw(
        { classId: AssociationLnClass.classId, instance: WellKnownObis.CURRENT_ASSOCIATION, methodId: AssociationLnClass.method.reply_to_HLS_authentication.id },
        { type: 'octet-string', value: fStoC },
      );
    } catch (e) {
      if (isMeterfabricError(e) && e.code === ErrorCode.SOCKET_CLOSED_BY_REMOTE) throw authenticationError('meter closed the connection at HLS pass 3', e);
      throw e;
    }
    const data = response.returnData;
    if (response.result !== 0 || !data || data.type !== 'octet-string') {
      throw authenticationError(`HLS authentication step 4 failed: ${actionResultName(response.result)}`);
    }
    if (!verifyHlsGmac(data.value, { challenge: ctos, systemTitle: c.meterTitle, keys: c.keys }).valid) throw authenticationError('HLS authentication step 4 failed: f(CtoS) from the meter does not verify');
  }

  // -------------------------------------------------------------------------------------------------------------
  // Services

  /**
   * GET one attribute, with selective access when given (a profile buffer's range or entry descriptor,
   * src/dlms/selective-access.ts); a non-success result throws DATA_ACCESS_RESULT (1100) with details.result.
   */
  async get(ref: AttributeRef, accessSelection?: AccessSelection): Promise<DlmsData> {
    const a = attr(ref);
    const r = await this.getOne(a, accessSelection);
    if (r.kind === 'error') throw dataAccessError(`GET ${describe(a, a.attributeId)}`, r.result);
    return r.data;
  }

  /**
   * GET several attributes: get-request-with-list in chunks of WithListMax when multiple-references was
   * negotiated, one GET each otherwise. Results come back per attribute (data or Data-Access-Result).
   */
  async getMany(refs: AttributeRef[]): Promise<GetDataResult[]> {
    const attrs = refs.map(attr);
    if (attrs.length === 1 || !this.withListAllowed) {
      const out: GetDataResult[] = [];
      for (const a of attrs) out.push(await this.getOne(a));
      return out;
    }
    const max = this.options.withListMax ?? 32;
    const out: GetDataResult[] = [];
    for (let i = 0; i < attrs.length; i += max) {
      const chunk = attrs.slice(i, i + max);
      if (chunk.length === 1) {
        out.push(await this.getOne(chunk[0]));
        continue;
      }
      const inv = this.nextInvokeId();
      const resp = await this.request(new GetRequestWithList({ invokeIdAndPriority: inv, attributes: chunk.map((attribute) => ({ attribute })) }).encode(), inv);
      let listApdu = resp;
      if (resp[0] === 0xc4 && resp[1] === 0x02) {
        // A long answer comes in blocks whose raw data is the answer's list of results (IEC 62056-5-3 GET service).
        const raw = await this.readBlocks(resp);
        if (raw.kind === 'error') throw illegalResponse(`get-request-with-list answered by a block transfer that failed: ${raw.result}`);
        listApdu = Buffer.concat([Buffer.from([0xc4, 0x03, inv]), raw.data]);
      } else if (resp[0] !== 0xc4 || resp[1] !== 0x03) throw illegalResponse(`get-request-with-list answered with 0x${resp.subarray(0, 2).toString('hex')}`);
      const list = decodeOr(() => GetResponseWithList.decode(listApdu));
      if (list.results.length !== chunk.length) throw illegalResponse(`get-response-with-list has ${list.results.length} results for ${chunk.length} attributes`);
      out.push(...list.results);
    }
    return out;
  }

  /** GET one attribute with an access selection (a profile generic buffer by range or entry); the result as sent. */
  async getSelected(ref: AttributeRef, accessSelection: AccessSelection): Promise<GetDataResult> {
    return this.getOne(attr(ref), accessSelection);
  }

  private async getOne(a: AttributeDescriptor, accessSelection?: AccessSelection): Promise<GetDataResult> {
    const inv = this.nextInvokeId();
    let resp = await this.request(new GetRequestNormal({ invokeIdAndPriority: inv, attribute: a, ...(accessSelection ? { accessSelection } : {}) }).encode(), inv);
    if (resp[0] === 0xc4 && resp[1] === 0x01) return decodeOr(() => GetResponseNormal.decode(resp)).result;
    if (resp[0] !== 0xc4 || resp[1] !== 0x02) throw illegalResponse(`GET ${describe(a, a.attributeId)} answered with 0x${resp.subarray(0, 2).toString('hex')}`);
    const raw = await this.readBlocks(resp);
    return raw.kind === 'error' ? raw : { kind: 'data', data: decodeOr(() => decodeDataExact(raw.data)) };
  }

  /**
   * Block transfer (docs/dlms.md#block-transfer) from its first get-response-with-datablock: acknowledge block n with
   * get-request-next(n) and concatenate the raw data; a Data-Access-Result in a block ends it.
   */
  private async readBlocks(first: Buffer): Promise<{ kind: 'data'; data: Buffer } | { kind: 'error'; result: number }> {
    let resp = first;
    const blocks: Buffer[] = [];
    let size = 0;
    let expected = 1;
    while (true) {
      const b = decodeOr(() => GetResponseWithDataBlock.decode(resp));
      if (b.result.kind === 'error') return { kind: 'error', result: b.result.result };
      if (b.blockNumber !== expected) throw illegalResponse(`block transfer: block ${b.blockNumber}, expected ${expected}`);
      blocks.push(b.result.data);
      size += b.result.data.length;
      if (size > 16 * 1024 * 1024) throw illegalResponse('block transfer larger than 16 MiB');
      if (b.lastBlock) break;
      const nextInv = this.nextInvokeId();
      resp = await this.request(new GetRequestNext({ invokeIdAndPriority: nextInv, blockNumber: b.blockNumber }).encode(), nextInv);
      if (resp[0] !== 0xc4 || resp[1] !== 0x02) throw illegalResponse('block transfer interrupted by a different response');
      expected++;
    }
    return { kind: 'data', data: Buffer.concat(blocks, size) };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Through the class declarations (src/cosem): ids and types come from the declaration, values come back typed.

  /** GET one attribute by its declared name; the value as the declaration types it (another type: ILLEGAL_RESPONSE). */
  async read<C extends InterfaceClass, N extends AttributeName<C>>(cls: C, obis: Obis, name: N): Promise<AttributeValue<C, N>> {
    const def = (cls.attribute as Record<string, AttributeDef>)[name]!;
    const data = await this.get({ classId: cls.classId, obis, attributeId: def.id });
    return decodeOr(() => valueOf(def.type, data, `${cls.name} ${obis.toString()} ${name}`)) as AttributeValue<C, N>;
  }

  /**
   * GET several attributes of one object (one get-request-with-list when allowed). Per attribute: its typed value,
   * null when the meter sent null-data, or the Data-Access-Result.
   */
  async readList<C extends InterfaceClass, const Ns extends readonly AttributeName<C>[]>(
    cls: C,
    obis: Obis,
    names: Ns,
  ): Promise<{ [I in keyof Ns]: { kind: 'data'; value: AttributeValue<C, Ns[I]> | null } | { kind: 'error'; result: number } }> {
    const defs = names.map((n) => (cls.attribute as Record<string, AttributeDef>)[n]!);
    const results = await this.getMany(defs.map((d) => ({ classId: cls.classId, obis, attributeId: d.id })));
    return results.map((r, i) => {
      if (r.kind === 'error') return r;
      if (r.data.type === 'null-data') return { kind: 'data', value: null };
      return { kind: 'data', value: decodeOr(() => valueOf(defs[i]!.type, r.data, `${cls.name} ${obis.toString()} ${names[i]}`)) };
    }) as never;
  }

  /** SET one attribute by its declared name; the value is coded as declared. */
  async write<C extends InterfaceClass, N extends AttributeName<C>>(cls: C, obis: Obis, name: N, value: AttributeValue<C, N>): Promise<void> {
    const def = (cls.attribute as Record<string, AttributeDef>)[name]!;
    await this.set({ classId: cls.classId, obis, attributeId: def.id }, dataOf(def.type, value as never, `${cls.name} ${name}`)!);
  }

  /** ACTION by the method's declared name with its declared parameter type; resolves with the return data, if any. */
  async invoke<C extends InterfaceClass, N extends MethodName<C>>(cls: C, obis: Obis, name: N, parameter: MethodParameter<C, N>): Promise<DlmsData | undefined> {
    const def = (cls.method as Record<string, MethodDef>)[name]!;
    return this.action({ classId: cls.classId, obis, methodId: def.id }, dataOf(def.parameter, parameter as never, `${cls.name} ${name}`));
  }

  /** SET one attribute; non-success throws DATA_ACCESS_RESULT (1100). */
  async set(ref: AttributeRef, value: DlmsData): Promise<void> {
    const a = attr(ref);
    const inv = this.nextInvokeId();
    const resp = await this.request(new SetRequestNormal({ invokeIdAndPriority: inv, attribute: a, value }).encode(), inv);
    const r = decodeOr(() => SetResponseNormal.decode(resp));
    if (r.result !== 0) throw dataAccessError(`SET ${describe(a, a.attributeId)}`, r.result);
  }

  /**
   * SET several attributes: set-request-with-list in chunks of WithListMax when multiple-references was negotiated,
   * one SET each otherwise. Resolves with one Data-Access-Result per attribute, in order (0 = success); a refusal
   * does not throw, the caller decides what a partial write means.
   */
  async setMany(writes: { ref: AttributeRef; value: DlmsData }[]): Promise<number[]> {
    const all = writes.map((w) => ({ attribute: attr(w.ref), value: w.value }));
    const out: number[] = [];
    const max = this.withListAllowed ? (this.options.withListMax ?? 32) : 1;
    for (let i = 0; i < all.length; i += max) {
      const chunk = all.slice(i, i + max);
      const inv = this.nextInvokeId();
      if (chunk.length === 1) {
        const resp = await this.request(new SetRequestNormal({ invokeIdAndPriority: inv, attribute: chunk[0]!.attribute, value: chunk[0]!.value }).encode(), inv);
        out.push(decodeOr(() => SetResponseNormal.decode(resp)).result);
        continue;
      }
      const req = new SetRequestWithList({ invokeIdAndPriority: inv, attributes: chunk.map((w) => ({ attribute: w.attribute })), values: chunk.map((w) => w.value) });
      const resp = await this.request(req.encode(), inv);
      const list = decodeOr(() => SetResponseWithList.decode(resp));
      if (list.results.length !== chunk.length) throw illegalResponse(`set-response-with-list has ${list.results.length} results for ${chunk.length} attributes`);
      out.push(...list.results);
    }
    return out;
  }

  /** ACTION; non-success throws ACTION_RESULT (1101) with details.result. Resolves with the return data, if any. */
  async action(ref: MethodRef, parameters?: DlmsData): Promise<DlmsData | undefined> {
    const m = method(ref);
    const r = await this.actionRaw(m, parameters);
    if (r.result !== 0) throw actionError(`ACTION ${describe(m, m.methodId)}`, r.result);
    if (r.returnParameters?.kind === 'error') throw dataAccessError(`ACTION ${describe(m, m.methodId)} return`, r.returnParameters.result);
    return r.returnData;
  }

  private async actionRaw(m: MethodDescriptor, parameters?: DlmsData): Promise<ActionResponseNormal> {
    const inv = this.nextInvokeId();
    const resp = await this.request(new ActionRequestNormal({ invokeIdAndPriority: inv, method: m, parameters }).encode(), inv);
    return decodeOr(() => ActionResponseNormal.decode(resp));
  }

  /**
   * RLRQ (plain, reason normal — docs/dlms.md#association-acse) and close. The RLRE is awaited only briefly and parsed
   * leniently; the transport is closed in every case.
   */
  async release(waitMs = 500): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if (this.transport.open) {
        await this.transport.send(new Rlrq().encode());
        await this.transport.receive(waitMs).catch(() => undefined);
      }
    } catch {
      // The association ends either way.
    } finally {
      await this.transport.close();
    }
  }

  /**
   * Uses new EK and/or AK from the next APDU on, after a successful security setup global_key_transfer: the
   * response to the transfer itself still came under the old key (docs/dlms.md#global-key-transfer-class-64).
   */
  switchKeys(keys: { ek?: Buffer; ak?: Buffer }): void {
    const c = this.ciphering;
    if (!c) throw sessionError(ErrorCode.INTERNAL_ERROR, 'the public client has no keys', { retryable: false });
    // A new EK restarts the meter's own counter (it belongs to the key, docs/dlms.md#global-key-transfer-class-64):
    // responses under the new key are checked against the counters seen under it only.
    if (keys.ek && !keys.ek.equals(c.keys.ek)) c.lastMeterIc = -1;
    c.keys = { ek: keys.ek ?? c.keys.ek, ak: keys.ak ?? c.keys.ak };
  }

  /** Closes without RLRQ. */
  destroy(): void {
    this.released = true;
    this.transport.destroy();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Exchange

  /** Invoke-id-and-priority: high priority, confirmed, id 1 (`C1`, docs/dlms.md#xdlms-services); responses must echo the id. */
  private nextInvokeId(): number {
    return this.options.invokeIdAndPriority ?? 0xc1;
  }

  private async nextCounter(): Promise<number> {
    const c = this.ciphering!;
    if (c.next >= c.end) {
      const b = await c.store.reserve(c.deviceId, c.block);
      c.next = b.first;
      c.end = b.end;
    }
    return c.next++;
  }

  /** Sends one plain xDLMS request (ciphering it for the management client) and returns the plain response. */
  private async request(plain: Buffer, invokeIdAndPriority: number): Promise<Buffer> {
    if (this.released) throw sessionError(ErrorCode.SOCKET_CLOSED_BY_REMOTE, 'association already released');
    const c = this.ciphering;
    const timeout = this.options.responseTimeoutMs ?? 30_000;
    let wire = plain;
    // A counter from the reserved block needs no await; the store is asked only when the block is used up.
    if (c) {
      const invocationCounter = c.next < c.end ? c.next++ : await this.nextCounter();
      wire = c.generalGlo
        ? generalGloEncrypt({ plaintext: plain, systemTitle: c.clientTitle, invocationCounter, keys: c.keys })
        : gloEncrypt(plain, c.clientTitle, invocationCounter, c.keys);
    }
    if (wire.length > this.serverMaxReceivePduSize && this.serverMaxReceivePduSize > 0) {
      throw sessionError(ErrorCode.ENCODE_ERROR, `APDU of ${wire.length} bytes exceeds the meter's max receive PDU size ${this.serverMaxReceivePduSize}`, { retryable: false });
    }
    const started = performance.now();
    await this.transport.send(wire);
    const raw = await this.transport.receive(timeout);
    metrics.meterRoundTrip.observe((performance.now() - started) / 1000);
    let resp = raw;
    if (c) {
      if (raw[0] === 0xd8) throw exceptionError(decodeOr(() => ExceptionResponse.decode(raw)));
      const d = raw[0] === GENERAL_GLO_CIPHERING_TAG || raw[0] === GENERAL_DED_CIPHERING_TAG ? generalDecrypt(raw, c.meterTitle, c.keys) : gloDecrypt(raw, c.meterTitle, c.keys);
      if (d.invocationCounter <= c.lastMeterIc) {
        throw illegalResponse(`meter invocation counter ${d.invocationCounter} does not exceed ${c.lastMeterIc}: replayed response refused`);
      }
      c.lastMeterIc = d.invocationCounter;
      resp = d.plain;
    }
    if (resp.length < 3) throw illegalResponse(`response of ${resp.length} byte(s)`);
    if (resp[0] === 0xd8) throw exceptionError(decodeOr(() => ExceptionResponse.decode(resp)));
    if (resp[0] === 0x0e) throw confirmedServiceError(decodeOr(() => ConfirmedServiceError.decode(resp)));
    const expectedTag = (plain[0] ?? 0) + 4;
    if (resp[0] !== expectedTag) throw illegalResponse(`response tag 0x${resp[0].toString(16)} to request 0x${plain[0].toString(16)}`);
    if ((resp[2] & 0x0f) !== (invokeIdAndPriority & 0x0f)) throw illegalResponse(`invoke id ${resp[2] & 0x0f} in the response, expected ${invokeIdAndPriority & 0x0f}`);
    return resp;
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function openTransport(options: ConnectionOptions, clientAddress: number): Promise<ApduTransport> {
  const o: ClientTransportOptions = {
    host: options.host,
    port: options.port,
    framing: options.framing,
    clientAddress,
    serverAddress: options.serverAddress ?? 1,
    physicalAddress: options.physicalAddress,
    hdlcAddressSize: options.hdlcAddressSize,
    hdlcParameters: options.hdlcParameters,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  };
  const t = await (options.openTransport ?? connectClientTransport)(o);
  return countedTransport(options.apduObserver ? observedTransport(t, options.apduObserver) : t);
}

/** Tells `observer` of every APDU sent and received; an observer that throws is ignored. */
function observedTransport(t: ApduTransport, observer: ApduObserver): ApduTransport {
  const see = (apdu: Buffer, incoming: boolean) => {
    try {
      observer(apdu, incoming);
    } catch (e) {
      log.warn({ err: e }, 'APDU observer failed');
    }
  };
  const send = t.send.bind(t);
  const receive = t.receive.bind(t);
  t.send = async (apdu) => {
    await send(apdu);
    see(apdu, false);
  };
  t.receive = async (timeoutMs) => {
    const apdu = await receive(timeoutMs);
    see(apdu, true);
    return apdu;
  };
  return t;
}

/** Keeps the open-connections gauge right whichever way the transport ends (close, destroy, or the peer). */
function countedTransport(t: ApduTransport): ApduTransport {
  metrics.openMeterConnections.inc();
  const state = { counted: true };
  const close = t.close.bind(t);
  const destroy = t.destroy.bind(t);
  t.close = async () => {
    try {
      await close();
    } finally {
      uncount(state);
    }
  };
  t.destroy = () => {
    destroy();
    uncount(state);
  };
  return t;
}

function uncount(state: { counted: boolean }): void {
  if (state.counted) {
    state.counted = false;
    metrics.openMeterConnections.dec();
  }
}

/** Reads the invocation counter object through a short public association. */
export async function readInvocationCounter(options: ConnectionOptions): Promise<number> {
  const s = await DlmsSession.openPublic(options);
  try {
    const v = await s.get({ classId: DataClass.classId, obis: WellKnownObis.INVOCATION_COUNTER, attributeId: DataClass.attribute.value.id });
    if (v.type !== 'double-long-unsigned') throw illegalResponse(`invocation counter object holds ${v.type}, expected double-long-unsigned`);
    return v.value;
  } finally {
    await s.release();
  }
}

function gloEncrypt(plaintext: Buffer, systemTitle: Buffer, invocationCounter: number, keys: CipheringKeys): Buffer {
  return gloEncryptApdu({ plaintext, systemTitle, invocationCounter, keys });
}

/** Deciphers a response; a malformed container is an illegal response, a tag that does not verify UNABLE_TO_DECYPHER (230). */
function gloDecrypt(apdu: Buffer, systemTitle: Buffer, keys: CipheringKeys): { plain: Buffer; invocationCounter: number } {
  const d = decodeOr(() => gloDecryptApdu(apdu, { systemTitle, keys }));
  return { plain: d.plaintext, invocationCounter: d.invocationCounter };
}

/**
 * Deciphers a general-glo-ciphering response (a meter may answer so, whatever the request's form). It must come
 * from the meter of the AARE: another system title, or general-ded-ciphering (this client sends no dedicated key),
 * is an illegal response.
 */
function generalDecrypt(apdu: Buffer, meterTitle: Buffer, keys: CipheringKeys): { plain: Buffer; invocationCounter: number } {
  if (apdu[0] === GENERAL_DED_CIPHERING_TAG) throw illegalResponse('general-ded-ciphering response, but no dedicated key was agreed');
  const g = decodeOr(() => GeneralGloCiphering.decode(apdu));
  if (g.systemTitle.length !== 0 && !g.systemTitle.equals(meterTitle)) {
    throw illegalResponse(`general-glo-ciphering response from system title ${g.systemTitle.toString('hex').toUpperCase()}, not the meter's`);
  }
  const d = decodeOr(() => generalGloDecrypt(g, { systemTitle: meterTitle, keys }));
  return { plain: d.plaintext, invocationCounter: d.invocationCounter };
}

function decodeOr<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isMeterfabricError(e) && e.code === ErrorCode.DECODE_ERROR) throw illegalResponse(e.message, e);
    throw e;
  }
}

function decodeAare(bytes: Buffer): Aare {
  if (bytes[0] === 0xd8) throw exceptionError(decodeOr(() => ExceptionResponse.decode(bytes)));
  if (bytes[0] !== 0x61) throw illegalResponse(`expected an AARE, got tag 0x${(bytes[0] ?? 0).toString(16)}`);
  return decodeOr(() => Aare.decode(bytes));
}

function decodeInitiateResponse(bytes: Buffer): InitiateResponse {
  if (bytes[0] === 0x0e) throw confirmedServiceError(decodeOr(() => ConfirmedServiceError.decode(bytes)));
  return decodeOr(() => InitiateResponse.decode(bytes));
}

function associationRejected(aare: Aare): MeterfabricError {
  const d = aare.resultSourceDiagnostic;
  const authFailure = d.source === 'acse-service-user' && d.value === AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE;
  const code = authFailure ? ErrorCode.AUTHENTICATION_ERROR : ErrorCode.ASSOCIATION_REJECTED;
  return sessionError(code, `association rejected: ${aare.description}`, {
    retryable: aare.result === AssociationResult.REJECTED_TRANSIENT,
    details: { result: aare.result, diagnosticSource: d.source, diagnostic: d.value },
  });
}

/**
 * What GXF takes for an invocation counter out of sync: AARE rejected-permanent with an acse-service-user
 * diagnostic other than authentication-failure, or the socket closed by the meter (docs/dlms.md#invocation-counters, #errors-and-rejects).
 */
export function isInvocationCounterRejection(e: unknown): boolean {
  if (!isMeterfabricError(e)) return false;
  if (e.code === ErrorCode.SOCKET_CLOSED_BY_REMOTE) return true;
  return e.code === ErrorCode.ASSOCIATION_REJECTED && e.details?.result === AssociationResult.REJECTED_PERMANENT;
}

function exceptionError(x: ExceptionResponse): MeterfabricError {
  if (x.serviceError === 5) return unableToDecipher(`meter could not decipher the request: ${x.description}`);
  return sessionError(ErrorCode.EXCEPTION_RESPONSE, `exception-response: ${x.description}`, { retryable: false, details: { stateError: x.stateError, serviceError: x.serviceError } });
}

function confirmedServiceError(x: ConfirmedServiceError): MeterfabricError {
  return sessionError(ErrorCode.CONFIRMED_SERVICE_ERROR, `confirmed-service-error: ${x.description}`, { retryable: false, details: { service: x.service, errorClass: x.errorClass, value: x.value } });
}

