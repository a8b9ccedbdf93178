import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, engineOptions } from '../support/db.ts';
import type { OperationExecutor } from '../../src/platform/platform.ts';
import { ErrorCode, MeterfabricError } from '../../src/errors.ts';
import { grantAuthorisation } from '../../src/platform/inventory.ts';
import { GATEWAY, GATEWAY2, MBUS, ORG, seededPlatform, sleep } from './helpers.ts';

const base = { userName: 'user', applicationName: 'app', channel: 'SOAP' as const, payload: {} };

for (const engine of engines) {
  test(`request pipeline on ${engine}`, engineOptions(engine), async (t) => {
    const { db, platform: p } = await seededPlatform(t, engine, {
      concurrency: 4, pollingIntervalSeconds: 0.5, retry: { maxRetries: 2, baseDelayMs: 20 }, lockRetryMs: 20, maintenanceIntervalSeconds: 1,
    });
    const calls: Record<string, number> = {};
    const running = new Map<string, number>();
    let overlap = false;
    let parallelGateways = 0;
    const echo: OperationExecutor = {
      messageType: 'SCAN_MBUS_CHANNELS',
      async execute(ctx) {
        calls[ctx.correlationUid] = (calls[ctx.correlationUid] ?? 0) + 1;
        const key = ctx.deviceIdentification === MBUS ? GATEWAY : ctx.deviceIdentification;
        running.set(key, (running.get(key) ?? 0) + 1);
        if (running.get(key)! > 1) overlap = true;
        parallelGateways = Math.max(parallelGateways, [...running.values()].filter((n) => n > 0).length);
        await sleep(40);
        running.set(key, running.get(key)! - 1);
        const mode = (ctx.payload as { mode?: string }).mode;
        if (mode === 'functional') throw new MeterfabricError(ErrorCode.NO_DEVICE_FOUND_ON_CHANNEL, 'nothing on channel', { component: 'PROTOCOL_DLMS' });
        if (mode === 'transient') throw new MeterfabricError(ErrorCode.CONNECTION_REFUSED, 'refused', { component: 'PROTOCOL_DLMS' });
        return { channels: [], attempt: ctx.attempt };
      },
    };
    p.executors.register(echo);
    // GET_MBUS_ENCRYPTION_KEY_STATUS is checked on the M-Bus device and locks on its gateway.
    p.executors.register({ ...echo, messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS' });

    await t.test('synchronous checks: 101, 104, 201, 301', async () => {
      const submit = (o: string, d: string, m = 'SCAN_MBUS_CHANNELS') => p.requests.submit({ ...base, organisationIdentification: o, deviceIdentification: d, messageType: m });
      await assert.rejects(submit('nobody', GATEWAY), (e: MeterfabricError) => e.code === 101 && e.component === 'WS_SMART_METERING');
      await assert.rejects(submit('org-off', GATEWAY), (e: MeterfabricError) => e.code === 104);
      await assert.rejects(submit(ORG, 'E9999999999999999'), (e: MeterfabricError) => e.code === 201 && e.component === 'DOMAIN_CORE');
      await assert.rejects(submit('org-b', GATEWAY), (e: MeterfabricError) => e.code === 301 && /not authorized/.test(e.message));
      // A function group without SCAN_MBUS_CHANNELS does not authorise it; OWNER does.
      await grantAuthorisation(db, { organisationIdentification: 'org-b', deviceIdentification: GATEWAY, functionGroup: 'MONITORING' });
      await assert.rejects(submit('org-b', GATEWAY), (e: MeterfabricError) => e.code === 301);
      await grantAuthorisation(db, { organisationIdentification: 'org-b', deviceIdentification: GATEWAY, functionGroup: 'OWNER' });
      const { correlationUid } = await submit('org-b', GATEWAY);
      assert.match(correlationUid, /^org-b\|\|\|E0000000000000001\|\|\|\d{17}\|\|\|[0-9a-f-]{36}$/);
      const audit = await p.requests.audit({ organisationIdentification: 'org-b' });
      assert.ok(audit.some((a) => a.event === 'REJECTED' && a.errorCode === 301));
      await p.requests.waitForResponse(correlationUid, 'org-b', 10_000);
    });

    await t.test('submits written together are checked one by one: each caller gets its own answer', async () => {
      const submit = (o: string, d: string) => p.requests.submit({ ...base, organisationIdentification: o, deviceIdentification: d, messageType: 'SCAN_MBUS_CHANNELS' });
      // Issued together, all but the first are checked and written by one group-committed statement.
      const results = await Promise.allSettled([submit(ORG, GATEWAY), submit(ORG, 'E9999999999999998'), submit('nobody', GATEWAY), submit('org-off', GATEWAY2), submit(ORG, GATEWAY2)]);
      const codes = results.map((r) => (r.status === 'fulfilled' ? 0 : (r.reason as MeterfabricError).code));
      assert.deepEqual(codes, [0, 201, 101, 104, 0]);
      for (const r of results) {
        if (r.status === 'fulfilled') assert.equal((await p.requests.waitForResponse(r.value.correlationUid, ORG, 10_000)).result, 'OK');
      }
      const stored = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request WHERE device_identification = 'E9999999999999998' OR organisation_identification IN ('nobody', 'org-off')`);
      assert.equal(stored.rows[0]!.n, 0);
    });

    await t.test('OK result stored, fetched repeatedly, hidden from other organisations, deleted', async () => {
      const { correlationUid } = await p.requests.submit({ ...base, organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS' });
      const r = await p.requests.waitForResponse(correlationUid, ORG, 10_000);
      assert.equal(r.result, 'OK');
      assert.deepEqual(r.data, { channels: [], attempt: 1 });
      assert.equal((await p.requests.getResponse(correlationUid, ORG)).result, 'OK');
      assert.equal((await p.requests.getResponse(correlationUid, ORG)).result, 'OK');
      await assert.rejects(p.requests.getResponse(correlationUid, 'org-b'), (e: MeterfabricError) => e.code === 405 && e.message === 'CorrelationUid is unknown.');
      await assert.rejects(p.requests.deleteResponse(correlationUid, 'org-b'), (e: MeterfabricError) => e.code === 405);
      await p.requests.deleteResponse(correlationUid, ORG);
      await assert.rejects(p.requests.getResponse(correlationUid, ORG), (e: MeterfabricError) => e.code === 405);
      const events = (await p.requests.audit({ correlationUid })).map((a) => a.event).sort();
      assert.deepEqual(events, ['ACCEPTED', 'COMPLETED', 'DELETED']);
    });

    await t.test('functional errors are not retried; transient ones are, twice; BypassRetry stops that', async () => {
      const go = async (mode: string, bypassRetry = false) => {
        const { correlationUid } = await p.requests.submit({ ...base, payload: { mode }, bypassRetry, organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS' });
        const r = await p.requests.waitForResponse(correlationUid, ORG, 10_000);
        return { r, calls: calls[correlationUid], record: (await p.requests.get(correlationUid))! };
      };
      const functional = await go('functional');
      assert.equal(functional.r.result, 'NOT_OK');
      assert.equal(functional.r.error?.code, 219);
      assert.equal(functional.calls, 1);
      const transient = await go('transient');
      assert.equal(transient.r.result, 'NOT_OK');
      assert.equal(transient.r.error?.code, 225);
      assert.equal(transient.calls, 3);
      assert.equal(transient.record.retries, 2);
      const bypass = await go('transient', true);
      assert.equal(bypass.calls, 1);
    });

    await t.test('a retry past MaxScheduleTime ends with 417', async () => {
      const { correlationUid } = await p.requests.submit({
        ...base, payload: { mode: 'transient' }, maxScheduleTime: new Date(Date.now() + 5), organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS',
      });
      const r = await p.requests.waitForResponse(correlationUid, ORG, 10_000);
      assert.equal(r.result, 'NOT_OK');
      assert.equal(r.error?.code, 417);
    });

    await t.test('ScheduleTime delays the start', async () => {
      const at = new Date(Date.now() + 1500);
      const { correlationUid } = await p.requests.submit({ ...base, scheduleTime: at, organisationIdentification: ORG, deviceIdentification: GATEWAY2, messageType: 'SCAN_MBUS_CHANNELS' });
      const r = await p.requests.waitForResponse(correlationUid, ORG, 10_000);
      assert.ok(r.createdAt.getTime() >= at.getTime() - 50, 'completed before its ScheduleTime');
    });

    await t.test('a request scheduled for tonight waits outside the ready jobs and runs once due', async () => {
      const { correlationUid } = await p.requests.submit({
        ...base, scheduleTime: new Date(Date.now() + 8 * 3600_000), organisationIdentification: ORG, deviceIdentification: GATEWAY2, messageType: 'SCAN_MBUS_CHANNELS',
      });
      const job = await db.query<{ waiting: boolean }>('SELECT waiting FROM request_job WHERE correlation_uid = $1', [correlationUid]);
      assert.equal(job.rows[0]?.waiting, true);
      // Night falls: the job is due in a second. The running queue admits it (every WAIT_AHEAD_MS / 4) and it runs.
      await db.query("UPDATE request_job SET run_after = now() + interval '1 second' WHERE correlation_uid = $1", [correlationUid]);
      const r = await p.requests.waitForResponse(correlationUid, ORG, 10_000);
      assert.equal(r.result, 'OK');
    });

    await t.test('one exchange per gateway at a time, different gateways in parallel', async () => {
      overlap = false;
      parallelGateways = 0;
      const ids = [];
      for (let i = 0; i < 4; i++) {
        ids.push(await p.requests.submit({ ...base, organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS' }));
        ids.push(await p.requests.submit({ ...base, organisationIdentification: ORG, deviceIdentification: MBUS, messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS' }));
        ids.push(await p.requests.submit({ ...base, organisationIdentification: ORG, deviceIdentification: GATEWAY2, messageType: 'SCAN_MBUS_CHANNELS' }));
      }
      for (const { correlationUid } of ids) assert.equal((await p.requests.waitForResponse(correlationUid, ORG, 20_000)).result, 'OK');
      assert.equal(overlap, false, 'two exchanges ran on one gateway at once');
      assert.equal(parallelGateways, 2, 'different gateways did not run in parallel');
      for (const { correlationUid } of ids) assert.equal(calls[correlationUid], 1);
    });

    await t.test('a message type without executor ends NOT_OK 416', async () => {
      const { correlationUid } = await p.requests.submit({ ...base, organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'COUPLE_MBUS_DEVICE_BY_CHANNEL' });
      const r = await p.requests.waitForResponse(correlationUid, ORG, 10_000);
      assert.equal(r.error?.code, 416);
    });
  });

  // docs/gxf.md#priority: retry n runs with max(priority - 1, 0) when n > 0 and n is even (MessagePriorityHandler).
  test(`retries lower the priority every second retry on ${engine}`, engineOptions(engine), async (t) => {
    const { platform: p } = await seededPlatform(t, engine, { concurrency: 2, pollingIntervalSeconds: 0.5, retry: { maxRetries: 4, baseDelayMs: 10 } });
    const seen: Record<string, Array<[number, number]>> = {};
    p.executors.register({
      messageType: 'SCAN_MBUS_CHANNELS',
      async execute(ctx) {
        // The priority of the queue job this execution runs under.
        const job = await ctx.db.query<{ priority: number }>(
          'SELECT j.priority FROM request_job j JOIN request r ON r.job_id = j.id WHERE r.correlation_uid = $1', [ctx.correlationUid],
        );
        (seen[ctx.correlationUid] ??= []).push([ctx.attempt, job.rows[0]!.priority]);
        throw new MeterfabricError(ErrorCode.CONNECTION_REFUSED, 'refused', { component: 'PROTOCOL_DLMS' });
      },
    });
    const run = async (priority: number) => {
      const { correlationUid } = await p.requests.submit({ ...base, priority, organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS' });
      assert.equal((await p.requests.waitForResponse(correlationUid, ORG, 20_000)).result, 'NOT_OK');
      return { seen: seen[correlationUid], record: (await p.requests.get(correlationUid))! };
    };
    const high = await run(6);
    assert.deepEqual(high.seen, [[1, 6], [2, 6], [3, 5], [4, 5], [5, 4]]);
    assert.equal(high.record.retries, 4);
    assert.equal(high.record.priority, 4);
    const low = await run(0);
    assert.deepEqual(low.seen?.map(([, prio]) => prio), [0, 0, 0, 0, 0]);
  });
}

for (const engine of engines) {
  // A gateway's requests start one at a time; the claim holds the next one back while the previous runs. Finishing a
  // request claims again at once: with an hour between idle polls, only that can start the second and third.
  test(`a gateway's queued requests start as the previous one finishes, not at the next poll, on ${engine}`, engineOptions(engine), async (t) => {
    const { platform: p } = await seededPlatform(t, engine, { pollingIntervalSeconds: 3600 });
    const order: string[] = [];
    let running = 0;
    p.executors.register({
      messageType: 'SCAN_MBUS_CHANNELS',
      async execute(ctx) {
        assert.equal(++running, 1, 'two requests of one gateway ran at once');
        order.push(ctx.correlationUid);
        await sleep(20);
        running--;
        return { channels: [] };
      },
    });
    const submitted: string[] = [];
    for (let i = 0; i < 3; i++) {
      submitted.push((await p.requests.submit({ ...base, organisationIdentification: ORG, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS' })).correlationUid);
    }
    for (const uid of submitted) assert.equal((await p.requests.waitForResponse(uid, ORG, 20_000)).result, 'OK');
    assert.deepEqual(order, submitted);
  });
}
