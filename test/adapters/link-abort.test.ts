/**
 * An execution that reaches its time limit while the DLMS association is still being opened must not go on to
 * talk to the meter: the link is destroyed and opening it rejects with the abort reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHeadend } from '../support/headend.ts';
import { linkFactory } from '../../src/adapters/bindings.ts';
import { ErrorCode, MeterfabricError, isMeterfabricError } from '../../src/errors.ts';
import { until } from '../support/e2e.ts';

const ORG = 'test-org';
const GW = 'E0051004000000001';

test('an abort during the association rejects the link and closes the connection', async () => {
  const h = await startHeadend('pglite');
  try {
    await h.addOrganisation(ORG);
    const sim = await h.addGateway(GW, ORG);
    const links = linkFactory(h.db, h.secrets, undefined);
    // The association works, only slowly: each answer waits 150 ms (AARQ and HLS pass 3 = 300 ms).
    sim.faults = { latencyMs: 150 };
    const controller = new AbortController();
    const opening = links.open(GW, controller.signal);
    setTimeout(() => controller.abort(new MeterfabricError(ErrorCode.COMMUNICATION_TIMEOUT, 'Execution exceeded its time limit')), 50);
    const e = await opening.then(
      (link) => {
        void link.release();
        return undefined;
      },
      (err: unknown) => err,
    );
    assert.ok(isMeterfabricError(e) && e.code === ErrorCode.COMMUNICATION_TIMEOUT, `rejected with the abort reason: ${String(e)}`);
    await until(async () => (sim.openConnections === 0 ? true : undefined), 5_000);
    // Without an abort the same slow meter associates fine.
    sim.faults = { latencyMs: 20 };
    const link = await links.open(GW, new AbortController().signal);
    assert.equal((await link.readChannel(1)).channel, 1);
    await link.release();
  } finally {
    await h.stop();
  }
});
