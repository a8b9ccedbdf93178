/**
 * Attacks by a second, legitimate organisation and by a careless administrator, through the assembled head-end
 * over real HTTP (SOAP, REST, admin REST, the CLI): taking over another organisation's gas meter with AddDevice
 * overwrite, a gateway that reports another organisation's meter identity, notifications to internal addresses,
 * organisation names that read as something else, and key bytes or database internals in error answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addOrganisation, getDevice, listAuthorisations } from '../../src/platform/inventory.ts';
import { testGMeter } from '../../src/simulator/meter.ts';
import { SOAP_BASE, SOAP_NS, addGMeterXml, oaepEncrypt, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const A = 'org-a';
const B = 'org-b';
const GWA = 'E0051004000000011';
const GWB = 'E0051004000000012';
const GA = 'G0051004000000011';
const GB = 'G0051004000000012';

/**
 * How a test request says who it comes from. Every call of this file goes through these two helpers, so a change
 * in how callers authenticate is made here only.
 */
let tokenOf: (org: string) => Promise<string> = async () => {
  throw new Error('no head-end');
};
const tokens = new Map<string, Promise<string>>();
/** The Authorization header of an API token of `org` (the built-in ADMIN's admin.token for OSGP), issued once per head-end. */
async function bearer(org: string): Promise<Record<string, string>> {
  if (!tokens.has(org)) tokens.set(org, tokenOf(org));
  return { authorization: `Bearer ${await tokens.get(org)}` };
}
const restHeaders = async (org?: string): Promise<Record<string, string>> => ({
  ...(await bearer(org ?? 'OSGP')),
  ...(org ? { 'x-organisation-identification': org } : {}),
});
/** The head-end fixture, with this file's credentials bound to it. */
const withHeadend: typeof withHttpHeadend = (fn, ...rest) =>
  withHttpHeadend(async (f) => {
    tokenOf = f.token;
    tokens.clear();
    return fn(f);
  }, ...rest);
const soapHeader = (org: string) => `<c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>u</c:UserName><c:ApplicationName>trust</c:ApplicationName>`;

const one = (xml: string, path: string) => xpathAll(xml, path)[0];

async function soap(url: string, service: string, body: string, org: string, extraHeader = ''): Promise<{ status: number; xml: string }> {
  const ns = Object.entries(SOAP_NS).filter(([k]) => k !== 's').map(([k, v]) => `xmlns:${k}="${v}"`).join(' ');
  const envelope = `<s:Envelope xmlns:s="${SOAP_NS.s}" ${ns}><s:Header>${soapHeader(org)}${extraHeader}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const res = await fetch(`${url}${SOAP_BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...(await bearer(org)) }, body: envelope });
  return { status: res.status, xml: await res.text() };
}

