/**
 * A byte channel: the one thing the framed transports need from a socket. TCP sockets and an in-memory pair
 * (tests without a network) both provide it.
 */
import type { Socket } from 'node:net';
import { ErrorCode, MeterfabricError } from '../errors.ts';

export interface ByteChannelHandlers {
  data(bytes: Buffer): void;
  /** The channel is gone; `error` says why when it was not an orderly close. */
  close(error: MeterfabricError | undefined): void;
}

export interface ByteChannel {
  write(bytes: Buffer): void;
  /** Orderly close (TCP FIN); `close` fires when the channel is gone. */
  end(): void;
  /** Abrupt close. */
  destroy(): void;
  setHandlers(handlers: ByteChannelHandlers): void;
  readonly closed: boolean;
  readonly description: string;
}

/** Maps a socket error to the GXF connection codes (issue 2, scope 3). */
export function socketErrorToMeterfabric(error: NodeJS.ErrnoException, where: string): MeterfabricError {
  const code = error.code ?? '';
  const map: Record<string, [number, string]> = {
    ECONNREFUSED: [ErrorCode.CONNECTION_REFUSED, 'connection refused'],
    ECONNRESET: [ErrorCode.CONNECTION_RESET, 'connection reset by peer'],
    EPIPE: [ErrorCode.SOCKET_CLOSED_BY_REMOTE, 'socket closed by remote host'],
    ETIMEDOUT: [ErrorCode.CONNECTION_TIMED_OUT, 'connection timed out'],
    EHOSTUNREACH: [ErrorCode.CONNECTION_ERROR, 'host unreachable'],
    ENETUNREACH: [ErrorCode.CONNECTION_ERROR, 'network unreachable'],
    ENOTFOUND: [ErrorCode.INVALID_IP_ADDRESS, 'host not found'],
  };
  const [c, text] = map[code] ?? [ErrorCode.CONNECTION_ERROR, error.message];
  return new MeterfabricError(c, `${where}: ${text}${code ? ` (${code})` : ''}`, { cause: error });
}

/** Adapts a connected net.Socket. */
export function socketChannel(socket: Socket): ByteChannel {
  return new SocketChannel(socket);
}

// A class rather than closures: built for every connection on both sides, so its methods are defined once.
class SocketChannel implements ByteChannel {
  private handlers: ByteChannelHandlers | undefined;
  private gone = false;
  private error: MeterfabricError | undefined;
  // Looked up on first use only: getpeername is a system call per connection.
  private text: string | undefined;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.handlers?.data(b));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= socketErrorToMeterfabric(e, this.description);
    });
    // Half-close from the peer: finish our side too so that 'close' follows (a second end() would only build and
    // drop an ERR_STREAM_ALREADY_FINISHED error).
    socket.on('end', () => {
      if (!socket.writableEnded) socket.end();
    });
    socket.on('close', () => {
      this.gone = true;
      this.handlers?.close(this.error);
    });
  }

  write(bytes: Buffer): void {
    if (!this.gone && !this.socket.destroyed) this.socket.write(bytes);
  }

  end(): void {
    if (!this.gone) this.socket.end();
  }

  destroy(): void {
    if (!this.gone) this.socket.destroy();
  }

  get closed(): boolean {
    return this.gone;
  }

  setHandlers(h: ByteChannelHandlers): void {
    this.handlers = h;
  }

  get description(): string {
    return (this.text ??= `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`);
  }
}

/** Two connected in-memory channels; bytes arrive asynchronously, as over a network. */
export function memoryChannelPair(): [ByteChannel, ByteChannel] {
  class End implements ByteChannel {
    peer!: End;
    handlers: ByteChannelHandlers | undefined;
    closed = false;
    readonly description = 'memory';
    write(bytes: Buffer): void {
      if (this.closed) return;
      const copy = Buffer.from(bytes);
      const peer = this.peer;
      setImmediate(() => {
        if (!peer.closed) peer.handlers?.data(copy);
      });
    }
    end(): void {
      this.shut(undefined);
    }
    destroy(): void {
      this.shut(new MeterfabricError(ErrorCode.CONNECTION_RESET, 'memory: connection reset by peer'));
    }
    private shut(peerError: MeterfabricError | undefined): void {
      if (this.closed) return;
      this.closed = true;
      const peer = this.peer;
      setImmediate(() => {
        this.handlers?.close(undefined);
        if (!peer.closed) {
          peer.closed = true;
          peer.handlers?.close(peerError);
        }
      });
    }
    setHandlers(h: ByteChannelHandlers): void {
      this.handlers = h;
    }
  }
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
