import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { createSecretKey } from 'node:crypto';
import pino from 'pino';
import { redactValue, pinoRedact, pinoFormatters, pinoSerializers, assertNoKeyMaterial, REDACTED } from '../../src/secrets/redact.ts';
import { ClientKeyPair } from '../../src/secrets/client-keys.ts';
import { engines, engineOptions } from '../support/db.ts';
import { freshStore, ctx } from './helpers.ts';

const KEY = Buffer.from('8f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');

test('assertNoKeyMaterial finds a key in lower hex, upper hex, separated hex, base64 and base64url', () => {
  const spellings = [
    KEY.toString('hex'),
    KEY.toString('hex').toUpperCase(),
    KEY.toString('hex').match(/../g)!.join(':'),
    KEY.toString('base64'),
    KEY.toString('base64').replace(/=+$/, ''),
    KEY.toString('base64url'),
  ];
  for (const s of spellings) {
    assert.throws(() => assertNoKeyMaterial(`log line ${s} end`, [KEY]), (e: Error) => /key #0 found/.test(e.message) && !e.message.includes(s));
  }
  assertNoKeyMaterial('nothing here 0011223344', [KEY]);
  assert.throws(() => assertNoKeyMaterial('x', [Buffer.from('ab', 'hex')]), /shorter than 4 bytes/);
});

test('redactValue replaces bytes, KeyObjects and secret-named fields at any depth and keeps the rest', () => {
  const out = redactValue({
    deviceId: 'E1',
    secretId: 7,
    nested: { key: 'whatever', data: KEY, list: [KEY, { Mbus_user_key: 'aa' }], kek: createSecretKey(KEY), handle: createSecretKey(KEY) },
    password: 'pw',
    err: Object.assign(new Error('boom'), { code: 804, details: { masterKey: KEY.toString('hex') } }),
  }) as Record<string, any>;
  assert.equal(out.deviceId, 'E1');
  assert.equal(out.secretId, 7);
  assert.equal(out.nested.key, REDACTED);
  assert.equal(out.nested.data, '[bytes:16]');
  assert.equal(out.nested.list[0], '[bytes:16]');
  assert.equal(out.nested.list[1].Mbus_user_key, REDACTED);
  assert.equal(out.nested.kek, REDACTED);
  assert.equal(out.nested.handle, '[key]');
  assert.equal(out.password, REDACTED);
  assert.equal(out.err.message, 'boom');
  assert.equal(out.err.code, 804);
  assert.equal(out.err.details.masterKey, REDACTED);
  assertNoKeyMaterial(JSON.stringify(out), [KEY]);
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  assert.deepEqual(redactValue(circular), { a: 1, self: '[circular]' });
});

for (const engine of engines) {
  test(`key-leak check: the store's scenarios, logged through pino with the redaction, never show a key (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = pino({ level: 'trace', redact: pinoRedact, formatters: pinoFormatters, serializers: pinoSerializers }, sink);
    const used: Buffer[] = [KEY];
    try {
      const D = 'E0051000000000042';
      const a = await store.storeActive(D, 'E_METER_MASTER_KEY', KEY, ctx);
      log.info({ result: a }, 'stored');
      const got = await store.getActive(D, 'E_METER_MASTER_KEY');
      used.push(got!.key);
      // Careless call sites: the key object logged whole, the bytes logged bare, the key under an odd name.
      log.debug({ got }, 'got active key');
      log.debug({ bytes: got!.key, hex: got!.key }, 'bytes');
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
      // The check is live: the raw key printed without the redaction would have been caught.
      assert.throws(() => assertNoKeyMaterial(JSON.stringify({ key: got!.key.toString('hex') }), used));
    } finally {
      await dispose();
    }
  });
}
