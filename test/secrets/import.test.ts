import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.ts';
import { parseKeyShipment } from '../../src/secrets/import.ts';
import { ClientKeyPair } from '../../src/secrets/client-keys.ts';
import { engines, engineOptions } from '../support/db.ts';
import { freshStore, ctx, codeOf } from './helpers.ts';

const K = (n: number) => Buffer.alloc(16, n);

const CSV = `# shipment 2026-11 from manufacturer KAM
device_identification,secret_type,key,status
E0051000000000001,E_METER_MASTER_KEY,${K(1).toString('hex')},ACTIVE
E0051000000000001,E_METER_AUTHENTICATION_KEY,${K(2).toString('hex').toUpperCase()},
"E0051000000000001",E_METER_ENCRYPTION_KEY_UNICAST,${K(3).toString('hex')},NEW
G0051000000000001,G_METER_MASTER_KEY,${K(4).toString('hex')},ACTIVE
`;

test('CSV shipment: header-named columns, comments, quoted fields, default status ACTIVE', () => {
  const rows = parseKeyShipment(CSV, 'csv');
  assert.deepEqual(
    rows.map((r) => [r.line, r.deviceId, r.type, r.key.toString('hex'), r.status]),
    [
      [3, 'E0051000000000001', 'E_METER_MASTER_KEY', K(1).toString('hex'), 'ACTIVE'],
      [4, 'E0051000000000001', 'E_METER_AUTHENTICATION_KEY', K(2).toString('hex'), 'ACTIVE'],
      [5, 'E0051000000000001', 'E_METER_ENCRYPTION_KEY_UNICAST', K(3).toString('hex'), 'NEW'],
      [6, 'G0051000000000001', 'G_METER_MASTER_KEY', K(4).toString('hex'), 'ACTIVE'],
    ],
  );
});

test('JSON shipment: format, version and keys', () => {
  const rows = parseKeyShipment(
    JSON.stringify({
      format: 'meterfabric-key-shipment',
      version: 1,
      keys: [
        { deviceIdentification: 'E1', secretType: 'E_METER_MASTER_KEY', key: K(1).toString('hex') },
        { deviceIdentification: 'E1', secretType: 'LLS_PASSWORD', key: Buffer.from('pw123456').toString('hex'), status: 'NEW' },
      ],
    }),
    'json',
  );
  assert.deepEqual(rows.map((r) => [r.line, r.type, r.status, r.key.length]), [[1, 'E_METER_MASTER_KEY', 'ACTIVE', 16], [2, 'LLS_PASSWORD', 'NEW', 8]]);
});

test('malformed shipments are refused with the line, never the key', async () => {
  const secret = 'deadbeefdeadbeefdeadbeefdeadbe';
  const cases: [string, 'csv' | 'json', number, RegExp][] = [
    ['device_identification,secret_type,key\nE1,E_METER_MASTER_KEY,' + secret, 'csv', ErrorCode.VALIDATION_ERROR, /line 2: .*15 bytes/],
    ['device_identification,secret_type,key\nE1,E_METER_MASTER_KEY,' + secret + 'zz', 'csv', ErrorCode.INVALID_KEY_FORMAT, /line 2: key is not/],
    ['device_identification,secret_type,key\nE1,NO_SUCH_TYPE,' + secret + 'ff', 'csv', ErrorCode.VALIDATION_ERROR, /line 2: unknown secret type/],
    ['device_identification,secret_type,key,status\nE1,E_METER_MASTER_KEY,' + secret + 'ff,EXPIRED', 'csv', ErrorCode.VALIDATION_ERROR, /status must be/],
    ['device_identification,secret_type,key\nE1,E_METER_MASTER_KEY,' + secret + 'ff\nE1,E_METER_MASTER_KEY,' + secret + 'ee', 'csv', ErrorCode.VALIDATION_ERROR, /line 3: .*also appears at line 2/],
    ['device_identification,key\nE1,' + secret, 'csv', ErrorCode.VALIDATION_ERROR, /secret_type is missing/],
    ['device_identification,secret_type,key\nE1,E_METER_MASTER_KEY', 'csv', ErrorCode.VALIDATION_ERROR, /2 fields/],
    ['{"format":"meterfabric-key-shipment","version":1,"keys":[{"deviceIdentification":"E1","secretType":"E_METER_MASTER_KEY","key":"' + secret + '", }]}', 'json', ErrorCode.VALIDATION_ERROR, /not valid JSON/],
    ['{"format":"other","version":1,"keys":[]}', 'json', ErrorCode.VALIDATION_ERROR, /format must be/],
    ['{"format":"meterfabric-key-shipment","version":1,"keys":[{"deviceIdentification":"E1","secretType":"E_METER_MASTER_KEY","encryptedKey":"00"}]}', 'json', ErrorCode.VALIDATION_ERROR, /no platform key pair/],
    ['', 'csv', ErrorCode.VALIDATION_ERROR, /empty/],
  ];
  for (const [text, format, code, message] of cases) {
    try {
      parseKeyShipment(text, format);
      assert.fail(`accepted: ${text.slice(0, 40)}`);
    } catch (e) {
      assert.equal((e as { code?: number }).code, code, (e as Error).message);
      assert.match((e as Error).message, message);
      assert.ok(!(e as Error).message.toLowerCase().includes(secret.slice(0, 16)), 'message echoes key material');
    }
  }
});

