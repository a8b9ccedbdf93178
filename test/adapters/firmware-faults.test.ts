/**
 * UpdateFirmware under faults (test/support/firmware-faults.ts), a smaller campaign than bench/firmware-faults.ts:
 * every request reaches a final result, every meter ends with the requested image active, no block is sent that
 * the meter had, and no retry starts from block 0 when the meter held part of the image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaignPassed, formatFirmwareTable, runFirmwareCampaign } from '../support/firmware-faults.ts';

test('UpdateFirmware fault campaign (40 runs, random block/step faults, restart, next request)', { timeout: 110_000 }, async () => {
  const r = await runFirmwareCampaign({ runs: 40, seed: Number(process.env.FAULT_SEED ?? 13) });
  const table = formatFirmwareTable(r);
  assert.equal(r.runs, 40);
  assert.equal(r.unfinished, 0, table);
  assert.equal(r.wrongImage, 0, table);
  assert.equal(r.blocksResentUnasked, 0, table);
  assert.equal(r.restartsFromZero, 0, table);
  assert.ok(r.resumes > 0, 'the campaign exercised resumes');
  assert.ok(campaignPassed(r));
});
