/**
 * APDU transports: WRAPPER or HDLC framing over a byte channel, with one interface for the client session and
 * the simulator. Receive timeouts live here (the codecs below have no timers).
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { ByteChannel } from './channel.ts';
import { HdlcAddress, HdlcFrame, HdlcFrameReader, type HdlcParameters } from './hdlc.ts';
import { HdlcStation, type HdlcStep } from './hdlc-link.ts';
import { WrapperFrame, WrapperFrameReader } from './wrapper.ts';

export type FramingKind = 'wrapper' | 'hdlc';

export interface ApduTransport {
  readonly kind: FramingKind;
  /** Sends one APDU (segmented into frames as the framing requires). */
  send(apdu: Buffer): Promise<void>;
  /**
   * Resolves with the next APDU. Rejects with RESPONSE_TIMEOUT (233) after `timeoutMs` (none when omitted),
   * SOCKET_CLOSED_BY_REMOTE (229), CONNECTION_RESET (226) or the framing error that ended the connection.
   */
  receive(timeoutMs?: number): Promise<Buffer>;
  /**
   * The next APDU without a timeout, or undefined once the peer has closed the connection in order (server loops:
   * no error object per connection). Other ends reject as receive() does.
   */
  next(): Promise<Buffer | undefined>;
  /** Orderly close (HDLC: DISC, waiting briefly for UA); resolves when the channel is gone. */
  close(): Promise<void>;
  /** Abrupt close without goodbye. */
  destroy(): void;
  readonly open: boolean;
  /** The peer's client SAP / HDLC client address (server side: learned from the first frame). */
  readonly clientAddress: number | undefined;
  /** Writes raw bytes, bypassing the framing (fault injection in the simulator). */
  writeRaw(bytes: Buffer): void;
}

interface Waiter {
  resolve(apdu: Buffer | undefined): void;
  reject(e: MeterfabricError): void;
  /** The receive timeout in ms, when the wait has one. */
  timeoutMs: number | undefined;
  /** next(): an orderly close resolves with undefined instead of rejecting. */
  endResolves: boolean;
}

/** Receive queue, waiters, timeouts and close handling shared by both framings. */
abstract class FramedTransport implements ApduTransport {
  abstract readonly kind: FramingKind;
  abstract send(apdu: Buffer): Promise<void>;
  abstract get clientAddress(): number | undefined;

  protected readonly inbox: Buffer[] = [];
  private waiter: Waiter | undefined;
  /**
   * One response timer per transport, re-armed with refresh() for each receive instead of a setTimeout and
   * clearTimeout per APDU. Between receives it stays unreferenced (it neither keeps the process alive nor counts
   * as an active timer); when it fires without a waiter that has a timeout, nothing happens.
   */
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  protected failure: MeterfabricError | undefined;
  private closeWaiters: (() => void)[] = [];
  private gone = false;
  /** Set by endedByPeer: builds the error a later receive or send gets. */
  private ended: (() => MeterfabricError) | undefined;

  constructor(protected readonly channel: ByteChannel) {
    // Method shorthand, not arrow properties: the build step names arrow properties with a helper call per
    // transport, and a transport is made for every connection.
    const self = this;
    channel.setHandlers({
      data(b) {
        self.onData(b);
      },
      close(error) {
        self.onClose(error);
      },
    });
  }

