/**
 * The fleet view and bulk jobs through the console API and the REST API (fastify inject, PGlite and PostgreSQL):
 * keyset paging forwards and back over every device of an organisation, the filters, another organisation sees
 * none of it (devices, requests, jobs) on either API, 401 without credentials; a bulk GenerateAndReplaceKeys on a
 * simulated meter to OK with its request's attempts, the device's last contact and result, the request list's
 * filters and the requests-per-minute chart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, engineOptions } from '../support/db.ts';
import { startConsole, ORG_A, ORG_B, ADMIN, GW_A, GW_B, GM_A, GM_B, callAs, until } from './helpers.ts';
import { issueApiToken } from '../../src/platform/tokens.ts';
import { seedFleet } from '../support/fleet.ts';

const call = callAs;

for (const engine of engines) {
  test(`${engine}: fleet view — keyset paging, filters, per-organisation scope on the console and REST APIs; a bulk rekey to OK with its timeline`, engineOptions(engine), async () => {
    const f = await startConsole(engine);
    try {
      await seedFleet(f.h.db, ORG_A, 'EA', 230);
      await seedFleet(f.h.db, ORG_B, 'EB', 20);
      const a = (await issueApiToken(f.h.db, ORG_A)).token;
      const b = (await issueApiToken(f.h.db, ORG_B)).token;
      const ops = (await issueApiToken(f.h.db, ADMIN)).token;
      const get = async (url: string, token: string) => {
        const res = await call(f, { method: 'GET', url, token });
        assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
        return res.json();
      };

      // Without credentials: 401 on both APIs.
      for (const url of ['/console/api/fleet/devices', '/api/v1/fleet/devices', '/api/v1/fleet/requests', '/api/v1/bulk-jobs', '/api/v1/fleet/requests-per-minute']) {
        const res = await call(f, { method: 'GET', url });
        assert.equal(res.statusCode, 401, `${url}: ${res.body}`);
      }

      // Paging forwards by keyset over all of A's devices (230 seeded + gateway + G-meter), then back.
      const seen: string[] = [];
      const cursors: (string | null)[] = [];
      let page = await get('/console/api/fleet/devices?limit=50', a);
      assert.equal(page.total, 232);
      assert.equal(page.previous, null);
      for (;;) {
        seen.push(...page.devices.map((d: { deviceIdentification: string }) => d.deviceIdentification));
        cursors.push(page.previous);
        if (!page.next) break;
        page = await get(`/console/api/fleet/devices?limit=50&after=${page.next}`, a);
      }
      assert.equal(seen.length, 232);
      assert.deepEqual(seen, [...seen].sort(), 'identification order');
      assert.ok(seen.includes(GW_A) && seen.includes(GM_A) && !seen.some((d) => d.startsWith('EB') || d === GW_B));
      const back = await get(`/console/api/fleet/devices?limit=50&before=${page.previous}`, a);
      assert.deepEqual(back.devices.map((d: { deviceIdentification: string }) => d.deviceIdentification), seen.slice(150, 200), 'the page before the last');

      // Filters.
      const gMeters = await get('/console/api/fleet/devices?type=SMART_METER_G&limit=200', a);
      assert.equal(gMeters.total, 46 + 1);
      assert.ok(gMeters.devices.every((d: { deviceType: string }) => d.deviceType === 'SMART_METER_G'));
      assert.deepEqual((await get('/console/api/fleet/devices?coupled=true', a)).devices.map((d: { deviceIdentification: string }) => d.deviceIdentification), [GM_A]);
      assert.equal((await get('/console/api/fleet/devices?coupled=false', a)).total, 46);
      assert.equal((await get('/console/api/fleet/devices?q=EA0001', a)).total, 100);
      assert.equal((await get('/console/api/fleet/devices?q=EA0001&protocol=SMR%205.1', a)).total, 50);
      assert.equal((await get(`/console/api/fleet/devices?owner=${ORG_A}&q=EA`, a)).total, 230);
      assert.equal((await get(`/console/api/fleet/devices?owner=${ORG_B}`, a)).total, 0, 'owner B: nothing A may see');
      assert.equal((await get('/console/api/fleet/devices?q=EB', a)).total, 0, 'A does not see B\'s devices by searching');
      assert.equal((await get('/console/api/fleet/devices?lastResult=OK', a)).total, 0);
      assert.equal((await call(f, { method: 'GET', url: '/console/api/fleet/devices?limit=5000', token: a })).statusCode, 400);

      // B on the REST API: only its own; ADMIN: everything.
      const bDevices = await get('/api/v1/fleet/devices?limit=200', b);
      assert.equal(bDevices.total, 22);
      assert.ok(bDevices.devices.every((d: { deviceIdentification: string }) => d.deviceIdentification.startsWith('EB') || d.deviceIdentification === GW_B || d.deviceIdentification === GM_B));
      assert.equal((await get('/api/v1/fleet/devices?q=EA', b)).total, 0);
      assert.equal((await get('/api/v1/fleet/devices', ops)).total, 254);

      // A bulk GenerateAndReplaceKeys of A's gateway, over the REST API.
      const refused = await call(f, { method: 'POST', url: '/api/v1/bulk-jobs', token: b, payload: { operation: 'generateAndReplaceKeys', devices: [GW_A] } });
      assert.equal(refused.statusCode, 404, 'B cannot name A\'s device');
      assert.equal((await call(f, { method: 'POST', url: '/api/v1/bulk-jobs', token: a, payload: { operation: 'getDevices', devices: [GW_A] } })).statusCode, 400);
      assert.equal((await call(f, { method: 'POST', url: '/api/v1/bulk-jobs', token: a, payload: { operation: 'generateAndReplaceKeys', devices: [GW_A], body: { priority: 9 } } })).statusCode, 400);
      const started = await call(f, { method: 'POST', url: '/api/v1/bulk-jobs', token: a, payload: { operation: 'generateAndReplaceKeys', devices: [GW_A] } });
      assert.equal(started.statusCode, 202, started.body);
      const job = started.json();
      assert.equal(job.messageType, 'GENERATE_AND_REPLACE_KEYS');
      assert.equal(job.total, 1);
      const done = await until(() => get(`/console/api/bulk-jobs/${job.id}`, a), (j) => j.progress.complete, 'the bulk job');
      assert.equal(done.progress.counts.OK, 1, JSON.stringify(done));
      assert.equal(done.state, 'SUBMITTED');
      const cid = done.items[0].correlationUid as string;
      assert.ok(cid);
      // B sees neither the job nor its request.
      assert.equal((await call(f, { method: 'GET', url: `/console/api/bulk-jobs/${job.id}`, token: b })).statusCode, 404);
      assert.equal((await call(f, { method: 'GET', url: `/api/v1/bulk-jobs/${job.id}`, token: b })).statusCode, 404);
      assert.deepEqual((await get('/api/v1/bulk-jobs', b)).jobs, []);
      assert.equal((await call(f, { method: 'GET', url: `/api/v1/fleet/requests/${cid}/attempts`, token: b })).statusCode, 404);
      assert.deepEqual((await get('/api/v1/fleet/requests', b)).requests, []);
      assert.equal((await get('/api/v1/bulk-jobs', ops)).jobs.length, 1, 'ADMIN sees every job');

      // The request's timeline: one attempt, started and ended OK.
      const detail = await get(`/console/api/requests/${cid}`, a);
      assert.equal(detail.attempts.length, 1);
      assert.equal(detail.attempts[0].outcome, 'OK');
      assert.ok(Date.parse(detail.attempts[0].endedAt) >= Date.parse(detail.attempts[0].startedAt));
      assert.deepEqual(detail.timeline.map((e: { event: string }) => e.event), ['ACCEPTED', 'COMPLETED']);
      // The gateway's last contact and last result.
      const gw = (await get(`/console/api/fleet/devices?q=${GW_A}`, a)).devices[0];
      assert.equal(gw.lastResult, 'OK');
      assert.equal(gw.lastMessageType, 'GENERATE_AND_REPLACE_KEYS');
      assert.ok(gw.lastContactAt, 'a contact was recorded');
      assert.equal((await get('/console/api/fleet/devices?lastResult=OK', a)).total, 1);
      // The request list's filters and the chart.
      const listed = await get('/console/api/fleet/requests?result=OK&messageType=GENERATE_AND_REPLACE_KEYS', a);
      assert.deepEqual(listed.requests.map((r: { correlationUid: string }) => r.correlationUid), [cid]);
      assert.deepEqual((await get('/console/api/fleet/requests?result=NOT_OK', a)).requests, []);
      const chart = await get('/console/api/fleet/requests-per-minute?minutes=10', a);
      assert.equal(chart.points.reduce((n: number, p: { result: string; n: number }) => n + (p.result === 'OK' ? p.n : 0), 0), 1);
      assert.deepEqual((await get('/console/api/fleet/requests-per-minute', b)).points, []);
    } finally {
      await f.stop();
    }
  });
}