/** <Op>Request, then <Op>AsyncRequest until the response exists; a refused request comes back as is. */
async function call(url: string, service: string, p: string, op: string, body: string, org: string) {
  const accepted = await soap(url, service, `<${p}:${op}Request>${body}</${p}:${op}Request>`, org);
  if (accepted.status !== 200) return accepted;
  const device = one(accepted.xml, '//c:DeviceIdentification')!;
  const correlationUid = one(accepted.xml, '//c:CorrelationUid')!;
  for (let i = 0; i < 600; i++) {
    const r = await soap(url, service, `<${p}:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${correlationUid}</c:CorrelationUid></${p}:${op}AsyncRequest>`, org);
    if (!(r.status === 500 && one(r.xml, '//c:FunctionalFault/c:Code') === '405')) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no response for ${op}`);
}

async function http(url: string, path: string, init: { method?: string; org?: string; json?: unknown; body?: string; type?: string } = {}) {
  const headers: Record<string, string> = { ...(await restHeaders(init.org)) };
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  if (body !== undefined) headers['content-type'] = init.type ?? 'application/json';
  const res = await fetch(`${url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

async function restOp(url: string, path: string, org: string, body: unknown = {}) {
  const r = await http(url, `/api/v1${path}`, { org, json: body });
  if (r.status !== 202) return r;
  for (let i = 0; i < 600; i++) {
    const got = await http(url, `/api/v1/responses/${encodeURIComponent(r.json.correlationUid)}`, { org });
    if (got.status === 200) return got;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no response for ${path}`);
}

const OTHER_DEFAULT_KEY = 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF';

test('AddDevice: another organisation can neither take over nor re-key a gas meter with overwrite; an existing device is 204', async () => {
  await withHeadend(async ({ h, db, url }) => {
    await addOrganisation(db, { identification: A });
    await addOrganisation(db, { identification: B });
    const pem = (await http(url, '/api/v1/platform/public-key')).text;
    const add = (xml: string, org: string) => call(url, 'installationService', 'inst', 'AddDevice', xml, org);
    const gas = addGMeterXml(pem, GA);
    assert.equal((await add(gas, A)).status, 200);
    const keyOfA = (await h.secrets.getActive(GA, 'G_METER_MASTER_KEY'))!.key;

    // Organisation B overwrites A's gas meter with its own default key.
    const hostile = gas
      .replace(/<inst:Mbus_default_key>[^<]*</, `<inst:Mbus_default_key>${oaepEncrypt(pem, OTHER_DEFAULT_KEY)}<`)
      .replace('<inst:overwrite>false</inst:overwrite>', '<inst:overwrite>true</inst:overwrite>');
    const takeover = await add(hostile, B);
    assert.equal(takeover.status, 500, takeover.xml);
    assert.equal(one(takeover.xml, '//c:FunctionalFault/c:Code'), '301', takeover.xml);
    assert.deepEqual((await listAuthorisations(db, GA)).map((a) => `${a.organisationIdentification}:${a.functionGroup}`), [`${A}:OWNER`], 'ownership stays');
    assert.ok((await h.secrets.getActive(GA, 'G_METER_MASTER_KEY'))!.key.equals(keyOfA), "A's key stays");

    // Without overwrite: GXF's 204 EXISTING_DEVICE, for anyone.
    for (const org of [A, B]) assert.equal(one((await add(gas, org)).xml, '//c:FunctionalFault/c:Code'), '204');

    // The OWNER may overwrite: the key changes, the owner does not.
    const own = await add(hostile, A);
    assert.equal(own.status, 200, own.xml);
    assert.ok((await h.secrets.getActive(GA, 'G_METER_MASTER_KEY'))!.key.equals(Buffer.from(OTHER_DEFAULT_KEY, 'hex')));
    assert.deepEqual((await listAuthorisations(db, GA)).map((a) => `${a.organisationIdentification}:${a.functionGroup}`), [`${A}:OWNER`]);

    // B cannot register a second device for the same physical meter either (M-Bus identity taken).
    const twin = await add(addGMeterXml(pem, GB), B);
    assert.equal(one(twin.xml, '//c:FunctionalFault/c:Code'), '204', twin.xml);
    assert.ok(!twin.xml.includes(GA), 'the answer does not name the other organisation\'s device');

    // The admin API: a device that exists is 204 (409), not a "channel taken" 216.
    const body = { deviceIdentification: GWA, deviceType: 'SMART_METER_E', ownerOrganisationIdentification: A };
    assert.equal((await http(url, '/api/v1/admin/devices', { json: body })).status, 201);
    const again = await http(url, '/api/v1/admin/devices', { json: body });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json.code, 204, again.text);
  });
});

test('a gateway that reports another organisation\'s meter identity moves nothing and files no key', async () => {
  await withHeadend(async ({ h, db, url, gateway, gMeter }) => {
    await addOrganisation(db, { identification: A });
    await addOrganisation(db, { identification: B });
    // B's gas meter (the simulator's test identity) is coupled to B's gateway; A's gateway reports that identity too.
    await gateway(GWB, B);
    await gMeter(GB, B, { coupled: { gateway: GWB, channel: 1 } });
    const simA = await gateway(GWA, A);
    const coupling = async () => {
      const d = await getDevice(db, GB);
      return `${d.gatewayDeviceIdentification}/${d.channel}`;
    };
    const setKey = await restOp(url, `/devices/${GWA}/mbus/channels/1/user-key`, A);
    assert.equal(setKey.json.result, 'NOT_OK', setKey.text);
    assert.equal(setKey.json.error.code, 201, setKey.text);
    assert.ok(!setKey.text.includes(GB), 'the answer does not name B\'s device');
    const coupleByChannel = await restOp(url, `/devices/${GWA}/mbus/channels/1/couple`, A);
    assert.equal(coupleByChannel.json.error?.code, 218, coupleByChannel.text);
    const decoupleByChannel = await restOp(url, `/devices/${GWA}/mbus/channels/1/decouple`, A);
    assert.ok(!decoupleByChannel.text.includes(GB), decoupleByChannel.text);
    assert.equal(await coupling(), `${GWB}/1`, 'B\'s gas meter stays coupled to B\'s gateway');
    assert.equal(await h.secrets.getActive(GB, 'G_METER_ENCRYPTION_KEY'), undefined, 'no key filed under B\'s gas meter');
    assert.equal(await h.secrets.getNew(GB, 'G_METER_ENCRYPTION_KEY'), undefined);

    // A coupling by device id needs the device to be the caller's too.
    const coupleById = await restOp(url, `/devices/${GWA}/mbus/couple`, A, { mbusDeviceIdentification: GB, force: true });
    assert.equal(coupleById.json.error?.code, 201, coupleById.text);
    assert.equal(await coupling(), `${GWB}/1`);

    // A's own gas meter, coupled elsewhere in the inventory, is not moved silently either: 216.
    simA.installGMeter(1, { ...testGMeter(), identification: '70000001' });
    await gMeter(GA, A, { identification: '70000001', coupled: { gateway: GWB, channel: 2 } });
    const elsewhere = await restOp(url, `/devices/${GWA}/mbus/channels/1/user-key`, A);
    assert.equal(elsewhere.json.error?.code, 216, elsewhere.text);
    assert.equal(await h.secrets.getNew(GA, 'G_METER_ENCRYPTION_KEY'), undefined);
    assert.equal((await getDevice(db, GA)).gatewayDeviceIdentification, GWB);
  });
});

test('notification targets: a ResponseUrl off the organisation\'s allowlist is refused when submitted (SOAP fault, REST 400)', async () => {
  await withHeadend(async ({ url, db, gateway }) => {
    await addOrganisation(db, { identification: A });
    await gateway(GWA, A);
    const metadata = 'http://169.254.169.254/latest/meta-data/';
    const rest = await http(url, `/api/v1/devices/${GWA}/mbus/channels/1/user-key`, { org: A, json: { responseUrl: metadata } });
    assert.equal(rest.status, 400, rest.text);
    assert.match(rest.json.detail, /allowlist/);
    const soapBody = `<conf:SetMbusUserKeyByChannelRequest><conf:DeviceIdentification>${GWA}</conf:DeviceIdentification><conf:SetMbusUserKeyByChannelRequestData><conf:Channel>1</conf:Channel></conf:SetMbusUserKeyByChannelRequestData></conf:SetMbusUserKeyByChannelRequest>`;
    const refused = await soap(url, 'configurationService', soapBody, A, `<c:ResponseUrl>http://127.0.0.1:5432/</c:ResponseUrl>`);
    assert.equal(refused.status, 500, refused.xml);
    assert.equal(one(refused.xml, '//c:FunctionalFault/c:Code'), '401', refused.xml);
    assert.equal((await db.query('SELECT 1 FROM request')).rowCount, 0, 'nothing was queued');

    // Only an administrator allows a target (admin REST); then the same request is accepted.
    const patched = await http(url, `/api/v1/admin/organisations/${A}`, { method: 'PATCH', json: { allowUrls: ['http://127.0.0.1:5432/'] } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json.allowedUrls, ['http://127.0.0.1:5432/']);
    const accepted = await soap(url, 'configurationService', soapBody, A, `<c:ResponseUrl>http://127.0.0.1:5432/</c:ResponseUrl>`);
    assert.equal(accepted.status, 200, accepted.xml);
  });
});

test('organisation identifiers that read as something else are refused by the admin API', async () => {
  await withHeadend(async ({ url }) => {
    for (const identification of ['acme/CN=OSGP', 'acme,CN=OSGP', 'a b', 'x'.repeat(41)]) {
      const r = await http(url, '/api/v1/admin/organisations', { json: { identification } });
      assert.equal(r.status, 400, `${identification}: ${r.text}`);
    }
    assert.equal((await http(url, '/api/v1/admin/organisations', { json: { identification: 'grid.op_1-nl' } })).status, 201);
  });
});

const KEY = '4B45594B45594B45594B45594B45594B'; // the key this test must never find in an answer

const runCli = async (args: string[]) => {
  const admin = await tokenOf('OSGP');
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, [join(import.meta.dirname, '../../bin/meterfabric.mjs'), ...args], { env: { ...process.env, METERFABRIC_LOG_LEVEL: 'silent', METERFABRIC_TOKEN: admin } }, (e, stdout, stderr) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
};

test('error answers carry no key and no database internals: a key shipment with its columns in the wrong order', async () => {
  await withHeadend(async ({ url, db }) => {
    await addOrganisation(db, { identification: A });
    const answers: string[] = [];
    const shipments = [
      // secret_type and key swapped
      `device_identification,secret_type,key\nE0051004000000011,${KEY},E_METER_AUTHENTICATION_KEY\n`,
      // the key in the device column
      `device_identification,secret_type,key\n${KEY},E_METER_AUTHENTICATION_KEY,E0051004000000011\n`,
      // status and key swapped
      `device_identification,secret_type,key,status\nE0051004000000011,E_METER_AUTHENTICATION_KEY,ACTIVE,${KEY}\n`,
      // an odd-length key next to the real one
      `device_identification,secret_type,key\nE0051004000000011,E_METER_AUTHENTICATION_KEY,${KEY}0\n`,
    ];
    for (const text of shipments) {
      const r = await http(url, '/api/v1/admin/keys/import', { json: { format: 'csv', text } });
      assert.ok(r.status >= 400, r.text);
      answers.push(r.text);
    }
    // JSON that does not parse, around the key: the parser's message quotes its input.
    const broken = await http(url, '/api/v1/admin/keys/import', { body: `{"format":"csv","text":"device_identification,secret_type,key\\nE1,${KEY}`, type: 'application/json' });
    assert.equal(broken.status, 400, broken.text);
    answers.push(broken.text);
    const brokenRest = await http(url, `/api/v1/devices/${GWA}/mbus/channels/1/user-key`, { org: A, body: `{"responseUrl":"${KEY}`, type: 'application/json' });
    answers.push(brokenRest.text);
    // A JSON shipment with the key where the type belongs.
    const json = await http(url, '/api/v1/admin/keys/import', { json: { format: 'json', text: JSON.stringify({ format: 'meterfabric-key-shipment', version: 1, keys: [{ deviceIdentification: 'E0051004000000011', secretType: KEY, key: 'E_METER_AUTHENTICATION_KEY' }] }) } });
    answers.push(json.text);

    // The CLI, with the same shipments.
    const dir = mkdtempSync(join(tmpdir(), 'mf-trust-'));
    try {
      for (const [i, text] of shipments.entries()) {
        const file = join(dir, `shipment-${i}.csv`);
        writeFileSync(file, text);
        const r = await runCli(['key', 'import', file, '--url', url]);
        assert.notEqual(r.code, 0, r.out);
        answers.push(r.out);
      }
      const jsonFile = join(dir, 'broken.json');
      writeFileSync(jsonFile, `{"keys":[{"key":"${KEY}"`);
      const r = await runCli(['key', 'import', jsonFile, '--url', url]);
      assert.notEqual(r.code, 0, r.out);
      answers.push(r.out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const a of answers) {
      assert.ok(!a.toUpperCase().includes(KEY), `an answer carries the key: ${a}`);
      assert.ok(!/constraint|duplicate key|relation "|device_pkey|SQLSTATE/i.test(a), `an answer carries database internals: ${a}`);
    }
    assert.ok(answers.some((a) => /line 2/.test(a)), 'the answers still say where the shipment is wrong');
  });
});
