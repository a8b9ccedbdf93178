/**
 * ReplaceKeys, GenerateAndReplaceKeys and GetKeys end to end: GXF SOAP over real HTTP through the operation catalogue,
 * real DLMS associations over TCP with class 64 global_key_transfer, against simulated SMR 5.0.0 (WRAPPER), SMR 5.5
 * (HDLC) and DSMR 4.2.2 (HDLC) meters. The keys the meter holds after each change are read from the simulator; GetKeys'
 * answer is decrypted with the organisation's private key; the public key is registered over the REST admin API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import type { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { SOAP_BASE, SOAP_NS, oaepEncrypt, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'key-operator';

function envelope(body: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:conf="${SOAP_NS.conf}"><s:Header><c:OrganisationIdentification>${ORG}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

const METERS = [
  { id: 'E0051004000000061', protocol: 'SMR 5.0.0', hdlc: false },
  { id: 'E0051004000000062', protocol: 'SMR 5.5', hdlc: true },
  { id: 'E0051004000000063', protocol: 'DSMR 4.2.2', hdlc: true },
];

test('ReplaceKeys, GenerateAndReplaceKeys and GetKeys through SOAP (and REST) against SMR 5.x and DSMR 4.2.2 meters', async () => {
  await withHttpHeadend(async ({ h, db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    const auth = await authOf(ORG);
    const admin = await authOf('OSGP');
    const soap = async (body: string) => {
      const res = await fetch(`${url}${SOAP_BASE}/configurationService/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth }, body: envelope(body) });
      return { status: res.status, xml: await res.text() };
    };
    const call = async (op: string, device: string, inner = '') => {
      const accepted = await soap(`<conf:${op}Request><conf:DeviceIdentification>${device}</conf:DeviceIdentification>${inner}</conf:${op}Request>`);
      assert.equal(accepted.status, 200, accepted.xml);
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(`<conf:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></conf:${op}AsyncRequest>`);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${op}`);
    };
    const platformPem = h.clientKeys.publicKeyPem();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const decrypt = (hex: string) => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(hex, 'hex')).toString('hex').toUpperCase();
    const getKeysXml = (types: string[]) => `<conf:GetKeysData>${types.map((t) => `<conf:secretTypes>${t}</conf:secretTypes>`).join('')}</conf:GetKeysData>`;
    const active = async (id: string) => ({
      ak: (await h.secrets.getActive(id, 'E_METER_AUTHENTICATION_KEY'))!.key,
      ek: (await h.secrets.getActive(id, 'E_METER_ENCRYPTION_KEY_UNICAST'))!.key,
    });

    const sims: SimulatedMeter[] = [];
    for (const m of METERS) sims.push(await gateway(m.id, ORG, { protocol: m.protocol, hdlc: m.hdlc }));

    // GetKeys before the organisation has a public key: strict, 806 KEY_NOT_PRESENT, nothing in clear.
    const noKey = await call('GetKeys', METERS[0]!.id, getKeysXml(['E_METER_AUTHENTICATION_KEY']));
    assert.equal(noKey.status, 500, noKey.xml);
    assert.equal(xpathAll(noKey.xml, '//c:FunctionalFault/c:Code')[0], '806', noKey.xml);
    assert.ok(!noKey.xml.includes(TEST_KEYS.ak), 'no key in the fault');

    // The REST admin API registers the organisation's public key (what `meterfabric org set ORG --public-key` sends).
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const refused = await fetch(`${url}/api/v1/admin/organisations/${ORG}/public-key`, { method: 'PUT', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ publicKey: weak.publicKey }) });
    assert.equal(refused.status, 400, 'a 1024-bit key is refused');
    const notAdmin = await fetch(`${url}/api/v1/admin/organisations/${ORG}/public-key`, { method: 'PUT', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ publicKey }) });
    assert.ok(notAdmin.status === 401 || notAdmin.status === 403, `only an administrator registers keys (${notAdmin.status})`);
    const put = await fetch(`${url}/api/v1/admin/organisations/${ORG}/public-key`, { method: 'PUT', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ publicKey }) });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as { modulusBits: number }).modulusBits, 2048);

    for (const [i, m] of METERS.entries()) {
      const sim = sims[i]!;
      // GenerateAndReplaceKeys: lenient; the meter holds new keys, the store's ACTIVE keys are those keys.
      const g = await call('GenerateAndReplaceKeys', m.id);
      assert.equal(g.status, 200, g.xml);
      assert.equal(xpathAll(g.xml, '//conf:GenerateAndReplaceKeysResponse/conf:Result')[0], 'OK', `${m.protocol}: ${g.xml}`);
      assert.notEqual(sim.state.keys.ak.toString('hex').toUpperCase(), TEST_KEYS.ak);
      assert.notEqual(sim.state.keys.ek.toString('hex').toUpperCase(), TEST_KEYS.ek);
      let a = await active(m.id);
      assert.deepEqual([a.ak, a.ek], [sim.state.keys.ak, sim.state.keys.ek], `${m.protocol}: store ACTIVE = meter`);

      // ReplaceKeys with keys the caller chose, RSA-OAEP encrypted to the platform key as GXF clients send them.
      const ak = randomBytes(16).toString('hex').toUpperCase();
      const ek = randomBytes(16).toString('hex').toUpperCase();
      const r = await call('ReplaceKeys', m.id, `<conf:SetKeysRequestData><conf:AuthenticationKey>${oaepEncrypt(platformPem, ak)}</conf:AuthenticationKey><conf:EncryptionKey>${oaepEncrypt(platformPem, ek)}</conf:EncryptionKey></conf:SetKeysRequestData>`);
      assert.equal(r.status, 200, r.xml);
      assert.equal(xpathAll(r.xml, '//conf:ReplaceKeysResponse/conf:Result')[0], 'OK', r.xml);
      assert.deepEqual([sim.state.keys.ak.toString('hex').toUpperCase(), sim.state.keys.ek.toString('hex').toUpperCase()], [ak, ek], `${m.protocol}: the meter holds the supplied keys`);
      // The meter restarted its counter check with the new EK (nothing ciphered followed the switch but the plain
      // RLRQ); the client's counter goes on upwards and is accepted by the next association (below).
      assert.equal(sim.state.lastClientIc, 0);

      // GetKeys: GXF's order of types (MASTER, AUTHENTICATION, ENCRYPTION), each decrypts with the organisation's key.
      const k = await call('GetKeys', m.id, getKeysXml(['E_METER_ENCRYPTION_KEY_UNICAST', 'E_METER_AUTHENTICATION_KEY', 'E_METER_MASTER_KEY']));
      assert.equal(k.status, 200, k.xml);
      assert.equal(xpathAll(k.xml, '//conf:GetKeysResponse/conf:Result')[0], 'OK');
      assert.deepEqual(xpathAll(k.xml, '//conf:GetKeysResponseData/conf:secretType'), ['E_METER_MASTER_KEY', 'E_METER_AUTHENTICATION_KEY', 'E_METER_ENCRYPTION_KEY_UNICAST']);
      assert.deepEqual(xpathAll(k.xml, '//conf:GetKeysResponseData/conf:secretValue').map(decrypt), [TEST_KEYS.mk, ak, ek]);
      for (const plain of [ak, ek, TEST_KEYS.mk]) assert.ok(!k.xml.toUpperCase().includes(plain), 'no key in clear');

      // A key that does not decrypt: GXF's 804 DECRYPTION_EXCEPTION (strict: a fault); the meter keeps its keys.
      const bad = await call('ReplaceKeys', m.id, `<conf:SetKeysRequestData><conf:AuthenticationKey>${'00'.repeat(128)}</conf:AuthenticationKey><conf:EncryptionKey>${oaepEncrypt(platformPem, ek)}</conf:EncryptionKey></conf:SetKeysRequestData>`);
      assert.equal(bad.status, 500, bad.xml);
      assert.equal(xpathAll(bad.xml, '//c:FunctionalFault/c:Code')[0], '804', bad.xml);
      assert.equal(sim.state.keys.ak.toString('hex').toUpperCase(), ak);

      // The line drops after the meter applied the AK transfer (its answer lost): the same request reconnects, finds
      // the meter on the NEW AK, activates it and finishes; the store equals the meter.
      void sim.faultNextConnection({ dropAfterProcessing: 3 });
      const d = await call('GenerateAndReplaceKeys', m.id);
      assert.equal(xpathAll(d.xml, '//conf:GenerateAndReplaceKeysResponse/conf:Result')[0], 'OK', `${m.protocol} after a drop: ${d.xml}`);
      a = await active(m.id);
      assert.deepEqual([a.ak, a.ek], [sim.state.keys.ak, sim.state.keys.ek]);
      assert.notEqual(sim.state.keys.ak.toString('hex').toUpperCase(), ak);
      const pending = (await h.secrets.list(m.id)).filter((s) => s.status === 'NEW');
      assert.deepEqual(pending, [], 'nothing left pending');
    }

    // REST, once per operation.
    const m = METERS[2]!;
    const gen = await restOperation(url, `/devices/${m.id}/keys/generate-and-replace`, ORG, {}, auth);
    assert.equal(gen.result, 'OK', JSON.stringify(gen.body));
    const rk = randomBytes(16).toString('hex').toUpperCase();
    const rek = randomBytes(16).toString('hex').toUpperCase();
    const rep = await restOperation(url, `/devices/${m.id}/keys/replace`, ORG, { authenticationKey: oaepEncrypt(platformPem, rk), encryptionKey: oaepEncrypt(platformPem, rek) }, auth);
    assert.equal(rep.result, 'OK', JSON.stringify(rep.body));
    assert.equal(sims[2]!.state.keys.ak.toString('hex').toUpperCase(), rk);
    const got = await restOperation(url, `/devices/${m.id}/keys/retrieve`, ORG, { secretTypes: ['E_METER_ENCRYPTION_KEY_UNICAST'] }, auth);
    assert.equal(got.result, 'OK', JSON.stringify(got.body));
    assert.deepEqual(got.data.keys.map((x: { secretType: string; secretValue: string }) => [x.secretType, decrypt(x.secretValue)]), [['E_METER_ENCRYPTION_KEY_UNICAST', rek]]);
    // Another operation's association after all these changes uses the new keys and counters.
    const objects = await restOperation(url, `/devices/${m.id}/clock/synchronize`, ORG, {}, auth);
    assert.equal(objects.result, 'OK', JSON.stringify(objects.body));
  });
});
