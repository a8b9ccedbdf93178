/**
 * One client connection to a simulated meter: ACSE association (public client 16 without security, management
 * client 1 with HLS5-GMAC and glo-ciphering), invocation counter checks, GET/SET/ACTION dispatch, release, block
 * transfer for long GET responses, and fault injection (docs/dlms.md).
 */
import { encodeData } from '../dlms/axdr.ts';
import {
  Aare,
  Aarq,
  AcseServiceUserDiagnostic,
  ActionRequestNormal,
  ActionResponseNormal,
  ActionResult,
  ApplicationContextName,
  AssociationResult,
  Conformance,
  DataAccessResult,
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
  Rlre,
  SetRequestNormal,
  SetRequestWithList,
  SetResponseNormal,
  SetResponseWithList,
  ServiceError,
  StateError,
  type GetDataResult,
  type AccessSelection,
  type AttributeDescriptor,
} from '../dlms/apdu/index.ts';
import { splitIntoDataBlocks } from '../dlms/apdu/block-transfer.ts';
import { GENERAL_DED_CIPHERING_TAG, GENERAL_GLO_CIPHERING_TAG, GeneralGloCiphering, GloCipheredApdu, PLAIN_TAG_FOR } from '../dlms/apdu/ciphered.ts';
import { generalGloDecrypt, generalGloEncrypt, gloEncrypt, gloUnprotect, hlsChallenge, verifyHlsGmac, hlsGmac, type CipheringKeys } from '../dlms/security/index.ts';
import type { ApduTransport } from '../transport/transport.ts';
import { getAttribute, invokeMethod, setAttribute, type ObjectContext } from './objects.ts';
import { AssociationLnClass, WellKnownObis } from '../cosem/index.ts';
import type { MeterState } from './meter.ts';
import type { LineFault } from './firmware.ts';

/** What the simulated meter supports: `40 1E 1D` (docs/dlms.md#initiate-and-conformance). */
export const METER_CONFORMANCE = Conformance.fromValue(0x401e1d);
const SERVER_MAX_RECEIVE_PDU = 0xffff;

/** Fault injection (issue 2, scope 5). APDU numbers count the APDUs received on one connection, from 1. */
export interface FaultPlan {
  /** Delay before every response. */
  latencyMs?: number;
  /** Close the connection (no answer) when the Nth APDU arrives. */
  dropAfterApdus?: number;
  /**
   * Process the Nth APDU completely (an ACTION takes effect, new keys included) and then close the connection
   * without answering: the "applied, but the response was lost" window.
   */
  dropAfterProcessing?: number;
  /** Answer ACTION on this method with this Action-Result. */
  methodError?: { classId: number; obis: string; methodId: number; result: number };
  /** Answer GET of this attribute (alone or in a list) with this Data-Access-Result. */
  getError?: { classId: number; obis: string; attributeId: number; result: number };
  /** From the Nth APDU on, answer with bytes that are no valid APDU. */
  garbageFrom?: number;
  /** From the Nth APDU on, answer nothing. */
  silentFrom?: number;
}

export interface MeterHooks {
  /** Called whenever meter state changed (for the state file). */
  changed?: () => void;
  now?: () => Date;
  /**
   * Answer every ciphered request of the management client with general-glo-ciphering, whatever was negotiated
   * (a meter a client must still understand). Without it every response takes the form of its request.
   */
  generalGloResponses?: boolean;
}

/** How a request of the management client was protected; its response is protected the same way. */
type Protection = 'glo' | 'general-glo' | 'general-ded';

type AssociationState =
  | { kind: 'none' }
  | { kind: 'public'; conformance: Conformance; clientMaxPdu: number }
  | { kind: 'awaiting-hls'; clientTitle: Buffer; ctos: Buffer; stoc: Buffer; aarqIc: number; conformance: Conformance; clientMaxPdu: number; dedicatedKey?: Buffer }
  | { kind: 'management'; clientTitle: Buffer; conformance: Conformance; clientMaxPdu: number; dedicatedKey?: Buffer };

const GARBAGE = Buffer.from([0xc4, 0x01, 0xc1, 0x00, 0x09, 0x85]);