  private onData(b: Buffer): void {
    try {
      this.onBytes(b);
    } catch (e) {
      this.fail(e instanceof MeterfabricError ? e : new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, String(e), { cause: e }));
      this.channel.destroy();
    }
  }

  private onClose(error: MeterfabricError | undefined): void {
    this.gone = true;
    this.stopTimer();
    if (error) this.fail(error);
    else if (this.waiter?.endResolves) this.settle()?.resolve(undefined);
    else if (this.waiter) this.fail(this.closedByRemote());
    this.onChannelClosed();
    for (const w of this.closeWaiters.splice(0)) w();
  }

  protected abstract onBytes(bytes: Buffer): void;

  /** Built on demand: an orderly close nobody waits on should not cost an error object and its stack. */
  protected closedByRemote(): MeterfabricError {
    return new MeterfabricError(ErrorCode.SOCKET_CLOSED_BY_REMOTE, `${this.channel.description}: socket closed by remote host`);
  }
  protected onChannelClosed(): void {}

  get open(): boolean {
    return !this.gone && !this.failure && !this.ended;
  }

  /** Takes the pending waiter (if any) and lets its timer go idle. */
  private settle(): Waiter | undefined {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      if (w.timeoutMs !== undefined) this.timer?.unref();
    }
    return w;
  }

  protected deliver(apdu: Buffer): void {
    const w = this.settle();
    if (w) w.resolve(apdu);
    else this.inbox.push(apdu);
  }

  /**
   * The peer ended the link in order (HDLC DISC): a pending next() resolves with undefined, anything else fails
   * with the error, which is built only when someone gets it.
   */
  protected endedByPeer(error: () => MeterfabricError): void {
    if (this.failure || this.ended) return;
    this.ended = error;
    const w = this.waiter;
    if (w?.endResolves) this.settle()!.resolve(undefined);
    else if (w) this.fail(error());
  }

  /** Ends the transport with an error; a pending receive rejects with it. The first failure wins. */
  protected fail(e: MeterfabricError): void {
    this.failure ??= e;
    this.settle()?.reject(this.failure);
  }

  receive(timeoutMs?: number): Promise<Buffer> {
    return this.wait(timeoutMs !== undefined && Number.isFinite(timeoutMs) ? timeoutMs : undefined, false) as Promise<Buffer>;
  }

  next(): Promise<Buffer | undefined> {
    return this.wait(undefined, true);
  }

  private wait(timeoutMs: number | undefined, endResolves: boolean): Promise<Buffer | undefined> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (endResolves && (this.gone || this.ended) && !this.failure) return Promise.resolve(undefined);
    if (!this.failure && this.ended) this.failure = this.ended();
    if (!this.failure && this.gone) this.failure = this.closedByRemote();
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'transport: a receive is already pending'));
    return new Promise<Buffer | undefined>((resolve, reject) => {
      this.waiter = { resolve, reject, timeoutMs, endResolves };
      if (timeoutMs !== undefined) this.armTimer(timeoutMs);
    });
  }

  private armTimer(ms: number): void {
    if (this.timer && this.timerMs === ms) {
      this.timer.refresh();
      this.timer.ref();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.onTimer(), ms);
  }

  private onTimer(): void {
    // Fired after the refresh() of the pending receive (or idle, with nobody waiting: nothing to do).
    const w = this.waiter;
    if (!w || w.timeoutMs === undefined) return;
    this.settle();
    w.reject(new MeterfabricError(ErrorCode.RESPONSE_TIMEOUT, `${this.channel.description}: no response within ${w.timeoutMs} ms`));
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  protected checkWritable(): void {
    if (!this.failure && this.ended) this.failure = this.ended();
    if (this.failure) throw this.failure;
    if (this.gone) throw (this.failure = this.closedByRemote());
  }

  /** Resolves once the channel has closed. */
  protected whenClosed(): Promise<void> {
    if (this.gone) return Promise.resolve();
    return new Promise((r) => this.closeWaiters.push(r));
  }

  async close(): Promise<void> {
    if (this.gone) return;
    this.channel.end();
    await this.closedWithin(1000);
  }

  /** Waits for the channel to go; destroys it when the peer does not finish the close in time. */
  protected async closedWithin(ms: number): Promise<void> {
    if (this.gone) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.whenClosed(),
      new Promise<void>((r) => {
        timer = setTimeout(() => {
          this.channel.destroy();
          r();
        }, ms);
      }),
    ]);
    clearTimeout(timer);
    await this.whenClosed();
  }

  destroy(): void {
    this.stopTimer();
    this.channel.destroy();
  }

  writeRaw(bytes: Buffer): void {
    this.channel.write(bytes);
  }
}

export interface WrapperTransportOptions {
  role: 'client' | 'server';
  /** Client: own SAP (1 management, 16 public). */
  clientSap?: number;
  /** Logical device (default 1). */
  serverSap?: number;
}

export class WrapperTransport extends FramedTransport {
  readonly kind = 'wrapper' as const;
  private readonly reader = new WrapperFrameReader();
  private readonly role: 'client' | 'server';
  private local: number;
  private remote: number | undefined;

  constructor(channel: ByteChannel, options: WrapperTransportOptions) {
    super(channel);
    this.role = options.role;
    if (options.role === 'client') {
      this.local = options.clientSap ?? 1;
      this.remote = options.serverSap ?? 1;
    } else {
      this.local = options.serverSap ?? 1;
    }
  }

  get clientAddress(): number | undefined {
    return this.role === 'client' ? this.local : this.remote;
  }

  async send(apdu: Buffer): Promise<void> {
    this.checkWritable();
    if (this.remote === undefined) throw new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'WRAPPER: no peer address yet');
    this.channel.write(new WrapperFrame(this.local, this.remote, apdu).encode());
  }

  protected onBytes(bytes: Buffer): void {
    for (const f of this.reader.push(bytes)) {
      if (this.role === 'server') {
        // Answer from the address the client spoke to, to the address it spoke from.
        this.remote = f.source;
        this.local = f.destination;
      } else if (f.source !== this.remote || f.destination !== this.local) {
        throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `WRAPPER: frame from wPort ${f.source} to ${f.destination}, expected ${this.remote} to ${this.local}`);
      }
      this.deliver(f.apdu);
    }
  }
}

export interface HdlcTransportOptions {
  role: 'client' | 'server';
  /** Client: own address (1 management → 0x03, 16 public → 0x21). */
  clientAddress?: number;
  /** Logical device (upper address, default 1). */
  serverUpper?: number;
  /** Physical device (lower address); with it the server address has 2 or 4 bytes. */
  serverLower?: number;
  serverAddressSize?: 1 | 2 | 4;
  parameters?: Partial<HdlcParameters>;
}

