/**
 * Group commit for small database writes and reads: callers submit one item each and await their own result;
 * items that arrive while a batch is being written (or in the same turn of the event loop) go out together as the
 * next batch, in one statement. Under load many operations share one round trip and one commit; alone, a caller
 * waits at most one turn of the event loop longer than it would for its own statement.
 *
 * `run` receives the items in arrival order and returns one result per item, in the same order: a value, or an
 * Error that only that item's caller receives. If `run` itself throws, every caller of the batch gets that error,
 * so `run` should handle a failing statement itself (e.g. by running the items one by one).
 */
export interface BatcherOptions {
  /** Batches written at the same time (default 1: a batch goes out when the previous one is done). */
  maxInFlight?: number;
  /** Items per batch at most (default 500). */
  maxBatch?: number;
}

interface Waiting<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, R> {
  readonly #run: (items: I[]) => Promise<Array<R | Error>>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue: Waiting<I, R>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(run: (items: I[]) => Promise<Array<R | Error>>, options: BatcherOptions = {}) {
    this.#run = run;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.#maxBatch = Math.max(1, options.maxBatch ?? 500);
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // One turn of the event loop: items submitted by callbacks of the same I/O phase join this batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      let results: Promise<Array<R | Error>>;
      try {
        results = this.#run(batch.map((w) => w.item));
      } catch (e) {
        results = Promise.reject(e);
      }
      results
        .then(
          (out) => {
            batch.forEach((w, i) => {
              const r = out[i];
              if (i >= out.length) w.reject(new Error('batch returned no result for this item'));
              else if (r instanceof Error) w.reject(r);
              else w.resolve(r as R);
            });
          },
          (e: unknown) => {
            for (const w of batch) w.reject(e);
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#schedule();
        });
    }
  }
}

const perQueryable = new WeakMap<object, Map<string, unknown>>();

/**
 * The Batcher named `name` of one database handle (a Db, or a transaction's client: a batch never mixes them), made
 * on first use. For single-row reads and idempotent writes that concurrent operations issue at about the same time:
 * they share one statement instead of one each (the statement count per operation falls with the load).
 */
export function batcherOf<I, R>(q: object, name: string, run: (items: I[]) => Promise<Array<R | Error>>): Batcher<I, R> {
  let byName = perQueryable.get(q);
  if (!byName) perQueryable.set(q, (byName = new Map()));
  let b = byName.get(name) as Batcher<I, R> | undefined;
  if (!b) {
    b = new Batcher<I, R>(run);
    byName.set(name, b);
  }
  return b;
}
