/**
 * Listens for DLMS push notifications on TCP and UDP (default port 9598, as GXF: docs/push.md#listener-and-framing).
 * Nothing is ever written back to the meter. Unlike GXF, several pushes per connection are decoded as they
 * arrive; connections are closed after an idle time and when they send more than a push can be.
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { framePush, decodePush, type PushNotification, type PushDecipher } from './decode.ts';
import { toMeterfabricError, type MeterfabricError } from '../errors.ts';

export interface PushSource {
  transport: 'tcp' | 'udp';
  address: string;
  port: number;
}

export interface PushListenerOptions {
  /** Address to bind, TCP and UDP (default 127.0.0.1: meters reach it only when told, e.g. `--push-host 0.0.0.0`). */
  host?: string;
  port?: number;
  /** Listen on UDP too (default true). */
  udp?: boolean;
  decipher?: PushDecipher;
  onPush: (push: PushNotification, source: PushSource) => void | Promise<void>;
  onError?: (error: MeterfabricError, raw: Buffer, source: PushSource) => void;
  /** Close a connection that sends nothing for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Time after the last byte before an ambiguous 22-byte DSMR4 push is taken as complete (default 250 ms). */
  settleMs?: number;
}

const MAX_BUFFERED = 4096;

export class PushListener {
  private tcp?: net.Server;
  private udp?: dgram.Socket;
  private readonly sockets = new Set<net.Socket>();
  constructor(private readonly options: PushListenerOptions) {}

  get tcpPort(): number | undefined {
    const a = this.tcp?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  get udpPort(): number | undefined {
    return this.udp ? this.udp.address().port : undefined;
  }

  async start(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 9598;
    this.tcp = net.createServer((socket) => this.handleConnection(socket));
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(port, host, () => resolve());
    });
    if (this.options.udp !== false) {
      this.udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      this.udp.on('message', (msg, rinfo) => {
        void this.deliver(msg, { transport: 'udp', address: rinfo.address, port: rinfo.port });
      });
      await new Promise<void>((resolve, reject) => {
        this.udp!.once('error', reject);
        // UDP on the same port number as TCP when it was fixed, else its own free port.
        this.udp!.bind(port === 0 ? 0 : port, host, () => resolve());
      });
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all([
      this.tcp ? new Promise<void>((r) => this.tcp!.close(() => r())) : undefined,
      this.udp ? new Promise<void>((r) => this.udp!.close(() => r())) : undefined,
    ]);
    this.tcp = undefined;
    this.udp = undefined;
  }

  private async deliver(msg: Buffer, source: PushSource): Promise<void> {
    try {
      const push = await decodePush(msg, this.options.decipher);
      await this.options.onPush(push, source);
    } catch (e) {
      this.options.onError?.(toMeterfabricError(e, 1000, 'PROTOCOL_DLMS'), msg, source);
    }
  }

  private handleConnection(socket: net.Socket): void {
    this.sockets.add(socket);
    const source: PushSource = { transport: 'tcp', address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    let buffer = Buffer.alloc(0);
    let settle: NodeJS.Timeout | undefined;
    let ended = false;
    socket.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => socket.destroy());
    socket.setNoDelay(true);

    const drain = () => {
      if (settle) clearTimeout(settle);
      settle = undefined;
      while (buffer.length > 0) {
        let size: number;
        try {
          size = framePush(buffer, ended);
        } catch (e) {
          this.options.onError?.(toMeterfabricError(e, 1000, 'PROTOCOL_DLMS'), buffer, source);
          socket.destroy();
          return;
        }
        if (size === 0) break;
        const msg = buffer.subarray(0, size);
        buffer = buffer.subarray(size);
        void this.deliver(Buffer.from(msg), source);
      }
      if (buffer.length > 0 && !ended) {
        settle = setTimeout(() => {
          ended = true;
          drain();
          ended = false;
        }, this.options.settleMs ?? 250);
      }
    };

    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length > MAX_BUFFERED) {
        this.options.onError?.(toMeterfabricError(new Error(`push connection sent ${buffer.length} bytes without a complete push`), 1000, 'PROTOCOL_DLMS'), buffer.subarray(0, 64), source);
        socket.destroy();
        return;
      }
      drain();
    });
    socket.on('end', () => {
      ended = true;
      drain();
      socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (settle) clearTimeout(settle);
      this.sockets.delete(socket);
    });
  }
}
