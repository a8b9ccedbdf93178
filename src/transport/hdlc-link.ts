/**
 * HDLC data-link state machine for one client or server station (IEC 62056-46; docs/dlms.md#hdlc). Sans-IO: it
 * takes decoded frames and APDUs and returns the encoded frames to write and the APDUs received; the caller owns
 * the socket and the timers.
 *
 * Window size 1 in both directions (what DLMS meters use): every I-frame is acknowledged before the next one is
 * sent — by RR while an APDU is being segmented, by the peer's answering I-frame otherwise.
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';
import {
  DEFAULT_HDLC_PARAMETERS,
  HdlcAddress,
  HdlcControl,
  HdlcFrame,
  LLC_REQUEST,
  LLC_RESPONSE,
  decodeHdlcParameters,
  encodeHdlcParameters,
  type HdlcParameters,
} from './hdlc.ts';

export type HdlcRole = 'client' | 'server';
export type HdlcLinkState = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';
export type HdlcLinkEvent = 'connected' | 'refused' | 'disconnected' | 'frame-rejected';

export interface HdlcStep {
  /** Encoded frames (flags included) to write, in order. */
  frames: Buffer[];
  /** Complete APDUs received (LLC header removed). */
  apdus: Buffer[];
  events: HdlcLinkEvent[];
}

export interface HdlcStationOptions {
  role: HdlcRole;
  /** Our own address. For a server, frames to any address with the same upper address are accepted and answered from that address. */
  local: HdlcAddress;
  /** The peer's address; a server learns it from the SNRM. */
  remote?: HdlcAddress;
  /** Our limits (information field length in bytes, window). Defaults: 128 bytes, window 1. */
  parameters?: Partial<HdlcParameters>;
  /** Client only: always send our parameters in the SNRM even when they are the defaults. */
  proposeParameters?: boolean;
}

const MAX_APDU = 0xffff + 16;

export class HdlcStation {
  readonly role: HdlcRole;
  local: HdlcAddress;
  remote: HdlcAddress | undefined;
  state: HdlcLinkState = 'disconnected';
  /** Negotiated information field lengths. */
  maxInfoTx: number;
  maxInfoRx: number;

  private readonly own: HdlcParameters;
  private readonly proposeParameters: boolean;
  private vs = 0;
  private vr = 0;
  private awaitingAck = false;
  private lastSent: { info: Buffer; segmented: boolean; ns: number } | undefined;
  private readonly txQueue: { info: Buffer; segmented: boolean }[] = [];
  private rxSegments: Buffer[] = [];
  private rxSize = 0;

  constructor(options: HdlcStationOptions) {
    this.role = options.role;
    this.local = options.local;
    this.remote = options.remote;
    this.own = { ...DEFAULT_HDLC_PARAMETERS, ...options.parameters, windowTx: 1, windowRx: 1 };
    this.proposeParameters = options.proposeParameters ?? false;
    this.maxInfoTx = DEFAULT_HDLC_PARAMETERS.maxInfoTx;
    this.maxInfoRx = DEFAULT_HDLC_PARAMETERS.maxInfoRx;
  }

