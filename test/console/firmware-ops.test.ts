/**
 * Firmware files and the meter's keys and firmware through the console API and the REST API (fastify inject, PGlite,
 * simulated meters over TCP): the firmware files an organisation may send (without a device model, or for a model of
 * a device it holds; for one meter only those that fit it), 401 without credentials; the meter page rotating a
 * meter's keys to OK; a fleet firmware update as a bulk job of UpdateFirmware on three meters, its progress reported
 * until complete and every meter's active firmware changed; another organisation can neither list the files for a
 * meter it does not hold nor rotate its keys or update its firmware (console action or bulk job).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startConsole, ORG_A, ORG_B, ADMIN, GW_A, GW_B, callAs, until } from './helpers.ts';
import { issueApiToken } from '../../src/platform/tokens.ts';
import { addFirmwareFile } from '../../src/platform/firmware.ts';
import { saveDeviceInstallation } from '../../src/platform/device-installation.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { ErrorCode } from '../../src/errors.ts';

const GW_A2 = 'E0051004000000203';
const GW_A3 = 'E0051004000000204';

const call = callAs;

const ids = (body: { firmwareFiles: { identification: string }[] }) => body.firmwareFiles.map((x) => x.identification);

test('pglite: firmware files per organisation; meter page key rotation; a fleet firmware update as a bulk job with progress; another organisation refused', { timeout: 110_000 }, async () => {
  const f = await startConsole('pglite');
  try {
    const simA = f.h.meters[0]!;
    const sims = [simA, await f.h.addGateway(GW_A2, ORG_A), await f.h.addGateway(GW_A3, ORG_A)];
    const image = Buffer.from(Array.from({ length: 6000 }, (_, i) => (i * 7 + 3) & 0xff));
    await addFirmwareFile(f.h.db, { identification: 'FW-E-0701', content: image, imageIdentifier: Buffer.from('FW-E-0701').toString('hex') });
    await addFirmwareFile(f.h.db, { identification: 'FW-MODEL', content: image, imageIdentifier: '4d4f44454c', manufacturer: 'MFS', modelCode: 'E5' });
    await addFirmwareFile(f.h.db, { identification: 'FW-NOID', content: image });
    await saveDeviceInstallation(f.h.db, GW_A, { deviceModel: { manufacturer: 'MFS', modelCode: 'E5' } });
    const a = (await issueApiToken(f.h.db, ORG_A)).token;
    const b = (await issueApiToken(f.h.db, ORG_B)).token;
    const ops = (await issueApiToken(f.h.db, ADMIN)).token;
    const get = async (url: string, token: string, status = 200) => {
      const res = await call(f, { method: 'GET', url, token });
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      return res.json();
    };

    // Without credentials: 401 on both APIs.
    for (const url of ['/console/api/firmware-files', '/api/v1/firmware-files', `/console/api/firmware-files?device=${GW_A}`]) {
      assert.equal((await call(f, { method: 'GET', url })).statusCode, 401, url);
    }

    // What each organisation may send: A holds the MFS E5 meter; B does not; ADMIN sees every file.
    for (const prefix of ['/console/api', '/api/v1']) {
      assert.deepEqual(ids(await get(`${prefix}/firmware-files`, a)), ['FW-E-0701', 'FW-MODEL', 'FW-NOID']);
      assert.deepEqual(ids(await get(`${prefix}/firmware-files?device=${GW_A}`, a)), ['FW-E-0701', 'FW-MODEL'], 'an E-meter: only files with an image identifier');
      assert.deepEqual(ids(await get(`${prefix}/firmware-files?device=${GW_A2}`, a)), ['FW-E-0701'], 'no device model: no model-bound file');
      assert.deepEqual(ids(await get(`${prefix}/firmware-files`, b)), ['FW-E-0701', 'FW-NOID']);
      assert.deepEqual(ids(await get(`${prefix}/firmware-files?device=${GW_B}`, b)), ['FW-E-0701']);
      const hidden = await get(`${prefix}/firmware-files?device=${GW_A}`, b, 404);
      assert.equal(hidden.code, 201, 'unknown device');
      assert.deepEqual(ids(await get(`${prefix}/firmware-files`, ops)), ['FW-E-0701', 'FW-MODEL', 'FW-NOID']);
    }
    const listed = await get('/console/api/firmware-files', a);
    assert.ok(listed.firmwareFiles.every((x: Record<string, unknown>) => !('content' in x) && typeof x.hash === 'string'), 'descriptions only');

    // Another organisation cannot act on A's meter, from the meter page or as a bulk job.
    for (const body of [{ action: 'rotate-keys' }, { action: 'update-firmware', firmwareIdentification: 'FW-E-0701' }]) {
      const res = await call(f, { method: 'POST', url: `/console/api/meters/${GW_A}/actions`, token: b, payload: body });
      assert.equal(res.statusCode, 404, res.body);
    }
    for (const prefix of ['/console/api', '/api/v1']) {
      const res = await call(f, { method: 'POST', url: `${prefix}/bulk-jobs`, token: b, payload: { operation: 'updateFirmware', body: { firmwareIdentification: 'FW-E-0701' }, devices: [GW_A] } });
      assert.equal(res.statusCode, 404, res.body);
    }
    // A model-bound file that does not fit the meter is refused before any request.
    const misfit = await call(f, { method: 'POST', url: `/console/api/meters/${GW_B}/actions`, token: b, payload: { action: 'update-firmware', firmwareIdentification: 'FW-MODEL' } });
    assert.equal(misfit.json().code, 701, misfit.body);
    assert.equal((await get(`/console/api/meters/${GW_A}`, b, 404)).code, 201);
    assert.equal(simA.state.firmware?.active, undefined, 'nothing reached the meter');

    // Meter page: rotate A's keys; the page shows the request until it is OK.
    const before = await get(`/console/api/meters/${GW_A}`, a);
    assert.equal(before.keyRotation, null);
    assert.equal(before.firmwareUpdate, null);
    const rotate = await call(f, { method: 'POST', url: `/console/api/meters/${GW_A}/actions`, token: a, payload: { action: 'rotate-keys' } });
    assert.equal(rotate.statusCode, 202, rotate.body);
    assert.equal(rotate.json().messageType, 'GENERATE_AND_REPLACE_KEYS');
    const states: string[] = [];
    const rotated = await until(async () => {
      const m = await get(`/console/api/meters/${GW_A}`, a);
      states.push(m.keyRotation?.status);
      return m;
    }, (m) => m.keyRotation?.status === 'DONE', 'key rotation');
    assert.equal(rotated.keyRotation.correlationUid, rotate.json().correlationUid);
    assert.equal(rotated.keyRotation.result, 'OK', JSON.stringify(rotated.keyRotation));
    const ak = (await f.h.secrets.getActive(GW_A, 'E_METER_AUTHENTICATION_KEY'))!.key;
    assert.notEqual(ak.toString('hex'), TEST_KEYS.ak.toLowerCase());
    assert.equal(Buffer.from(simA.state.keys.ak).toString('hex'), ak.toString('hex'), 'the meter holds the store\'s ACTIVE key');
    assert.ok(!JSON.stringify(rotated).toLowerCase().includes(ak.toString('hex')), 'no key in the answer');

    // A fleet firmware update: one bulk job of UpdateFirmware on every E-meter A holds, followed to complete.
    const started = await call(f, { method: 'POST', url: '/console/api/bulk-jobs', token: a, payload: { operation: 'updateFirmware', body: { firmwareIdentification: 'FW-E-0701' }, filter: { type: 'SMART_METER_E' } } });
    assert.equal(started.statusCode, 202, started.body);
    const job = started.json();
    assert.equal(job.messageType, 'UPDATE_FIRMWARE');
    assert.equal(job.total, 3);
    assert.equal(job.progress.complete, false);
    const seen: { finished: number; ok: number }[] = [];
    const done = await until(async () => {
      const j = await get(`/api/v1/bulk-jobs/${job.id}?limit=10`, a);
      seen.push({ finished: j.progress.finished, ok: j.progress.counts.OK });
      return j;
    }, (j) => j.progress.complete, 'the bulk job', 90_000);
    assert.deepEqual(done.progress.counts, { PENDING: 0, REFUSED: 0, QUEUED: 0, RUNNING: 0, RETRY: 0, OK: 3, NOT_OK: 0, NOT_FOUND: 0 }, JSON.stringify(done.items));
    assert.equal(done.progress.finished, 3);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.finished >= seen[i - 1]!.finished, 'progress never goes back');
    assert.deepEqual(done.items.map((i: { deviceIdentification: string }) => i.deviceIdentification).sort(), [GW_A, GW_A2, GW_A3]);
    for (const sim of sims) {
      assert.equal(sim.state.firmware?.active?.identifier, 'FW-E-0701');
      assert.equal(sim.state.firmware?.versions.ACTIVE_FIRMWARE, 'FW-E-0701');
    }
    // The meter page shows each meter's update with the versions read after activation.
    const page = await get(`/console/api/meters/${GW_A2}`, a);
    assert.equal(page.firmwareUpdate.result, 'OK');
    assert.equal(page.firmwareUpdate.transfer?.step, 'activated', 'the transfer as the request left it');
    assert.deepEqual(page.firmwareUpdate.data.firmwareVersions.find((v: { firmwareModuleType: string }) => v.firmwareModuleType === 'ACTIVE_FIRMWARE'), { version: 'FW-E-0701', firmwareModuleType: 'ACTIVE_FIRMWARE' });
    // B sees none of it.
    assert.equal((await get(`/api/v1/bulk-jobs/${job.id}`, b, 404)).code, ErrorCode.UNKNOWN_BULK_JOB);
  } finally {
    await f.stop();
  }
});
