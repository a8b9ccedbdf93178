/**
 * Client invocation counters (docs/dlms.md#invocation-counters). Every ciphered APDU uses a fresh counter; a counter is persisted
 * BEFORE it is used, so a crash can never lead to an IV being used twice, and a known value is never lowered
 * (GXF ATTEMPT_TO_LOWER_INVOCATION_COUNTER 808, an ENCS finding).
 *
 * The platform implements this interface on its database; MemoryInvocationCounterStore serves tests, the CLI and
 * the benchmark.
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';

export const MAX_INVOCATION_COUNTER = 0xffffffff;

export interface InvocationCounterBlock {
  /** First value the caller may use. */
  first: number;
  /** One past the last value the caller may use (the persisted high-water mark). */
  end: number;
}

/** Implemented on the database by src/platform/invocation-counters.ts (DbInvocationCounterStore). */
export interface InvocationCounterStore {
  /** The next counter to use for the device's current keys, or undefined when it has never been learned. */
  get(deviceId: string): Promise<number | undefined>;
  /**
   * Reserves `count` consecutive counters starting no lower than the stored mark (and `atLeast`). The stored mark
   * moves to the block's end before this resolves.
   */
  reserve(deviceId: string, count: number, atLeast?: number): Promise<InvocationCounterBlock>;
  /**
   * Raises the next counter to `next` (a value read from the meter's IC object). A value below the stored one is
   * refused with ATTEMPT_TO_LOWER_INVOCATION_COUNTER (808); an equal value is a no-op.
   */
  raise(deviceId: string, next: number): Promise<void>;
}

function checkCounter(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_INVOCATION_COUNTER) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${what} must be an integer 0..${MAX_INVOCATION_COUNTER}, got ${n}`);
  }
}

export class MemoryInvocationCounterStore implements InvocationCounterStore {
  private readonly counters = new Map<string, number>();

  constructor(initial: Record<string, number> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      checkCounter(v, 'invocation counter');
      this.counters.set(k, v);
    }
  }

  async get(deviceId: string): Promise<number | undefined> {
    return this.counters.get(deviceId);
  }

  async reserve(deviceId: string, count: number, atLeast = 0): Promise<InvocationCounterBlock> {
    if (!Number.isInteger(count) || count < 1) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `reserve count must be >= 1, got ${count}`);
    const first = Math.max(this.counters.get(deviceId) ?? 0, atLeast);
    if (first + count > MAX_INVOCATION_COUNTER + 1) {
      throw new MeterfabricError(ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER, `invocation counter of ${deviceId} is exhausted; new keys are needed`);
    }
    this.counters.set(deviceId, first + count);
    return { first, end: first + count };
  }

  async raise(deviceId: string, next: number): Promise<void> {
    checkCounter(next, 'invocation counter');
    const current = this.counters.get(deviceId);
    if (current !== undefined && next < current) {
      throw new MeterfabricError(
        ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER,
        `refusing to lower the invocation counter of ${deviceId} from ${current} to ${next}`,
        { details: { deviceId, current, requested: next } },
      );
    }
    this.counters.set(deviceId, next);
  }
}
