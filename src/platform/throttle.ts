/**
 * Throttling of meter connections (GXF-SEMANTICS §10, mode `local`): at most `maxOpen` open connections and at
 * most `newPerSecond` new connections per second in this process. Executors wrap connecting in `acquire()` and
 * call the returned release when the connection closes or connecting fails.
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';

export interface ThrottleOptions {
  /** Open meter connections at once (GXF default 1000). */
  maxOpen?: number;
  /** New connections per second (GXF default 30 per 1000 ms). */
  newPerSecond?: number;
  /** How long to wait for a permit before giving up (GXF default 60 s). */
  maxWaitMs?: number;
}

export class Throttle {
  readonly maxOpen: number;
  readonly newPerSecond: number;
  readonly maxWaitMs: number;
  #open = 0;
  #starts: number[] = [];
  #waiters: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: ThrottleOptions = {}) {
    this.maxOpen = opts.maxOpen ?? 1000;
    this.newPerSecond = opts.newPerSecond ?? 30;
    this.maxWaitMs = opts.maxWaitMs ?? 60_000;
  }

  get open(): number {
    return this.#open;
  }

  /** Waits for a permit; resolves to its release function (idempotent). Rejects on abort or after maxWaitMs. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
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
        // Denied: the caller's request fails retryably, as GXF re-queues denied permits (§7.4).
        throw new MeterfabricError(ErrorCode.CONNECTION_ERROR, 'No connection permit available (throttled)', { component: 'OSGP_CORE', retryable: true });
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
