import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { createSecretKey } from 'node:crypto';
import { rootLogger, scrubText } from '../../src/observability/logger.ts';
import { ClientKeyPair } from '../../src/secrets/client-keys.ts';
import { engines, engineOptions } from '../support/db.ts';
import { assertNoKeyMaterial } from '../support/key-material.ts';
import { freshStore, ctx } from '../secrets/helpers.ts';

function capture(level = 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: rootLogger({ level, destination: destination as never }) };
}

test('a 16-byte key in hex inside a message is replaced', () => {
  assert.equal(scrubText('key 000102030405060708090A0B0C0D0E0F sent'), 'key [redacted] sent');
  assert.equal(scrubText('short 0A0B0C'), 'short 0A0B0C');
});

test('log lines never carry key bytes, key-named fields or Buffers', () => {
  const { lines, log } = capture();
  const key = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
  log.info({ device: 'E0051004000000117', ek: 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF', raw: key }, 'new key %s', key.toString('hex'));
  const text = lines.join('');
  assert.ok(!text.toLowerCase().includes('00112233445566778899aabbccddeeff'), text);
  assert.ok(!text.includes('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'), text);
  assert.ok(!text.includes(key.toString('base64')), text);
  assert.match(text, /E0051004000000117/);
  assert.match(text, /\[16 bytes\]/);
});

test('the leak search finds a key in lower hex, upper hex, separated hex, base64 and base64url, and names no key', () => {
  const key = Buffer.from('8f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
  const spellings = [
    key.toString('hex'),
    key.toString('hex').toUpperCase(),
    key.toString('hex').match(/../g)!.join(':'),
    key.toString('base64'),
    key.toString('base64').replace(/=+$/, ''),
    key.toString('base64url'),
  ];
  for (const s of spellings) {
    assert.throws(() => assertNoKeyMaterial(`log line ${s} end`, [key]), (e: Error) => /key #0 found/.test(e.message) && !e.message.includes(s));
  }
  assertNoKeyMaterial('nothing here 0011223344', [key]);
  assert.throws(() => assertNoKeyMaterial('x', [Buffer.from('ab', 'hex')]), /shorter than 4 bytes/);
});

test('the scrubber reaches bytes and key-named fields at any depth, keeps the rest, and survives cycles', () => {
  const { lines, log } = capture();
  const key = Buffer.from('8f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  log.info({
    deviceId: 'E1',
    secretId: 7,
    nested: { data: key, list: [key, { Mbus_user_key: 'aa' }], kek: 'k', password: 'pw', handle: createSecretKey(key) },
    err: Object.assign(new Error(`boom ${key.toString('hex')}`), { code: 804, details: { masterKey: key.toString('hex') } }),
    circular,
  }, 'fields');
  const line = JSON.parse(lines.join('')) as Record<string, any>;
  assert.equal(line.deviceId, 'E1');
  assert.equal(line.secretId, 7);
  assert.equal(line.nested.data, '[16 bytes]');
  assert.equal(line.nested.list[0], '[16 bytes]');
  assert.equal(line.nested.list[1].Mbus_user_key, '[redacted]');
  assert.equal(line.nested.kek, '[redacted]');
  assert.equal(line.nested.password, '[redacted]');
  assert.equal(line.err.code, 804);
  assert.equal(line.err.message, 'boom [redacted]');
  assert.equal(line.circular.a, 1);
  assertNoKeyMaterial(lines.join(''), [key]);
});

for (const engine of engines) {
  test(`the secret store's scenarios, logged carelessly through the logger, never show a key (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    const { lines, log } = capture('trace');
    const KEY = Buffer.from('8f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
    const used: Buffer[] = [KEY];
    try {
      const D = 'E0051000000000042';
      const a = await store.storeActive(D, 'E_METER_MASTER_KEY', KEY, ctx);
      log.info({ result: a }, 'stored');
      const got = await store.getActive(D, 'E_METER_MASTER_KEY');
      used.push(got!.key);
      // Careless call sites: the key object logged whole, the bytes logged bare, the key under an odd name.
      log.debug({ got }, 'got active key');
      log.debug({ bytes: got!.key, hex: got!.key.toString('hex') }, 'bytes');
      log.trace(got!, 'whole');
      const p = await store.getOrGeneratePending(D, 'G_METER_ENCRYPTION_KEY', ctx);
      used.push(p.key);
      log.info({ pending: p }, 'pending');
      await store.markSent(D, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx);
      const pair = await ClientKeyPair.open(store, { modulusLength: 1024 });
      const errors: unknown[] = [];
      for (const attempt of [
        () => store.storeNew(D, 'E_METER_MASTER_KEY', KEY.subarray(0, 15), ctx),
        () => store.storeNew(D, 'G_METER_ENCRYPTION_KEY', KEY, ctx),
        () => store.withdraw(D, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx),
        () => store.activate(D, 'E_METER_MASTER_KEY', 424242, ctx),
        () => store.importKeys(`device_identification,secret_type,key\n${D},E_METER_MASTER_KEY,${KEY.toString('hex')}zz\n`, { format: 'csv', ctx }),
        () => store.importKeys(`{"format":"meterfabric-key-shipment","version":1,"keys":[{"key":"${KEY.toString('hex')}",}]}`, { format: 'json', ctx }),
        async () => pair.decryptClientKey(KEY.toString('hex')),
      ]) {
        try {
          await attempt();
          assert.fail('expected an error');
        } catch (e) {
          errors.push(e);
          log.error({ err: e }, 'operation failed');
        }
      }
      assert.equal(errors.length, 7);
      const meta = await store.list(D);
      log.info({ meta, audit: await store.audit(D) }, 'state');
      const everything = [
        ...lines,
        ...errors.map((e) => `${(e as Error).message}\n${(e as Error).stack}\n${inspect(e, { depth: 5 })}\n${JSON.stringify(e)}`),
        JSON.stringify(meta),
        inspect(store, { depth: 5 }),
        inspect(pair),
      ].join('\n');
      assert.ok(lines.length >= 10);
      assertNoKeyMaterial(everything, used);
      // The check is live: the key the scrubber hid from the 'bytes' line is caught when printed without it.
      assert.throws(() => assertNoKeyMaterial(JSON.stringify({ hex: got!.key.toString('hex') }), used), /key #0 found as hex/);
    } finally {
      await dispose();
    }
  });
}
