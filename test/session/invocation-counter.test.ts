import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryInvocationCounterStore } from '../../src/session/invocation-counter.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';

test('reserve hands out disjoint consecutive blocks and persists the end first', async () => {
  const s = new MemoryInvocationCounterStore({ g: 10 });
  assert.deepEqual(await s.reserve('g', 3), { first: 10, end: 13 });
  assert.equal(await s.get('g'), 13);
  assert.deepEqual(await s.reserve('g', 1), { first: 13, end: 14 });
  assert.deepEqual(await s.reserve('g', 2, 100), { first: 100, end: 102 });
});

test('an unknown device has no counter', async () => {
  assert.equal(await new MemoryInvocationCounterStore().get('x'), undefined);
});

test('raising works, an equal value is a no-op, lowering is ATTEMPT_TO_LOWER_INVOCATION_COUNTER (808)', async () => {
  const s = new MemoryInvocationCounterStore();
  await s.raise('g', 50);
  await s.raise('g', 50);
  assert.equal(await s.get('g'), 50);
  await assert.rejects(s.raise('g', 49), (e) => isMeterfabricError(e) && e.code === ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER && e.code === 808);
  assert.equal(await s.get('g'), 50);
});

test('the counter space cannot overflow 2^32 - 1', async () => {
  const s = new MemoryInvocationCounterStore({ g: 0xfffffffe });
  assert.deepEqual(await s.reserve('g', 2), { first: 0xfffffffe, end: 0x100000000 });
  await assert.rejects(s.reserve('g', 1), (e) => isMeterfabricError(e));
});