export class HdlcTransport extends FramedTransport {
  readonly kind = 'hdlc' as const;
  readonly station: HdlcStation;
  private readonly reader = new HdlcFrameReader();
  private connectWaiter: { resolve(): void; reject(e: MeterfabricError): void } | undefined;
  private disconnectWaiter: (() => void) | undefined;

  constructor(channel: ByteChannel, options: HdlcTransportOptions) {
    super(channel);
    const upper = options.serverUpper ?? 1;
    const size = options.serverAddressSize ?? (options.serverLower === undefined ? 1 : 2);
    const server = new HdlcAddress(upper, size === 1 ? undefined : options.serverLower ?? 0, size);
    const client = new HdlcAddress(options.clientAddress ?? 16);
    this.station = options.role === 'client'
      ? new HdlcStation({ role: 'client', local: client, remote: server, parameters: options.parameters })
      : new HdlcStation({ role: 'server', local: server, parameters: options.parameters });
  }

  get clientAddress(): number | undefined {
    return this.station.role === 'client' ? this.station.local.upper : this.station.remote?.upper;
  }

  /** Client: SNRM, then wait for UA (DM → CONNECTION_ESTABLISH_ERROR, no answer → CONNECTION_TIMED_OUT). */
  connect(timeoutMs: number): Promise<void> {
    this.checkWritable();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectWaiter = undefined;
        reject(new MeterfabricError(ErrorCode.CONNECTION_TIMED_OUT, `${this.channel.description}: no UA to SNRM within ${timeoutMs} ms`));
      }, timeoutMs);
      this.connectWaiter = {
        resolve() {
          clearTimeout(timer);
          resolve();
        },
        reject(e) {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.channel.write(this.station.connect());
    });
  }

  async send(apdu: Buffer): Promise<void> {
    this.checkWritable();
    for (const f of this.station.sendApdu(apdu)) this.channel.write(f);
  }

  protected onBytes(bytes: Buffer): void {
    for (const raw of this.reader.push(bytes)) {
      let frame: HdlcFrame;
      try {
        frame = HdlcFrame.decode(raw);
      } catch {
        continue; // a frame with a bad checksum is dropped; the peer repeats or the receive times out
      }
      if (!this.addressedToUs(frame)) continue;
      this.apply(this.station.receive(frame));
    }
  }

  private addressedToUs(frame: HdlcFrame): boolean {
    const st = this.station;
    if (st.role === 'client') return frame.destination.equals(st.local) && (!st.remote || frame.source.upper === st.remote.upper);
    // Server: any physical address with our logical device; the station answers from the address used.
    if (frame.destination.upper !== st.local.upper) return false;
    return !st.remote || frame.kind === 'SNRM' || frame.source.equals(st.remote);
  }

  private apply(step: HdlcStep): void {
    for (const f of step.frames) this.channel.write(f);
    for (const a of step.apdus) this.deliver(a);
    for (const e of step.events) {
      if (e === 'connected') {
        this.connectWaiter?.resolve();
        this.connectWaiter = undefined;
      } else if (e === 'refused') {
        const err = new MeterfabricError(ErrorCode.CONNECTION_ESTABLISH_ERROR, `${this.channel.description}: HDLC SNRM answered with DM`);
        this.connectWaiter?.reject(err);
        this.connectWaiter = undefined;
        this.fail(err);
      } else if (e === 'disconnected') {
        if (this.disconnectWaiter) {
          this.disconnectWaiter();
          this.disconnectWaiter = undefined;
        } else {
          this.endedByPeer(() => new MeterfabricError(ErrorCode.SOCKET_CLOSED_BY_REMOTE, `${this.channel.description}: HDLC link disconnected by peer`));
          // Server: the client said goodbye; close our side once the UA is out.
          if (this.station.role === 'server') this.channel.end();
        }
      } else if (e === 'frame-rejected') {
        this.fail(new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `${this.channel.description}: HDLC FRMR received`));
      }
    }
  }

  protected onChannelClosed(): void {
    if (this.connectWaiter) {
      this.connectWaiter.reject(this.failure ?? this.closedByRemote());
      this.connectWaiter = undefined;
    }
    this.disconnectWaiter?.();
    this.disconnectWaiter = undefined;
  }

  /** DISC, wait up to `waitMs` for UA/DM, then close the socket. */
  async close(waitMs = 1000): Promise<void> {
    if (!this.open && this.channel.closed) return;
    const disc = this.station.role === 'client' && this.open ? this.station.disconnect() : undefined;
    if (disc) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.disconnectWaiter = resolve;
        timer = setTimeout(resolve, waitMs);
        this.channel.write(disc);
      });
      clearTimeout(timer);
      this.disconnectWaiter = undefined;
    }
    this.channel.end();
    await this.closedWithin(1000);
  }
}