/** Serves one connection until it closes. Never throws. */
export async function serveConnection(transport: ApduTransport, meter: MeterState, faults: FaultPlan | (() => FaultPlan), hooks: MeterHooks = {}): Promise<void> {
  const conn = new MeterConnection(transport, meter, typeof faults === 'function' ? faults : () => faults, hooks);
  await conn.run();
}

class MeterConnection {
  private association: AssociationState = { kind: 'none' };
  private received = 0;
  /** A long GET in progress: its blocks (src/dlms/apdu/block-transfer.ts) and how many went out. */
  private pendingBlocks: { blocks: GetResponseWithDataBlock[]; sent: number } | undefined;

  constructor(
    private readonly transport: ApduTransport,
    private readonly meter: MeterState,
    private readonly faultPlan: () => FaultPlan,
    private readonly hooks: MeterHooks,
  ) {}

  async run(): Promise<void> {
    try {
      while (true) {
        const apdu = await this.transport.next();
        if (!apdu) return; // the client closed the connection
        this.received++;
        const f = this.faults;
        if (f.dropAfterApdus !== undefined && this.received >= f.dropAfterApdus) {
          this.transport.destroy();
          return;
        }
        if (f.silentFrom !== undefined && this.received >= f.silentFrom) continue;
        let reply: Buffer | undefined;
        let after: (() => void) | undefined;
        if (f.garbageFrom !== undefined && this.received >= f.garbageFrom) {
          reply = GARBAGE;
        } else {
          const r = this.handle(apdu);
          if (r === 'close') {
            this.transport.destroy();
            return;
          }
          reply = r?.reply;
          after = r?.after;
          // An image transfer fault (./firmware.ts): the line closes, with or without the block kept, or garbage answers.
          if (r?.line === 'drop' || r?.line === 'drop-after') {
            this.hooks.changed?.();
            this.transport.destroy();
            return;
          }
          if (r?.line === 'garbage') reply = GARBAGE;
        }
        if (f.dropAfterProcessing !== undefined && this.received >= f.dropAfterProcessing) {
          if (after) {
            after();
            this.hooks.changed?.();
          }
          this.transport.destroy();
          return;
        }
        if (f.latencyMs) await new Promise((res) => setTimeout(res, f.latencyMs));
        if (reply && this.transport.open) await this.transport.send(reply);
        if (after) {
          after();
          this.hooks.changed?.();
        }
      }
    } catch {
      // The client went away (or sent something that ended the transport): nothing to answer.
      this.transport.destroy();
    }
  }

  /** Read for every APDU, so that a test can change the plan of a running meter. */
  private get faults(): FaultPlan {
    return this.faultPlan();
  }

  private get sap(): number {
    return this.transport.clientAddress ?? 0;
  }

  private ctx(): ObjectContext {
    return { meter: this.meter, clientSap: this.sap, now: this.hooks.now ?? (() => new Date()) };
  }

