/**
 * The firmware file store over the REST admin API (POST/GET /api/v1/admin/firmware): admin only, never overwrites
 * (702 → 409), the hash as GXF prints it (SHA-256, lowercase hex without leading zeros).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { freshDb } from '../../support/db.ts';
import { Platform } from '../../../src/platform/platform.ts';
import { buildServer } from '../../../src/api/server.ts';
import { issueApiToken } from '../../../src/platform/tokens.ts';
import { addOrganisation } from '../../../src/platform/inventory.ts';
import { firmwareHash } from '../../../src/platform/firmware.ts';

test('firmwareHash drops leading zero digits as GXF does, and is the SHA-256 otherwise', () => {
  // Literal vector: SHA-256("abc") (FIPS 180-2 appendix B.1) has no leading zero.
  assert.equal(firmwareHash(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // A content whose digest starts with 0: found by counting up (deterministic), printed without the zero.
  let i = 0;
  while (!createHash('sha256').update(String(i)).digest('hex').startsWith('0')) i++;
  const full = createHash('sha256').update(String(i)).digest('hex');
  assert.equal(firmwareHash(Buffer.from(String(i))), full.replace(/^0+/, ''));
  assert.ok(firmwareHash(Buffer.from(String(i))).length < 64);
});

test('REST admin firmware store: admin only, stored once, hash and identification answered', { timeout: 60_000 }, async (t) => {
  const { db, dispose } = await freshDb('pglite');
  const platform = await Platform.start({ db, workers: false });
  const app = await buildServer({ platform });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await platform.stop();
    await dispose();
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/admin`;
  const admin = { authorization: `Bearer ${(await issueApiToken(db, 'OSGP')).token}` };
  await addOrganisation(db, { identification: 'user-org' });
  const user = { authorization: `Bearer ${(await issueApiToken(db, 'user-org')).token}` };
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const image = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
  const body = { identification: 'FW-E-0503', content: image.toString('base64'), imageIdentifier: 'FEDCBA0987654321', manufacturer: 'MFS', modelCode: 'E5' };

  assert.equal((await call('POST', '/firmware', {}, body)).status, 401);
  const refused = await call('POST', '/firmware', user, body);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 301);

  const added = await call('POST', '/firmware', admin, body);
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.equal(added.body.identification, 'FW-E-0503');
  assert.equal(added.body.hash, createHash('sha256').update(image).digest('hex').replace(/^0+/, ''));
  assert.deepEqual([added.body.size, added.body.hashType, added.body.imageIdentifier, added.body.manufacturer, added.body.modelCode], [3000, 'SHA256', 'FEDCBA0987654321', 'MFS', 'E5']);

  const again = await call('POST', '/firmware', admin, { ...body, content: Buffer.from('other').toString('base64') });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 702);
  assert.equal((await call('POST', '/firmware', admin, { ...body, identification: 'FW-2', manufacturer: undefined })).status, 400, 'manufacturer and model code go together');
  assert.equal((await call('POST', '/firmware', admin, { ...body, identification: 'FW-3', content: '***' })).status, 400);

  assert.equal((await call('GET', '/firmware/FW-E-0503', admin)).body.hash, added.body.hash);
  assert.equal((await call('GET', '/firmware/none', admin)).status, 404);
  assert.equal((await call('GET', '/firmware', user)).status, 403);
  assert.deepEqual((await call('GET', '/firmware', admin)).body.firmwareFiles.map((f: { identification: string }) => f.identification), ['FW-E-0503']);
});
