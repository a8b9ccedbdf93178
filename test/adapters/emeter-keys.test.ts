/**
 * E-meter key changes against a simulated meter over TCP with the real secret store (src/adapters/emeter-keys.ts):
 * the class 64 parameter on the wire, a refused transfer, recovery at an unrelated association, concurrent changes,
 * and GetKeys' encryption for the organisation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { startHeadend, type Headend } from '../support/headend.ts';
import { inventoryPort, linkFactory, secretPort } from '../../src/adapters/bindings.ts';
import { AK, EK, MK, changeEMeterKeys, emeterKeyPort, getKeys } from '../../src/adapters/emeter-keys.ts';
import { aesKeyWrap } from '../../src/dlms/security/keywrap.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';

const ORG = 'test-org';
const GW = 'E0051004000000071';
const ctx = (n: string) => ({ correlationUid: n, organisationIdentification: ORG, deviceIdentification: GW, messageType: 'GENERATE_AND_REPLACE_KEYS' });

function ports(h: Headend, publicKey?: string) {
  return {
    links: linkFactory(h.db, h.secrets, undefined, { connectTimeoutMs: 2000, responseTimeoutMs: 2000 }),
    secrets: secretPort(h.secrets),
    inventory: inventoryPort(h.db),
    emeterKeys: emeterKeyPort(h.secrets, async () => publicKey, { attempts: 3, retryDelayMs: 5 }),
  };
}

async function withGateway(fn: (h: Headend, sim: Awaited<ReturnType<Headend['addGateway']>>) => Promise<void>): Promise<void> {
  const h = await startHeadend('pglite');
  try {
    await h.addOrganisation(ORG);
    await fn(h, await h.addGateway(GW, ORG));
  } finally {
    await h.stop();
  }
}

test('the RFC 3394 test vector of docs/dlms.md is what a key is wrapped to', () => {
  const wrapped = aesKeyWrap(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'), Buffer.from('112233445566778899AABBCCDDEEFF00', 'hex'));
  assert.equal(wrapped.toString('hex').toUpperCase(), '8E7E7D1622071BABC582FF28D313EB1AAEBF1948095806DD');
});

test('a meter that refuses global_key_transfer: GXF text, the refused keys withdrawn (confirmed), meter and store unchanged', async () => {
  await withGateway(async (h, sim) => {
    sim.faults = { methodError: { classId: 64, obis: '0-0:43.0.0.255', methodId: 2, result: 3 } };
    const e = await changeEMeterKeys(ports(h), ctx('refused'), { kind: 'generate' }).then(() => undefined, (x: unknown) => x);
    assert.ok(isMeterfabricError(e) && e.code === ErrorCode.ACTION_RESULT && !e.retryable, String(e));
    assert.match((e as Error).message, /^AccessResultCode for replace keys was not SUCCESS: 3$/);
    assert.equal(sim.state.keys.ak.toString('hex').toUpperCase(), TEST_KEYS.ak);
    assert.equal((await h.secrets.getActive(GW, AK))!.key.toString('hex').toUpperCase(), TEST_KEYS.ak);
    const news = (await h.secrets.list(GW)).filter((m) => m.type !== MK && m.status !== 'ACTIVE');
    assert.deepEqual(news.map((m) => [m.type, m.status, m.sent]).sort(), [[AK, 'WITHDRAWN', true], [EK, 'WITHDRAWN', true]]);
  });
});

test('a meter left on the NEW AK by a cut-off change: the next association of any operation recovers it at once', async () => {
  await withGateway(async (h, sim) => {
    // As a process that died after the AK transfer reached the meter: AK and EK NEW and marked sent, the meter on the new AK.
    const a = { actor: 'test', reason: 'cut off' };
    const ak = await h.secrets.getOrGeneratePending(GW, AK, a);
    const ek = await h.secrets.getOrGeneratePending(GW, EK, a);
    await h.secrets.markSent(GW, AK, ak.secretId, a);
    await h.secrets.markSent(GW, EK, ek.secretId, a);
    sim.state.keys.ak = Buffer.from(ak.key);
    const link = await ports(h).links.open(GW);
    assert.equal((await link.readChannel(1)).channel, 1, 'the association works');
    await link.release();
    assert.deepEqual((await h.secrets.getActive(GW, AK))!.key, sim.state.keys.ak, 'the NEW AK the meter accepted is ACTIVE');
    assert.deepEqual((await h.secrets.getActive(GW, EK))!.key, sim.state.keys.ek);
    const ekRow = (await h.secrets.list(GW)).find((m) => m.secretId === ek.secretId)!;
    assert.equal(ekRow.status, 'WITHDRAWN', 'the sent NEW EK the meter proved absent is withdrawn');
    const audit = await h.secrets.audit(GW);
    assert.ok(audit.some((r) => r.action === 'ACTIVATE' && r.secretId === ak.secretId && /the meter accepted the NEW AK/.test(r.reason)));
  });
});

test('three concurrent key changes of one meter run one after another and all end OK; store ACTIVE = meter', async () => {
  await withGateway(async (h, sim) => {
    const p = ports(h);
    await Promise.all([1, 2, 3].map((i) => changeEMeterKeys(p, ctx(`c${i}`), { kind: 'generate' })));
    assert.deepEqual([(await h.secrets.getActive(GW, AK))!.key, (await h.secrets.getActive(GW, EK))!.key], [sim.state.keys.ak, sim.state.keys.ek]);
    const rows = (await h.secrets.list(GW)).filter((m) => m.type === AK);
    assert.deepEqual(rows.map((m) => m.status), ['EXPIRED', 'EXPIRED', 'EXPIRED', 'ACTIVE'], 'as GXF: 3 EXPIRED and 1 ACTIVE per type');
  });
});

test('GetKeys: RSA-OAEP (SHA-1) under the organisation key, GXF order; no key, no public key: 806', async () => {
  await withGateway(async (h) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const r = await getKeys(ports(h, publicKey), ctx('k'), ['E_METER_ENCRYPTION_KEY_UNICAST', 'E_METER_MASTER_KEY']);
    assert.deepEqual(r.keys.map((k) => k.secretType), ['E_METER_MASTER_KEY', 'E_METER_ENCRYPTION_KEY_UNICAST']);
    const plain = r.keys.map((k) => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(k.secretValue, 'hex')).toString('hex').toUpperCase());
    assert.deepEqual(plain, [TEST_KEYS.mk, TEST_KEYS.ek]);
    // OAEP is randomised: the same key twice gives two ciphertexts.
    const again = await getKeys(ports(h, publicKey), ctx('k2'), ['E_METER_MASTER_KEY']);
    assert.notEqual(again.keys[0]!.secretValue, r.keys[0]!.secretValue);
    for (const [p, types] of [[undefined, ['E_METER_MASTER_KEY']], [publicKey, ['G_METER_MASTER_KEY']]] as const) {
      const e = await getKeys(ports(h, p), ctx('x'), types).then(() => undefined, (x: unknown) => x);
      assert.ok(isMeterfabricError(e) && e.code === ErrorCode.KEY_NOT_PRESENT && !e.retryable, String(e));
      assert.ok(!(e as Error).message.includes(TEST_KEYS.mk));
    }
  });
});