  private handle(apdu: Buffer): { reply?: Buffer; after?: () => void; line?: LineFault } | 'close' | undefined {
    const tag = apdu[0];
    if (tag === 0x60) return { reply: this.onAarq(apdu) };
    if (tag === 0x62) {
      this.association = { kind: 'none' };
      return { reply: new Rlre().encode() };
    }
    const a = this.association;
    if (a.kind === 'none') return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE) };
    if (a.kind === 'public') {
      if (tag !== 0xc0 && tag !== 0xc1 && tag !== 0xc3) return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED) };
      const r = this.service(apdu, a.clientMaxPdu);
      return r && { reply: r.reply, after: r.after };
    }
    // Management client: every request ciphered with a fresh counter — glo-ciphered, or general-glo-/general-ded-
    // ciphering when general-protection was negotiated (a Gurux client uses those as soon as the AARE grants it).
    const general = tag === GENERAL_GLO_CIPHERING_TAG || tag === GENERAL_DED_CIPHERING_TAG;
    if (general && !a.conformance.has('general-protection')) return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED) };
    if (tag === GENERAL_DED_CIPHERING_TAG && a.dedicatedKey === undefined) return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED) };
    if (!general && (!PLAIN_TAG_FOR.has(tag ?? 0) || tag === 0x21)) return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE) };
    let invocationCounter: number;
    let plain: Buffer;
    let protection: Protection;
    try {
      if (general) {
        const g = GeneralGloCiphering.decode(apdu);
        // The client's title from the AARQ; an APDU may leave it out (length 0), but must not name another sender.
        if (g.systemTitle.length !== 0 && !g.systemTitle.equals(a.clientTitle)) throw new Error('another sender');
        invocationCounter = g.invocationCounter;
        if (invocationCounter <= this.meter.lastClientIc) return 'close';
        protection = tag === GENERAL_DED_CIPHERING_TAG ? 'general-ded' : 'general-glo';
        plain = generalGloDecrypt(g, { systemTitle: a.clientTitle, keys: this.keysFor(protection, a.dedicatedKey) }).plaintext;
      } else {
        const glo = GloCipheredApdu.decode(apdu);
        invocationCounter = glo.invocationCounter;
        if (invocationCounter <= this.meter.lastClientIc) return 'close'; // stale IC in a later APDU (docs/dlms.md#errors-and-rejects)
        protection = 'glo';
        plain = gloUnprotect({ content: glo.content, securityControl: glo.securityControl, systemTitle: a.clientTitle, invocationCounter, keys: this.keys });
        if (plain[0] !== PLAIN_TAG_FOR.get(glo.tag)) throw new Error('tag mismatch');
      }
    } catch {
      return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.DECIPHERING_ERROR) };
    }
    this.meter.lastClientIc = invocationCounter;
    this.hooks.changed?.();
    if (protection === 'glo' && this.hooks.generalGloResponses) protection = 'general-glo';
    if (a.kind === 'awaiting-hls') return { reply: this.protect(this.onHlsPass3(plain, a), protection, a.dedicatedKey) };
    const r = this.service(plain, a.clientMaxPdu);
    if (!r) return undefined;
    return { reply: this.protect(r.reply, protection, a.dedicatedKey), after: r.after, line: r.line };
  }

  private get keys(): CipheringKeys {
    return { ek: this.meter.keys.ek, ak: this.meter.keys.ak };
  }

  private nextMeterIc(): number {
    const ic = this.meter.meterIc;
    this.meter.meterIc = ic + 1;
    return ic;
  }

  /** general-ded-ciphering enciphers with the dedicated key of the association; AK stays the global one. */
  private keysFor(protection: Protection, dedicatedKey: Buffer | undefined): CipheringKeys {
    return protection === 'general-ded' && dedicatedKey ? { ek: dedicatedKey, ak: this.meter.keys.ak } : this.keys;
  }

  private protect(plain: Buffer, protection: Protection = 'glo', dedicatedKey?: Buffer): Buffer {
    const p = { plaintext: plain, systemTitle: this.meter.systemTitle, invocationCounter: this.nextMeterIc(), keys: this.keysFor(protection, dedicatedKey) };
    if (protection === 'glo') return gloEncrypt(p);
    return generalGloEncrypt({ ...p, dedicated: protection === 'general-ded' });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Association

  private onAarq(bytes: Buffer): Buffer {
    let aarq: Aarq;
    try {
      aarq = Aarq.decode(bytes);
    } catch {
      return reject(ApplicationContextName.LN, AcseServiceUserDiagnostic.NO_REASON_GIVEN);
    }
    this.association = { kind: 'none' };
    this.pendingBlocks = undefined;
    if (this.sap === 16) return this.publicAarq(aarq);
    if (this.sap === 1) return this.managementAarq(aarq);
    return reject(aarq.applicationContextName, AcseServiceUserDiagnostic.CALLING_AP_TITLE_NOT_RECOGNIZED);
  }

  private publicAarq(aarq: Aarq): Buffer {
    if (aarq.applicationContextName !== ApplicationContextName.LN) return reject(aarq.applicationContextName, AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED);
    if (aarq.mechanismName !== undefined && aarq.mechanismName !== MechanismName.NONE) return reject(ApplicationContextName.LN, AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED);
    let ir: InitiateRequest;
    try {
      ir = InitiateRequest.decode(aarq.userInformation ?? Buffer.alloc(0));
    } catch {
      return reject(ApplicationContextName.LN, AcseServiceUserDiagnostic.NO_REASON_GIVEN);
    }
    const conformance = ir.proposedConformance.intersect(METER_CONFORMANCE);
    this.association = { kind: 'public', conformance, clientMaxPdu: ir.clientMaxReceivePduSize || 0xffff };
    const resp = new InitiateResponse({ negotiatedConformance: conformance, serverMaxReceivePduSize: SERVER_MAX_RECEIVE_PDU, vaaName: 0x0007 });
    return new Aare({
      applicationContextName: ApplicationContextName.LN,
      result: AssociationResult.ACCEPTED,
      resultSourceDiagnostic: { source: 'acse-service-user', value: AcseServiceUserDiagnostic.NULL },
      userInformation: resp.encode(),
    }).encode();
  }

  private managementAarq(aarq: Aarq): Buffer {
    const ctx = ApplicationContextName.LN_CIPHERED;
    if (aarq.applicationContextName !== ctx) return reject(aarq.applicationContextName, AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED);
    if (aarq.mechanismName !== MechanismName.HLS_GMAC) return reject(ctx, AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED);
    const title = aarq.callingApTitle;
    const ctos = aarq.callingAuthenticationValue;
    const ui = aarq.userInformation;
    if (!title || title.length !== 8 || !ctos || ctos.length < 8 || ctos.length > 64 || !ui || ui[0] !== 0x21) {
      return reject(ctx, AcseServiceUserDiagnostic.NO_REASON_GIVEN);
    }
    let glo: GloCipheredApdu;
    let ir: InitiateRequest;
    try {
      glo = GloCipheredApdu.decode(ui);
      if (glo.securityControl !== 0x30) return reject(ctx, AcseServiceUserDiagnostic.NO_REASON_GIVEN);
      const plain = gloUnprotect({ content: glo.content, securityControl: glo.securityControl, systemTitle: title, invocationCounter: glo.invocationCounter, keys: this.keys });
      ir = InitiateRequest.decode(plain);
    } catch {
      // Wrong EK/AK: the glo-initiate-request does not decipher (docs/dlms.md#errors-and-rejects).
      return reject(ctx, AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE);
    }
    // A stale client counter gets rejected-permanent, no-reason-given (docs/dlms.md#association-acse, #invocation-counters).
    if (glo.invocationCounter <= this.meter.lastClientIc) return reject(ctx, AcseServiceUserDiagnostic.NO_REASON_GIVEN);
    this.meter.lastClientIc = glo.invocationCounter;
    const conformance = ir.proposedConformance.intersect(METER_CONFORMANCE);
    const stoc = hlsChallenge(16);
    // A dedicated key (xDLMS InitiateRequest) serves general-ded-ciphering in this association.
    const dedicatedKey = ir.dedicatedKey?.length === 16 ? Buffer.from(ir.dedicatedKey) : undefined;
    this.association = { kind: 'awaiting-hls', clientTitle: title, ctos, stoc, aarqIc: glo.invocationCounter, conformance, clientMaxPdu: ir.clientMaxReceivePduSize || 0xffff, dedicatedKey };
    const resp = new InitiateResponse({ negotiatedConformance: conformance, serverMaxReceivePduSize: SERVER_MAX_RECEIVE_PDU, vaaName: 0x0007 });
    const aare = new Aare({
      applicationContextName: ctx,
      result: AssociationResult.ACCEPTED,
      resultSourceDiagnostic: { source: 'acse-service-user', value: AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED },
      respondingApTitle: this.meter.systemTitle,
      authentication: true,
      mechanismName: MechanismName.HLS_GMAC,
      respondingAuthenticationValue: stoc,
      userInformation: this.protect(resp.encode()),
    }).encode();
    this.hooks.changed?.();
    return aare;
  }

  /** HLS pass 3/4 (docs/dlms.md#hls5-gmac): accepts f(StoC) under IC > the AARQ's (both N+1 schemes). */
  private onHlsPass3(plain: Buffer, a: Extract<AssociationState, { kind: 'awaiting-hls' }>): Buffer {
    let req: ActionRequestNormal;
    try {
      req = ActionRequestNormal.decode(plain);
    } catch {
      return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE);
    }
    const inv = req.invokeIdAndPriority;
    const m = req.method;
    const isHls = m.classId === AssociationLnClass.classId && m.methodId === AssociationLnClass.method.reply_to_HLS_authentication.id && m.instance.equals(WellKnownObis.CURRENT_ASSOCIATION);
    const p = req.parameters;
    if (!isHls || !p || p.type !== 'octet-string') return new ActionResponseNormal({ invokeIdAndPriority: inv, result: ActionResult.READ_WRITE_DENIED }).encode();
    const check = verifyHlsGmac(p.value, { challenge: a.stoc, systemTitle: a.clientTitle, keys: this.keys });
    if (!check.valid || (check.invocationCounter ?? 0) <= a.aarqIc) {
      this.association = { kind: 'none' };
      return new ActionResponseNormal({ invokeIdAndPriority: inv, result: ActionResult.OTHER_REASON }).encode();
    }
    const fCtoS = hlsGmac({ challenge: a.ctos, systemTitle: this.meter.systemTitle, invocationCounter: this.nextMeterIc(), keys: this.keys });
    this.association = { kind: 'management', clientTitle: a.clientTitle, conformance: a.conformance, clientMaxPdu: a.clientMaxPdu, dedicatedKey: a.dedicatedKey };
    return new ActionResponseNormal({ invokeIdAndPriority: inv, result: ActionResult.SUCCESS, returnParameters: { kind: 'data', data: { type: 'octet-string', value: fCtoS } } }).encode();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Services

  /** GET of one attribute, unless the fault plan refuses it. */
  private get(a: AttributeDescriptor, access?: AccessSelection): GetDataResult {
    const fe = this.faults.getError;
    if (fe && fe.classId === a.classId && fe.attributeId === a.attributeId && fe.obis === a.instance.toString()) {
      return { kind: 'error', result: fe.result };
    }
    return getAttribute(this.ctx(), a, access);
  }

  private service(plain: Buffer, clientMaxPdu: number): { reply: Buffer; after?: () => void; line?: LineFault } | undefined {
    try {
      const tag = plain[0];
      const choice = plain[1];
      if (tag === 0xc0 && choice === 0x01) {
        const req = GetRequestNormal.decode(plain);
        this.pendingBlocks = undefined;
        const r = this.get(req.attribute, req.accessSelection);
        return { reply: this.getResponse(req.invokeIdAndPriority, r, clientMaxPdu) };
      }
      if (tag === 0xc0 && choice === 0x02) {
        const req = GetRequestNext.decode(plain);
        return { reply: this.nextBlock(req.invokeIdAndPriority, req.blockNumber) };
      }
      if (tag === 0xc0 && choice === 0x03) {
        const req = GetRequestWithList.decode(plain);
        if (!this.negotiated('multiple-references')) return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED) };
        const results: GetDataResult[] = req.attributes.map((x) => this.get(x.attribute, x.accessSelection));
        return { reply: this.getListResponse(req.invokeIdAndPriority, results, clientMaxPdu) };
      }
      if (tag === 0xc1 && choice === 0x01) {
        const req = SetRequestNormal.decode(plain);
        const result = setAttribute(this.ctx(), req.attribute, req.value);
        if (result === DataAccessResult.SUCCESS) this.hooks.changed?.();
        return { reply: new SetResponseNormal({ invokeIdAndPriority: req.invokeIdAndPriority, result }).encode() };
      }
      if (tag === 0xc1 && choice === 0x04) {
        const req = SetRequestWithList.decode(plain);
        if (!this.negotiated('multiple-references')) return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED) };
        // Each attribute is written on its own, in order, as if sent one by one (IEC 62056-5-3 SET service).
        const results = req.attributes.map((x, i) => setAttribute(this.ctx(), x.attribute, req.values[i]!));
        if (results.includes(DataAccessResult.SUCCESS)) this.hooks.changed?.();
        return { reply: new SetResponseWithList({ invokeIdAndPriority: req.invokeIdAndPriority, results }).encode() };
      }
      if (tag === 0xc3 && choice === 0x01) {
        const req = ActionRequestNormal.decode(plain);
        const inv = req.invokeIdAndPriority;
        const fe = this.faults.methodError;
        const m = req.method;
        if (fe && fe.classId === m.classId && fe.methodId === m.methodId && fe.obis === m.instance.toString()) {
          return { reply: new ActionResponseNormal({ invokeIdAndPriority: inv, result: fe.result }).encode() };
        }
        const out = invokeMethod(this.ctx(), m, req.parameters);
        if (out.result === ActionResult.SUCCESS) this.hooks.changed?.();
        const returnParameters = out.returnData ? { kind: 'data' as const, data: out.returnData } : undefined;
        return { reply: new ActionResponseNormal({ invokeIdAndPriority: inv, result: out.result, returnParameters }).encode(), after: out.afterResponse, line: out.line };
      }
      return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED) };
    } catch {
      return { reply: exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON) };
    }
  }

  private negotiated(flag: 'multiple-references' | 'block-transfer-with-get'): boolean {
    const a = this.association;
    return a.kind !== 'none' && a.conformance.has(flag);
  }

  /** get-response-normal, or the first block of a block transfer when the response exceeds the client's PDU size. */
  private getResponse(invokeIdAndPriority: number, r: GetDataResult, clientMaxPdu: number): Buffer {
    const normal = new GetResponseNormal({ invokeIdAndPriority, result: r }).encode();
    // Room for the ciphering around the response: general-glo-ciphering's header with the system title is the longest.
    const limit = clientMaxPdu - (this.association.kind === 'public' ? 0 : 30);
    if (normal.length <= limit || r.kind !== 'data' || !this.negotiated('block-transfer-with-get')) return normal;
    // Each block's header (tag, choice, invoke id, last-block, block number, choice, length) fits in 16 bytes.
    const blocks = splitIntoDataBlocks({ invokeIdAndPriority, raw: encodeData(r.data), maxBlockSize: Math.min(0xffff, Math.max(16, limit - 16)) });
    this.pendingBlocks = { blocks, sent: 0 };
    return this.nextBlock(invokeIdAndPriority, 0);
  }

  /** get-response-with-list, or block transfer of its list of results when it exceeds the client's PDU size. */
  private getListResponse(invokeIdAndPriority: number, results: GetDataResult[], clientMaxPdu: number): Buffer {
    const whole = new GetResponseWithList({ invokeIdAndPriority, results }).encode();
    const limit = clientMaxPdu - (this.association.kind === 'public' ? 0 : 30);
    if (whole.length <= limit || !this.negotiated('block-transfer-with-get')) return whole;
    // The raw data is what follows the tag, choice and invoke id: the list of Get-Data-Results.
    const blocks = splitIntoDataBlocks({ invokeIdAndPriority, raw: whole.subarray(3), maxBlockSize: Math.min(0xffff, Math.max(16, limit - 16)) });
    this.pendingBlocks = { blocks, sent: 0 };
    return this.nextBlock(invokeIdAndPriority, 0);
  }

  /** The block after `acknowledged`, answered with the invoke id of the request that asked for it. */
  private nextBlock(invokeIdAndPriority: number, acknowledged: number): Buffer {
    const p = this.pendingBlocks;
    if (!p || acknowledged !== p.sent) {
      this.pendingBlocks = undefined;
      return new GetResponseWithDataBlock({ invokeIdAndPriority, lastBlock: true, blockNumber: acknowledged + 1, result: { kind: 'error', result: DataAccessResult.NO_LONG_GET_IN_PROGRESS } }).encode();
    }
    const b = p.blocks[p.sent++]!;
    if (b.lastBlock) this.pendingBlocks = undefined;
    return new GetResponseWithDataBlock({ invokeIdAndPriority, lastBlock: b.lastBlock, blockNumber: b.blockNumber, result: b.result }).encode();
  }
}

function reject(applicationContextName: number, diagnostic: number): Buffer {
  return new Aare({
    applicationContextName,
    result: AssociationResult.REJECTED_PERMANENT,
    resultSourceDiagnostic: { source: 'acse-service-user', value: diagnostic },
  }).encode();
}

function exception(stateError: number, serviceError: number): Buffer {
  return new ExceptionResponse({ stateError, serviceError }).encode();
}

