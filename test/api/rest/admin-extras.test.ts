/** ADMIN extras of the REST admin API: key status, audit and import (metadata only), console tokens, requests on behalf of an organisation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend } from '../../../src/runtime/headend.ts';
import { SoftwareKekProvider } from '../../../src/secrets/kek.ts';
import { splitShipment } from '../../../src/cli/commands/key.ts';
import { parseDeviceCsv } from '../../../src/cli/commands/device.ts';
import { freshDb } from '../../support/db.ts';
import { addDevice } from '../../../src/platform/inventory.ts';
import { issueApiToken } from '../../../src/platform/tokens.ts';
import type { RunningHeadend } from '../../../src/runtime/headend.ts';

/** The built-in ADMIN organisation's token, from the admin.token the head-end wrote. */
const admin = (h: RunningHeadend) => ({ authorization: `Bearer ${readFileSync(h.adminTokenPath!, 'utf8').trim()}` });

const KEY = '000102030405060708090A0B0C0D0E0F';

test('an ADMIN imports a key shipment and reads statuses and audit without key bytes; others are refused', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-keys-'));
  const { db, dispose } = await freshDb('pglite');
  const h = await startHeadend({ dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: { host: '127.0.0.1', port: 0 }, push: false, workers: false });
  try {
    const csv = `device_identification,secret_type,key,status\nE0051000000000001,E_METER_MASTER_KEY,${KEY},ACTIVE\nE0051000000000002,E_METER_MASTER_KEY,${KEY.toLowerCase()},\n`;
    const parts = splitShipment(csv, 'csv', 1);
    assert.equal(parts.length, 2);
    assert.ok(parts.every((p) => p.startsWith('device_identification,')));
    for (const text of parts) {
      const r = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/keys/import', payload: { format: 'csv', text } });
      assert.equal(r.statusCode, 201, r.body);
    }
    const list = await h.app!.inject({ headers: admin(h), method: 'GET', url: '/api/v1/admin/keys/E0051000000000001' });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().keys[0].status, 'ACTIVE');
    const audit = await h.app!.inject({ headers: admin(h), method: 'GET', url: '/api/v1/admin/keys?limit=10' });
    assert.equal(audit.json().audit.length >= 2, true);
    for (const body of [list.body, audit.body]) {
      assert.ok(!body.toUpperCase().includes(KEY), 'no key bytes in responses');
      assert.ok(!body.includes(Buffer.from(KEY, 'hex').toString('base64')));
    }
    await db.query(`INSERT INTO organisation (identification, name) VALUES ('plain-org', 'Plain')`);
    const refused = await h.app!.inject({ method: 'GET', url: '/api/v1/admin/keys/E0051000000000001', headers: { authorization: `Bearer ${(await issueApiToken(db, 'plain-org')).token}` } });
    assert.equal(refused.statusCode, 403);
    // API tokens are issued by an ADMIN over the same API (meterfabric org token ID)
    const token = await h.app!.inject({ headers: { ...admin(h), 'content-type': 'application/json' }, method: 'POST', url: '/api/v1/admin/organisations/plain-org/tokens' });
    assert.equal(token.statusCode, 201, token.body);
    assert.match(token.json().token, /^mft_/);
    const stored = await db.query<{ token_hash: string }>('SELECT token_hash FROM api_token');
    assert.ok(!JSON.stringify(stored.rows).includes(token.json().token), 'only a hash of the token is stored');
    const revoked = await h.app!.inject({ headers: admin(h), method: 'DELETE', url: '/api/v1/admin/organisations/plain-org/tokens' });
    assert.equal(revoked.json().revoked, 2);
    // requests on behalf of an organisation: its authorisations apply; rekey covers every coupled channel
    await addDevice(db, { deviceIdentification: 'E0051000000000009', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.5', ownerOrganisationIdentification: 'plain-org' });
    await addDevice(db, { deviceIdentification: 'G0051000000000009', deviceType: 'SMART_METER_G', gatewayDeviceIdentification: 'E0051000000000009', channel: 2, ownerOrganisationIdentification: 'plain-org' });
    const rekey = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/rekey', payload: { organisationIdentification: 'plain-org', gateways: ['E0051000000000009'] } });
    assert.equal(rekey.statusCode, 202, rekey.body);
    assert.equal(rekey.json().submitted.length, 1);
    assert.equal(rekey.json().submitted[0].channel, 2);
    const queued = await h.platform.requests.get(rekey.json().submitted[0].correlationUid);
    assert.deepEqual(queued?.payload, { channel: 2 });
    const foreign = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/requests', payload: { organisationIdentification: 'OSGP', deviceIdentification: 'E0051000000000009', messageType: 'SCAN_MBUS_CHANNELS' } });
    assert.equal(foreign.statusCode, 403, 'the organisation named must be authorised for the device');
    const bad = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/keys/import', payload: { format: 'csv', text: 'device_identification,secret_type,key\nE1,NOPE,00\n' } });
    assert.equal(bad.statusCode >= 400 && bad.statusCode < 500, true, bad.body);
  } finally {
    await h.stop();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('devices are imported in bulk from CSV; a second run skips what is there', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-bulk-'));
  const { db, dispose } = await freshDb('pglite');
  const h = await startHeadend({ dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: { host: '127.0.0.1', port: 0 }, push: false, workers: false });
  try {
    const lines = ['deviceIdentification,deviceType,protocolName,protocolVersion,host,port,gatewayDeviceIdentification,channel'];
    for (let i = 0; i < 300; i++) lines.push(`E${String(i).padStart(16, '0')},SMART_METER_E,SMR,5.5,127.0.0.1,${4000 + i},,`);
    lines.push('G0000000000000001,SMART_METER_G,,,,,E0000000000000000,1');
    const devices = parseDeviceCsv(lines.join('\n'));
    assert.equal(devices.length, 301);
    assert.deepEqual(devices[300], { deviceIdentification: 'G0000000000000001', deviceType: 'SMART_METER_G', gatewayDeviceIdentification: 'E0000000000000000', channel: 1 });
    const first = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/devices/bulk', payload: { devices } });
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual(first.json(), { added: 301, skipped: 0 });
    const again = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/devices/bulk', payload: { devices } });
    assert.deepEqual(again.json(), { added: 0, skipped: 301 });
    const bad = await h.app!.inject({ headers: admin(h), method: 'POST', url: '/api/v1/admin/devices/bulk', payload: { devices: [{ deviceIdentification: 'short', deviceType: 'SMART_METER_E' }] } });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.throws(() => parseDeviceCsv('deviceIdentification\nE1'), /header must name/);
  } finally {
    await h.stop();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