for (const engine of engines) {
  test(`importKeys stores ACTIVE and NEW rows, is idempotent on re-import, and audits each row (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const who = { actor: 'ops:alice', reason: 'KAM shipment 2026-11' };
      const first = await store.importKeys(CSV, { format: 'csv', ctx: who, batchSize: 2 });
      assert.equal(first.imported, 4);
      assert.equal(first.skipped, 0);
      assert.deepEqual((await store.getActive('E0051000000000001', 'E_METER_MASTER_KEY'))?.key, K(1));
      assert.deepEqual((await store.getActive('E0051000000000001', 'E_METER_AUTHENTICATION_KEY'))?.key, K(2));
      assert.equal(await store.getActive('E0051000000000001', 'E_METER_ENCRYPTION_KEY_UNICAST'), undefined);
      assert.deepEqual((await store.getNew('E0051000000000001', 'E_METER_ENCRYPTION_KEY_UNICAST'))?.key, K(3));
      assert.ok((await store.list('G0051000000000001')).every((m) => m.origin === 'IMPORTED'));

      const again = await store.importKeys(CSV, { format: 'csv', ctx: who });
      assert.deepEqual([again.imported, again.skipped], [0, 4]);
      assert.equal((await store.list('E0051000000000001')).length, 3);

      // A newer shipment replaces the ACTIVE key (old one EXPIRED) and can activate the pending NEW one.
      const next = `device_identification,secret_type,key,status
E0051000000000001,E_METER_MASTER_KEY,${K(9).toString('hex')},ACTIVE
E0051000000000001,E_METER_ENCRYPTION_KEY_UNICAST,${K(3).toString('hex')},ACTIVE
`;
      const r = await store.importKeys(next, { format: 'csv', ctx: who });
      assert.deepEqual([r.imported, r.skipped], [2, 0]);
      assert.deepEqual((await store.getActive('E0051000000000001', 'E_METER_MASTER_KEY'))?.key, K(9));
      assert.deepEqual((await store.getActive('E0051000000000001', 'E_METER_ENCRYPTION_KEY_UNICAST'))?.key, K(3));
      const audit = await store.audit('E0051000000000001');
      assert.ok(audit.some((a) => a.action === 'IMPORT' && a.actor === 'ops:alice' && /shipment line 3/.test(a.reason)));
      assert.ok(audit.some((a) => a.action === 'EXPIRE'));
    } finally {
      await dispose();
    }
  });

  test(`importKeys decrypts encrypted_key columns with the platform key pair and refuses a sent NEW key (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const pair = await ClientKeyPair.open(store, { modulusLength: 1024 });
      const doc = {
        format: 'meterfabric-key-shipment',
        version: 1,
        keys: [{ deviceIdentification: 'G9', secretType: 'G_METER_MASTER_KEY', encryptedKey: pair.encryptForPlatform(K(5)) }],
      };
      const r = await store.importKeys(JSON.stringify(doc), { format: 'json', ctx, decryptKey: (h) => pair.decryptClientKey(h) });
      assert.equal(r.imported, 1);
      assert.deepEqual((await store.getActive('G9', 'G_METER_MASTER_KEY'))?.key, K(5));

      const p = await store.getOrGeneratePending('G9', 'G_METER_ENCRYPTION_KEY', ctx);
      await store.markSent('G9', 'G_METER_ENCRYPTION_KEY', p.secretId, ctx);
      const clash = `device_identification,secret_type,key\nG9,G_METER_ENCRYPTION_KEY,${K(6).toString('hex')}\n`;
      assert.equal(await codeOf(() => store.importKeys(clash, { format: 'csv', ctx })), ErrorCode.SECRET_STATE);
      assert.deepEqual((await store.getNew('G9', 'G_METER_ENCRYPTION_KEY'))?.key, p.key);
    } finally {
      await dispose();
    }
  });
}
