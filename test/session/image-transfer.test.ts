/**
 * The image transfer steps (src/session/image-transfer.ts) against the simulator's class 18 object in memory (no
 * line): the exact sequence of GETs, SETs and ACTIONs, status polling, and where a transfer continues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { DlmsData } from '../../src/dlms/axdr.ts';
import { createMeterState, type MeterState } from '../../src/simulator/meter.ts';
import { getAttribute, invokeMethod, setAttribute } from '../../src/simulator/objects.ts';
import { defaultFirmware } from '../../src/simulator/firmware.ts';
import { transferImage, type ImageTransferLink, type ImageTransferProgress } from '../../src/session/image-transfer.ts';
import { ImageTransferStatus } from '../../src/cosem/index.ts';

/** A link straight onto the simulated meter's objects, recording every call. */
function memoryLink(meter: MeterState, calls: string[]): ImageTransferLink {
  const ctx = { meter, clientSap: 1, now: () => new Date() };
  return {
    getAttributes: async (refs) => refs.map((r) => {
      calls.push(`GET ${r.attributeId}`);
      return getAttribute(ctx, { classId: r.classId, instance: r.obis, attributeId: r.attributeId });
    }),
    setAttribute: async (r, value) => {
      calls.push(`SET ${r.attributeId}`);
      return setAttribute(ctx, { classId: r.classId, instance: r.obis, attributeId: r.attributeId }, value);
    },
    action: async (r, parameter: DlmsData) => {
      const block = r.methodId === 2 && parameter.type === 'structure' && parameter.value[0]!.type === 'double-long-unsigned' ? ` ${parameter.value[0]!.value}` : '';
      calls.push(`ACT ${r.methodId}${block}`);
      return invokeMethod(ctx, { classId: r.classId, instance: r.obis, methodId: r.methodId }, parameter).result;
    },
  };
}

const image = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
const identifier = Buffer.from('IMG-1');

function meter(): MeterState {
  const m = createMeterState({ profile: 'dsmr4' });
  m.firmware = { ...defaultFirmware('dsmr4'), blockSize: 32 };
  return m;
}

test('a fresh transfer: enable, initiate, block size, first missing block, 4 blocks, verify and activate with status polling', async () => {
  const m = meter();
  const calls: string[] = [];
  const steps: ImageTransferProgress[] = [];
  const report = await transferImage(memoryLink(m, calls), { image, imageIdentifier: identifier, pollIntervalMs: 0, progress: async (p) => void steps.push(p) });
  assert.deepEqual(calls, [
    'GET 6', 'GET 5', 'SET 5', 'ACT 1', 'GET 6', 'GET 2', 'GET 4',
    'ACT 2 0', 'ACT 2 1', 'ACT 2 2', 'ACT 2 3', 'GET 4',
    'ACT 3', 'GET 6', 'GET 6', // verify: temporary-failure, status 2, then 3
    'ACT 4', 'GET 6', 'GET 6', // activate: temporary-failure, status 5, then 6
  ]);
  assert.deepEqual(steps.map((s) => `${s.step}:${s.nextBlock}`), ['initiating:0', 'transferring:0', 'transferring:1', 'transferring:2', 'transferring:3', 'transferring:4', 'verifying:4', 'activating:4', 'activated:4']);
  assert.deepEqual([report.blockSize, report.blocks, report.blocksSent, report.resumed, report.startedAt], [32, 4, 4, false, 0]);
  assert.deepEqual(m.firmware!.active, { identifier: 'IMG-1', sha256: createHash('sha256').update(image).digest('hex') });
  assert.equal(m.firmware!.versions.ACTIVE_FIRMWARE, 'IMG-1');
});

test('continuing a stored transfer: from the meter\'s first missing block, without initiate; a status that does not fit starts over', async () => {
  const m = meter();
  // The meter has blocks 0 and 1 of this image (a transfer cut off).
  await transferImage(memoryLink(m, []), { image, imageIdentifier: identifier, pollIntervalMs: 0 }).catch(() => undefined);
  m.firmware = { ...m.firmware!, status: ImageTransferStatus.INITIATED, blocks: [image.subarray(0, 32), image.subarray(32, 64)], active: undefined };
  const calls: string[] = [];
  const r = await transferImage(memoryLink(m, calls), { image, imageIdentifier: identifier, resumeFrom: 'transferring', pollIntervalMs: 0 });
  assert.deepEqual(calls.slice(0, 6), ['GET 6', 'GET 2', 'GET 4', 'ACT 2 2', 'ACT 2 3', 'GET 4']);
  assert.deepEqual([r.resumed, r.startedAt, r.blocksSent, r.block0Sends], [true, 2, 2, 0]);
  assert.equal(m.firmware!.resent, 0);

  // Stored 'transferring', but the meter shows ACTIVATION_SUCCESSFUL (another image): initiate, from block 0.
  const again: string[] = [];
  const r2 = await transferImage(memoryLink(m, again), { image, imageIdentifier: Buffer.from('IMG-2'), resumeFrom: 'transferring', pollIntervalMs: 0 });
  assert.equal(r2.resumed, false);
  assert.deepEqual(again.slice(0, 3), ['GET 6', 'GET 5', 'ACT 1'], 'transfer still enabled: no SET');
  assert.equal(m.firmware!.active?.identifier, 'IMG-2');

  // Stored 'activated' and the meter reports 6: nothing is sent.
  const none: string[] = [];
  await transferImage(memoryLink(m, none), { image, imageIdentifier: Buffer.from('IMG-2'), resumeFrom: 'activated', pollIntervalMs: 0 });
  assert.deepEqual(none, ['GET 6']);
});

test('a meter that never leaves a busy status ends with a retryable timeout after maxPolls reads', async () => {
  const m = meter();
  const link = memoryLink(m, []);
  const stuck: ImageTransferLink = {
    ...link,
    getAttributes: async (refs) => (refs[0]!.attributeId === 6 && m.firmware!.status >= ImageTransferStatus.VERIFICATION_INITIATED ? [{ kind: 'data', data: { type: 'enum', value: 2 } }] : link.getAttributes(refs)),
  };
  await assert.rejects(transferImage(stuck, { image, imageIdentifier: identifier, pollIntervalMs: 0, maxPolls: 3 }), (e: { code: number; retryable: boolean }) => e.code === 214 && e.retryable);
});

test('a meter that refuses a block ends NOT OK 1500 (not retried)', async () => {
  const m = meter();
  const link = memoryLink(m, []);
  const refusing: ImageTransferLink = { ...link, action: async (r, p) => (r.methodId === 2 ? 250 : link.action(r, p)) };
  await assert.rejects(transferImage(refusing, { image, imageIdentifier: identifier, pollIntervalMs: 0 }), (e: { code: number; retryable: boolean }) => e.code === 1500 && !e.retryable);
});
