/**
 * The README session through the public interfaces only: a GXF SOAP client over real HTTP adds a gateway and a
 * gas meter (keys RSA-OAEP encrypted to the platform's published key), couples them, sets the M-Bus user key by
 * channel and fetches the result; the simulated G-meter then holds exactly the key the store holds as ACTIVE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend, type RunningHeadend } from '../../src/runtime/headend.ts';

import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { SOAP_BASE, SOAP_NS, xpathText as xpath, addEMeterXml, addGMeterXml } from '../support/e2e.ts';

const BASE = SOAP_BASE;
const NS = SOAP_NS;
const ORG = 'grid-operator';
const GW = 'E0051004000000117';
const GM = 'G0051004000000118';

function envelope(body: string): string {
  return `<soapenv:Envelope xmlns:soapenv="${NS.s}" xmlns:com="${NS.c}" xmlns:conf="${NS.conf}" xmlns:inst="${NS.inst}">
  <soapenv:Header><com:OrganisationIdentification>${ORG}</com:OrganisationIdentification><com:UserName>operator</com:UserName><com:ApplicationName>e2e</com:ApplicationName></soapenv:Header>
  <soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}


/** The organisation's API token (issued through the admin API once the organisation exists). */
let orgAuth = '';

async function soap(url: string, service: string, body: string): Promise<{ status: number; xml: string }> {
  const res = await fetch(`${url}${BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', authorization: orgAuth }, body: envelope(body) });
  return { status: res.status, xml: await res.text() };
}

/** Sends <Op>Request, then polls <Op>AsyncRequest until the response is no longer "CorrelationUid is unknown". */
async function call(url: string, service: string, prefix: string, op: string, requestBody: string, asyncName = `${op}AsyncRequest`) {
  const accepted = await soap(url, service, `<${prefix}:${op}Request>${requestBody}</${prefix}:${op}Request>`);
  assert.equal(accepted.status, 200, accepted.xml);
  const device = xpath(accepted.xml, '//c:DeviceIdentification')!;
  const correlationUid = xpath(accepted.xml, '//c:CorrelationUid')!;
  assert.match(correlationUid, new RegExp(`^${ORG}\\|\\|\\|${device}\\|\\|\\|\\d{17}\\|\\|\\|[0-9a-f-]{36}$`));
  for (let i = 0; i < 600; i++) {
    const r = await soap(url, service, `<${prefix}:${asyncName}><com:DeviceIdentification>${device}</com:DeviceIdentification><com:CorrelationUid>${correlationUid}</com:CorrelationUid></${prefix}:${asyncName}>`);
    if (!(r.status === 500 && xpath(r.xml, '//c:FunctionalFault/c:Code') === '405')) return { ...r, correlationUid };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no response for ${op}`);
}


for (const engine of engines) {
  test(`${engine}: a GXF SOAP client adds devices, couples them and sets the M-Bus user key by channel`, engineOptions(engine), async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-e2e-'));
    const { db, dispose } = await freshDb(engine);
    const sim = await SimulatedMeter.start({ port: 0, profile: 'smr5' });
    let h: RunningHeadend | undefined;
    try {
      h = await startHeadend({
        dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024,
        http: { host: '127.0.0.1', port: 0 }, push: false,
        platform: { retry: { maxRetries: 1, baseDelayMs: 100 }, pollingIntervalSeconds: 0.5, lockRetryMs: 50 },
        link: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 },
      });
      const url = h.url!;
      // organisation and its API token, through the REST admin API with the admin token of the data folder
      const admin = { 'content-type': 'application/json', authorization: `Bearer ${readFileSync(h.adminTokenPath!, 'utf8').trim()}` };
      const org = await fetch(`${url}/api/v1/admin/organisations`, { method: 'POST', headers: admin, body: JSON.stringify({ identification: ORG }) });
      assert.equal(org.status, 201, await org.text());
      const token = await fetch(`${url}/api/v1/admin/organisations/${ORG}/tokens`, { method: 'POST', headers: admin });
      assert.equal(token.status, 201);
      orgAuth = `Bearer ${((await token.json()) as { token: string }).token}`;
      const pem = await (await fetch(`${url}/api/v1/platform/public-key`)).text();
      assert.match(pem, /BEGIN PUBLIC KEY/);

      const addGateway = await call(url, 'installationService', 'inst', 'AddDevice', addEMeterXml(pem, GW, sim.port));
      assert.equal(xpath(addGateway.xml, '//inst:AddDeviceResponse/c:Result') ?? xpath(addGateway.xml, '//inst:AddDeviceResponse/inst:Result'), 'OK', addGateway.xml);
      const network = await fetch(`${url}/api/v1/admin/devices/${GW}/network`, { method: 'PUT', headers: admin, body: JSON.stringify({ host: '127.0.0.1', port: sim.port }) });
      assert.equal(network.status, 200, await network.text());

      const addGas = await call(url, 'installationService', 'inst', 'AddDevice', addGMeterXml(pem, GM));
      assert.equal(addGas.status, 200, addGas.xml);

      const couple = await call(url, 'installationService', 'inst', 'CoupleMbusDevice',
        `<inst:DeviceIdentification>${GW}</inst:DeviceIdentification><inst:MbusDeviceIdentification>${GM}</inst:MbusDeviceIdentification><inst:Force>false</inst:Force>`);
      assert.equal(couple.status, 200, couple.xml);
      assert.equal(xpath(couple.xml, '//inst:ChannelElementValues/inst:Channel'), '1', couple.xml);

      const set = await call(url, 'configurationService', 'conf', 'SetMbusUserKeyByChannel',
        `<conf:DeviceIdentification>${GW}</conf:DeviceIdentification><conf:SetMbusUserKeyByChannelRequestData><conf:Channel>1</conf:Channel></conf:SetMbusUserKeyByChannelRequestData>`);
      assert.equal(set.status, 200, set.xml);
      assert.equal(xpath(set.xml, '//conf:SetMbusUserKeyByChannelResponse/conf:Result'), 'OK', set.xml);

      const active = await h.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY');
      assert.ok(active && sim.gMeterKey(1)?.equals(active.key), 'the G-meter holds the ACTIVE key');
      assert.ok(!set.xml.toLowerCase().includes(active!.key.toString('hex')), 'the key never appears in a response');

      const status = await call(url, 'configurationService', 'conf', 'GetMbusEncryptionKeyStatusByChannel',
        `<conf:GatewayDeviceIdentification>${GW}</conf:GatewayDeviceIdentification><conf:GetMbusEncryptionKeyStatusByChannelRequestData><conf:Channel>1</conf:Channel></conf:GetMbusEncryptionKeyStatusByChannelRequestData>`);
      assert.equal(xpath(status.xml, '//conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE', status.xml);
    } finally {
      await h?.stop();
      await sim.close();
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}


