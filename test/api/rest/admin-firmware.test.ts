/**
 * The firmware file store over the REST admin API (POST/GET /api/v1/admin/firmware): admin only, never overwrites
 * (702 → 409), the hash as GXF prints it (SHA-256, lowercase hex without leading zeros).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startAdminApi } from '../../support/admin-api.ts';
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
  const { db, call } = await startAdminApi(t, 'pglite');
  await addOrganisation(db, { identification: 'user-org' });
  const user = { authorization: `Bearer ${(await issueApiToken(db, 'user-org')).token}` };
  const image = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
  const body = { identification: 'FW-E-0503', content: image.toString('base64'), imageIdentifier: 'FEDCBA0987654321', manufacturer: 'MFS', modelCode: 'E5' };

  assert.equal((await call('POST', '/firmware', body, {})).status, 401);
  const refused = await call('POST', '/firmware', body, user);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 301);

  const added = await call('POST', '/firmware', body);
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.equal(added.body.identification, 'FW-E-0503');
  assert.equal(added.body.hash, createHash('sha256').update(image).digest('hex').replace(/^0+/, ''));
  assert.deepEqual([added.body.size, added.body.hashType, added.body.imageIdentifier, added.body.manufacturer, added.body.modelCode], [3000, 'SHA256', 'FEDCBA0987654321', 'MFS', 'E5']);

  const again = await call('POST', '/firmware', { ...body, content: Buffer.from('other').toString('base64') });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 702);
  assert.equal((await call('POST', '/firmware', { ...body, identification: 'FW-2', manufacturer: undefined })).status, 400, 'manufacturer and model code go together');
  assert.equal((await call('POST', '/firmware', { ...body, identification: 'FW-3', content: '***' })).status, 400);

  assert.equal((await call('GET', '/firmware/FW-E-0503')).body.hash, added.body.hash);
  assert.equal((await call('GET', '/firmware/none')).status, 404);
  assert.equal((await call('GET', '/firmware', undefined, user)).status, 403);
  assert.deepEqual((await call('GET', '/firmware')).body.firmwareFiles.map((f: { identification: string }) => f.identification), ['FW-E-0503']);
});
