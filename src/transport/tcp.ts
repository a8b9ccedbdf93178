/**
 * TCP for the framed transports: a client connect with timeout and error codes, and a listener that hands each
 * accepted connection to the caller as an ApduTransport.
 */
import net from 'node:net';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { socketChannel, socketErrorToMeterfabric, type ByteChannel } from './channel.ts';
import type { HdlcParameters } from './hdlc.ts';
import { HdlcTransport, WrapperTransport, type ApduTransport, type FramingKind } from './transport.ts';

/** Opens a TCP connection: refused → 225, no answer within `timeoutMs` → 227, reset → 226. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MeterfabricError(ErrorCode.CONNECTION_TIMED_OUT, `${host}:${port}: connection timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(socketErrorToMeterfabric(e, `${host}:${port}`));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

export interface ClientTransportOptions {
  host: string;
  port: number;
  framing: FramingKind;
  /** Client SAP / HDLC client address: 1 management, 16 public. */
  clientAddress: number;
  /** Logical device, default 1. */
  serverAddress?: number;
  /** HDLC physical device address (lower address). */
  physicalAddress?: number;
  /** HDLC server address size in bytes (1, 2 or 4). */
  hdlcAddressSize?: 1 | 2 | 4;
  hdlcParameters?: Partial<HdlcParameters>;
  /** Covers the TCP connect and, for HDLC, the SNRM/UA exchange. Default 10 s. */
  connectTimeoutMs?: number;
}

/** Builds a client transport on an already connected channel (e.g. one end of memoryChannelPair()). */
export async function clientTransportOn(channel: ByteChannel, options: Omit<ClientTransportOptions, 'host' | 'port'>): Promise<ApduTransport> {
  if (options.framing === 'wrapper') {
    return new WrapperTransport(channel, { role: 'client', clientSap: options.clientAddress, serverSap: options.serverAddress ?? 1 });
  }
  const t = new HdlcTransport(channel, {
    role: 'client',
    clientAddress: options.clientAddress,
    serverUpper: options.serverAddress ?? 1,
    serverLower: options.physicalAddress,
    serverAddressSize: options.hdlcAddressSize,
    parameters: options.hdlcParameters,
  });
  try {
    await t.connect(options.connectTimeoutMs ?? 10_000);
  } catch (e) {
    t.destroy();
    throw e;
  }
  return t;
}

export async function connectClientTransport(options: ClientTransportOptions): Promise<ApduTransport> {
  const started = Date.now();
  const timeout = options.connectTimeoutMs ?? 10_000;
  const socket = await connectTcp(options.host, options.port, timeout);
  return clientTransportOn(socketChannel(socket), { ...options, connectTimeoutMs: Math.max(1, timeout - (Date.now() - started)) });
}

/** Server side on a channel: the HDLC station answers SNRM/DISC by itself. */
export function serverTransportOn(channel: ByteChannel, framing: FramingKind, options: { serverAddress?: number; hdlcParameters?: Partial<HdlcParameters> } = {}): ApduTransport {
  return framing === 'wrapper'
    ? new WrapperTransport(channel, { role: 'server', serverSap: options.serverAddress ?? 1 })
    : new HdlcTransport(channel, { role: 'server', serverUpper: options.serverAddress ?? 1, parameters: options.hdlcParameters });
}

export interface TransportServer {
  readonly port: number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
  readonly connections: number;
}

export interface ListenOptions {
  port: number;
  host?: string;
  framing: FramingKind;
  serverAddress?: number;
  hdlcParameters?: Partial<HdlcParameters>;
  onConnection(transport: ApduTransport): void;
}

/** Listens on host:port (default 127.0.0.1; port 0 picks a free port). */
export function listenTransport(options: ListenOptions): Promise<TransportServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    options.onConnection(serverTransportOn(socketChannel(socket), options.framing, options));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(socketErrorToMeterfabric(e, `listen ${options.host ?? '127.0.0.1'}:${options.port}`)));
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        get connections() {
          return sockets.size;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
