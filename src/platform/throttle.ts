/**
 * Throttling of meter connections (docs/gxf.md#throttling). Executors wrap connecting in `acquire()` and call the
 * returned release when the connection closes or connecting fails.
 *
 * Modes: `local` — this file's `Throttle`, at most `maxOpen` open connections and `newPerSecond` new connections
 * per second in this process; `shared` — the same limits across every process on the database (`permits.ts`);
 * `disabled` — no limit.
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';

export type ThrottleMode = 'local' | 'shared' | 'disabled';
export const THROTTLE_MODES: readonly ThrottleMode[] = ['local', 'shared', 'disabled'];

export interface ThrottleOptions {
  /** Default: `shared` on PostgreSQL (several processes may share it), `local` on the embedded database. */
  mode?: ThrottleMode;
  /** Open meter connections at once (GXF default 1000). */
  maxOpen?: number;
  /** New connections per second (GXF default 30 per 1000 ms). */
  newPerSecond?: number;
  /**
   * How long to wait for a permit before giving up (GXF default 60 s). In mode `shared` it bounds the wait for
   * the rate limit only: a full pool denies a caller of priority <= 4 at once, as GXF's permit service does.
   */
  maxWaitMs?: number;
  /** Mode `shared`: how long a caller of priority > 4 polls a full pool before it is denied (GXF default 10 s). */
  highPriorityWaitMs?: number;
  /** Mode `shared`: lease of a permit, renewed while its connection is open; a dead process's permits free after it. */
  leaseMs?: number;
}

/** Who asks for a permit. */
export interface PermitRequest {
  /** Message priority 0..9; above 4 counts as high (docs/gxf.md#priority). */
  priority?: number;
  /** The device connected to (kept with a shared permit, for operators). */
  device?: string;
}

/** What executors need from a throttle, whatever its mode. */
export interface ConnectionThrottle {
  /**
   * Waits for a permit; resolves to its release function (idempotent; what it returns settles, never rejecting,
   * once the permit is back). Rejects on abort or when denied (211).
   */
  acquire(signal?: AbortSignal, request?: PermitRequest): Promise<() => void | Promise<void>>;
}

/** The throttle as seen by one request's executor: every permit is asked for with that request's priority. */
export function forRequest(throttle: ConnectionThrottle, priority: number): ConnectionThrottle {
  return { acquire: (signal, request) => throttle.acquire(signal, { priority, ...request }) };
}

/** Mode `disabled`: every caller gets a permit at once. */
export const noThrottle: ConnectionThrottle = { acquire: async (signal) => (signal?.throwIfAborted(), () => undefined) };

/** The error of a denied permit: retryable, as GXF re-queues denied permits (docs/gxf.md#re-queues-that-are-not-retries: after 50–70 s, 2 s if priority > 4). */
export function permitDenied(reason: 'open' | 'rate', priority: number | undefined): MeterfabricError {
  const high = (priority ?? 4) > 4;
  return new MeterfabricError(ErrorCode.CONNECTION_ERROR, 'No connection permit available (throttled)', {
    component: 'OSGP_CORE',
    retryable: true,
    details: { throttled: reason, retryAfterMs: high ? 2000 : 50_000 + Math.floor(Math.random() * 20_000) },
  });
}

/** The re-queue delay a denial from permitDenied asks for, or undefined for any other error. */
export function throttledRetryAfterMs(err: MeterfabricError): number | undefined {
  const d = err.details as { throttled?: unknown; retryAfterMs?: unknown } | undefined;
  return d?.throttled !== undefined && typeof d.retryAfterMs === 'number' ? d.retryAfterMs : undefined;
}

/** Mode `local`: limits of this process only. Priorities are not looked at. */
export class Throttle implements ConnectionThrottle {
  readonly maxOpen: number;
  readonly newPerSecond: number;
  readonly maxWaitMs: number;
  #open = 0;
  #starts: number[] = [];
  #waiters: Array<() => void> = [];

  constructor(opts: ThrottleOptions = {}) {
    this.maxOpen = opts.maxOpen ?? 1000;
    this.newPerSecond = opts.newPerSecond ?? 30;
    this.maxWaitMs = opts.maxWaitMs ?? 60_000;
  }

  get open(): number {
    return this.#open;
  }

  /** Waits for a permit; resolves to its release function (idempotent). Rejects on abort or after maxWaitMs. */
  async acquire(signal?: AbortSignal, request?: PermitRequest): Promise<() => void> {
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      this.#starts = this.#starts.filter((t) => t > now - 1000);
      if (this.#open < this.maxOpen && this.#starts.length < this.newPerSecond) {
        this.#open++;
        this.#starts.push(now);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          this.#open--;
          this.#wake();
        };
      }
      if (now >= deadline) {
        // Denied: the caller's request fails retryably, as GXF re-queues denied permits (docs/gxf.md#re-queues-that-are-not-retries).
        throw permitDenied(this.#open >= this.maxOpen ? 'open' : 'rate', request?.priority);
      }
      const waitRate = this.#starts.length >= this.newPerSecond ? this.#starts[0]! + 1000 - now : Infinity;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          this.#waiters = this.#waiters.filter((w) => w !== done);
          resolve();
        };
        const t = setTimeout(done, Math.max(1, Math.min(waitRate, deadline - now)));
        signal?.addEventListener('abort', done, { once: true });
        this.#waiters.push(done);
      });
    }
  }

  /** Runs fn holding a permit. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #wake(): void {
    const first = this.#waiters.shift();
    first?.();
  }
}
