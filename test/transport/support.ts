/**
 * Leak detector for tests that open sockets and timers (house style: node-opcua runs one per suite): compares
 * the active handles after a test body with those before it.
 */
import assert from 'node:assert/strict';

const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'TCPWRAP', 'PipeWrap']);

function snapshot(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Runs `body`, then asserts that it left no socket, server or timer behind. */
export async function withoutLeaks<T>(body: () => Promise<T>): Promise<T> {
  const before = snapshot();
  const result = await body();
  // Closed handles are released on the next turns of the event loop.
  let after = snapshot();
  for (let i = 0; i < 50 && !sameOrFewer(after, before); i++) {
    await new Promise((r) => setImmediate(r));
    if (i > 10) await new Promise((r) => setTimeout(r, 5));
    after = snapshot();
  }
  assert.ok(sameOrFewer(after, before), `handles left behind: before ${JSON.stringify([...before])}, after ${JSON.stringify([...after])}`);
  return result;
}

function sameOrFewer(after: Map<string, number>, before: Map<string, number>): boolean {
  for (const [k, n] of after) if (n > (before.get(k) ?? 0)) return false;
  return true;
}

/** Resolves with the error a promise rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}