  /** Client: the SNRM that opens the link. */
  connect(): Buffer {
    if (this.role !== 'client' || !this.remote) throw new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'HDLC: only a client with a server address connects');
    this.state = 'connecting';
    const own = this.own;
    const isDefault = own.maxInfoTx === 128 && own.maxInfoRx === 128;
    const info = this.proposeParameters || !isDefault ? encodeHdlcParameters(own) : Buffer.alloc(0);
    return new HdlcFrame(this.remote, this.local, HdlcControl.SNRM, info).encode();
  }

  /** Client: the DISC that closes the link. */
  disconnect(): Buffer | undefined {
    if (!this.remote || this.state === 'disconnected') return undefined;
    this.state = 'disconnecting';
    return new HdlcFrame(this.remote, this.local, HdlcControl.DISC).encode();
  }

  /** Queues an APDU (LLC header added here); returns the frames that may be written now. */
  sendApdu(apdu: Buffer): Buffer[] {
    if (this.state !== 'connected' || !this.remote) throw new MeterfabricError(ErrorCode.SOCKET_CLOSED_BY_REMOTE, 'HDLC: link is not connected');
    const llc = this.role === 'client' ? LLC_REQUEST : LLC_RESPONSE;
    const info = Buffer.concat([llc, apdu]);
    const max = this.maxInfoTx;
    for (let off = 0; off < info.length; off += max) {
      const end = Math.min(info.length, off + max);
      this.txQueue.push({ info: info.subarray(off, end), segmented: end < info.length });
    }
    return this.awaitingAck ? [] : this.emitNext();
  }

  /** Handles one decoded frame addressed to this station. */
  receive(frame: HdlcFrame): HdlcStep {
    const step: HdlcStep = { frames: [], apdus: [], events: [] };
    switch (frame.kind) {
      case 'SNRM':
        if (this.role === 'server') this.onSnrm(frame, step);
        break;
      case 'UA':
        if (this.state === 'connecting') {
          const ua = decodeHdlcParameters(frame.information);
          // Parameters in the UA are the server's own view: its transmit length is what we receive.
          this.maxInfoTx = Math.min(this.own.maxInfoTx, ua.maxInfoRx);
          this.maxInfoRx = Math.min(this.own.maxInfoRx, ua.maxInfoTx);
          this.reset();
          this.state = 'connected';
          step.events.push('connected');
        } else if (this.state === 'disconnecting') {
          this.state = 'disconnected';
          step.events.push('disconnected');
        }
        break;
      case 'DM':
        if (this.state === 'connecting') step.events.push('refused');
        else step.events.push('disconnected');
        this.state = 'disconnected';
        break;
      case 'DISC':
        if (this.role === 'server' && this.remote) {
          const wasConnected = this.state === 'connected';
          step.frames.push(new HdlcFrame(this.remote, this.local, wasConnected ? HdlcControl.UA : HdlcControl.DM).encode());
          this.state = 'disconnected';
          step.events.push('disconnected');
        }
        break;
      case 'FRMR':
        this.state = 'disconnected';
        step.events.push('frame-rejected');
        break;
      case 'RR':
        if (this.state !== 'connected') break;
        this.onAck(frame.receiveSequence, step);
        break;
      case 'I':
        if (this.state !== 'connected') {
          // An I-frame outside a connection is answered with DM by a server (IEC 62056-46 disconnected mode).
          if (this.role === 'server' && this.remote) step.frames.push(new HdlcFrame(this.remote, this.local, HdlcControl.DM).encode());
          break;
        }
        this.onIFrame(frame, step);
        break;
      default:
        break;
    }
    return step;
  }

  private reset(): void {
    this.vs = 0;
    this.vr = 0;
    this.awaitingAck = false;
    this.lastSent = undefined;
    this.txQueue.length = 0;
    this.rxSegments = [];
    this.rxSize = 0;
  }

  private onSnrm(frame: HdlcFrame, step: HdlcStep): void {
    this.remote = frame.source;
    this.local = frame.destination;
    const proposed = decodeHdlcParameters(frame.information);
    // The client's transmit length is what we receive, and the other way round.
    this.maxInfoTx = Math.min(this.own.maxInfoTx, proposed.maxInfoRx);
    this.maxInfoRx = Math.min(this.own.maxInfoRx, proposed.maxInfoTx);
    this.reset();
    this.state = 'connected';
    const ua = encodeHdlcParameters({ maxInfoTx: this.maxInfoTx, maxInfoRx: this.maxInfoRx, windowTx: 1, windowRx: 1 });
    step.frames.push(new HdlcFrame(this.remote, this.local, HdlcControl.UA, ua).encode());
    step.events.push('connected');
  }

  private onAck(nr: number, step: HdlcStep): void {
    if (this.awaitingAck && nr === this.vs) {
      this.awaitingAck = false;
      this.lastSent = undefined;
      step.frames.push(...this.emitNext());
    } else if (this.awaitingAck && this.lastSent && nr === this.lastSent.ns) {
      // The peer did not get our last frame: send it again.
      step.frames.push(this.encodeI(this.lastSent.info, this.lastSent.segmented, this.lastSent.ns));
    }
  }

  private onIFrame(frame: HdlcFrame, step: HdlcStep): void {
    // N(R) in an I-frame acknowledges what we sent.
    if (this.awaitingAck && frame.receiveSequence === this.vs) {
      this.awaitingAck = false;
      this.lastSent = undefined;
    }
    if (frame.sendSequence !== this.vr) {
      // Out of sequence (a repeat): acknowledge what we have and drop it.
      step.frames.push(this.rr());
      return;
    }
    this.vr = (this.vr + 1) & 7;
    this.rxSize += frame.information.length;
    if (this.rxSize > MAX_APDU) {
      this.rxSegments = [];
      this.rxSize = 0;
      throw new MeterfabricError(ErrorCode.DECODE_ERROR, 'HDLC: segmented APDU longer than 65535 bytes');
    }
    this.rxSegments.push(frame.information);
    if (frame.segmented) {
      step.frames.push(this.rr());
      return;
    }
    const info = this.rxSegments.length === 1 ? this.rxSegments[0] : Buffer.concat(this.rxSegments, this.rxSize);
    this.rxSegments = [];
    this.rxSize = 0;
    const expected = this.role === 'client' ? LLC_RESPONSE : LLC_REQUEST;
    if (info.length < 3 || info[0] !== expected[0] || info[1] !== expected[1] || info[2] !== expected[2]) {
      throw new MeterfabricError(ErrorCode.DECODE_ERROR, 'HDLC: information field without the expected LLC header');
    }
    step.apdus.push(info.subarray(3));
    // Normally our next I-frame carries the acknowledgement; if segments are still queued, send the next one.
    if (!this.awaitingAck) step.frames.push(...this.emitNext());
  }

  private emitNext(): Buffer[] {
    const next = this.txQueue.shift();
    if (!next) return [];
    const ns = this.vs;
    this.vs = (this.vs + 1) & 7;
    this.awaitingAck = true;
    this.lastSent = { info: next.info, segmented: next.segmented, ns };
    return [this.encodeI(next.info, next.segmented, ns)];
  }

  private encodeI(info: Buffer, segmented: boolean, ns: number): Buffer {
    return new HdlcFrame(this.remote!, this.local, HdlcFrame.iControl(ns, this.vr), info, segmented).encode();
  }

  private rr(): Buffer {
    return new HdlcFrame(this.remote!, this.local, HdlcFrame.rrControl(this.vr)).encode();
  }
}
