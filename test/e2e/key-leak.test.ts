/**
 * No key material in logs, output streams or HTTP responses (CONVENTIONS "Key material never reaches a log
 * line ..."). A realistic session through the public interfaces of an assembled head-end: AddDevice over SOAP
 * with RSA-OAEP keys, couple, SetMbusUserKeyByChannel over SOAP and REST, SetKeyOnGMeter, key status, a failing
 * request and a push alarm, with every logger at debug level. Searched for every key the session used or the
 * store generated (hex in both cases, separated hex, base64, base64url):
 * - what code handed to the loggers before the scrubber (tapUnscrubbed): the scrubber of src/observability/logger.ts
 *   is a last line of defence, and a key it would hide is still a key that was logged;
 * - everything written to standard output and standard error, raw, and the platform logger's lines;
 * - every HTTP response body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningHeadend } from '../../src/runtime/headend.ts';
import { findKeyLeaks, keyForms } from '../support/key-material.ts';

/**
 * Everything written to the process's standard output and standard error while this file runs, raw (pino writes
 * the process-wide logger's lines to process.stdout itself when its write was replaced, so the replacement and
 * the debug level are set before any logger is made). Log lines are kept out of the test runner's output.
 */
const rawStreams: string[] = [];
const processLogLines: string[] = [];
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    rawStreams.push(text);
    if (text.startsWith('{"level":')) {
      processLogLines.push(...text.split('\n').filter((l) => l.length > 0));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
}
process.env.METERFABRIC_LOG_LEVEL = 'debug';
const { startHeadend } = await import('../../src/runtime/headend.ts');
const { rootLogger, logger, tapUnscrubbed } = await import('../../src/observability/logger.ts');
const { SoftwareKekProvider } = await import('../../src/secrets/kek.ts');
const { SimulatedMeter } = await import('../../src/simulator/simulator.ts');
const { TEST_KEYS } = await import('../../src/simulator/meter.ts');
const { alarmPushBytes, newMbusDeviceAlarm, sendPush } = await import('../../src/simulator/push.ts');
const { freshDb } = await import('../support/db.ts');
const { SOAP_BASE, SOAP_NS, xpathText: xpath, until, addEMeterXml, addGMeterXml } = await import('../support/e2e.ts');

/** What code handed to any logger, before the scrubber. */
const unscrubbed: string[] = [];
tapUnscrubbed((text) => void unscrubbed.push(text));

const BASE = SOAP_BASE;
const NS = SOAP_NS;
const ORG = 'leak-check-org';
const GM = 'G0051004000000118';

const SECRET_TYPES = [
  'E_METER_MASTER_KEY', 'E_METER_AUTHENTICATION_KEY', 'E_METER_ENCRYPTION_KEY_UNICAST',
  'G_METER_MASTER_KEY', 'G_METER_ENCRYPTION_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', 'G_METER_OPTICAL_PORT_KEY',
] as const;

test('the leak search finds a planted key in every form', () => {
  const key = randomBytes(16);
  const clean = ['{"level":"debug","msg":"nothing here"}', '<Result>OK</Result>'];
  assert.deepEqual(findKeyLeaks(clean, [key]), []);
  for (const form of keyForms(key)) {
    const hits = findKeyLeaks([...clean, `{"msg":"key ${form.text}"}`], [key]);
    assert.ok(hits.some((h) => h.text === 2 && h.form === form.name), `planted ${form.name} is found`);
  }
});

test('a key the scrubber hides from the log line is still caught before the scrubber', () => {
  const key = randomBytes(16);
  const before = { lines: processLogLines.length, unscrubbed: unscrubbed.length };
  const log = logger('test.key-leak').child({ note: `bound ${key.toString('hex')}` });
  log.debug({ user: key, text: `key ${key.toString('hex').toUpperCase()}` }, 'carelessly logged %s', key.toString('hex'));
  const lines = processLogLines.slice(before.lines);
  assert.equal(lines.length, 1, 'the line was written');
  assert.deepEqual(findKeyLeaks(lines, [key]), [], 'the scrubber hid the key from the line');
  const raw = unscrubbed.slice(before.unscrubbed);
  assert.ok(findKeyLeaks(raw, [key]).length >= 2, 'the bindings and the call carry the key before the scrubber');
  // Taken out again so that the session below starts from nothing.
  unscrubbed.splice(before.unscrubbed);
  processLogLines.splice(before.lines);
  rawStreams.length = 0;
});

test('a full session leaves no key in any log line or HTTP response body', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-leak-'));
  const { db, dispose } = await freshDb('pglite');
  const logLines: string[] = [];
  const capture = { write: (s: string) => void logLines.push(s) };
  const bodies: string[] = [];
  const sim = await SimulatedMeter.start({ port: 0, profile: 'smr5' });
  const GW = sim.state.equipmentId;
  const keys: Buffer[] = [TEST_KEYS.mk, TEST_KEYS.ek, TEST_KEYS.ak, TEST_KEYS.gMeterDefaultKey].map((k) => Buffer.from(k, 'hex'));
  let h: RunningHeadend | undefined;

  const envelope = (body: string) => `<soapenv:Envelope xmlns:soapenv="${NS.s}" xmlns:com="${NS.c}" xmlns:conf="${NS.conf}" xmlns:inst="${NS.inst}" xmlns:mon="${NS.mon}">
  <soapenv:Header><com:OrganisationIdentification>${ORG}</com:OrganisationIdentification><com:UserName>operator</com:UserName><com:ApplicationName>e2e</com:ApplicationName></soapenv:Header>
  <soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
  const http = async (path: string, init: RequestInit = {}): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${h!.url}${path}`, init);
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, text };
  };
  let orgAuth = '';
  let adminAuth = '';
  const soap = (service: string, body: string) =>
    http(`${BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', authorization: orgAuth }, body: envelope(body) });
  const rest = (method: string, path: string, body?: unknown) =>
    http(path, { method, headers: { authorization: orgAuth, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  /** <Op>Request, then <Op>AsyncRequest until the outcome is stored. */
  const call = async (service: string, prefix: string, op: string, requestBody: string) => {
    const accepted = await soap(service, `<${prefix}:${op}Request>${requestBody}</${prefix}:${op}Request>`);
    assert.equal(accepted.status, 200, accepted.text);
    const device = xpath(accepted.text, '//c:DeviceIdentification')!;
    const correlationUid = xpath(accepted.text, '//c:CorrelationUid')!;
    return until(async () => {
      const r = await soap(service, `<${prefix}:${op}AsyncRequest><com:DeviceIdentification>${device}</com:DeviceIdentification><com:CorrelationUid>${correlationUid}</com:CorrelationUid></${prefix}:${op}AsyncRequest>`);
      return r.status === 500 && xpath(r.text, '//c:FunctionalFault/c:Code') === '405' ? undefined : r;
    });
  };
  const restCall = async (path: string, body?: unknown) => {
    const accepted = await rest('POST', path, body);
    assert.equal(accepted.status, 202, accepted.text);
    const { correlationUid } = JSON.parse(accepted.text) as { correlationUid: string };
    return until(async () => {
      const r = await rest('GET', `/api/v1/responses/${encodeURIComponent(correlationUid)}`);
      return r.status === 404 ? undefined : r;
    });
  };
  /** Reads back every ACTIVE and NEW key the store holds for the two devices now. */
  const collectStoreKeys = async () => {
    for (const device of [GW, GM]) {
      for (const type of SECRET_TYPES) {
        for (const k of [await h!.secrets.getActive(device, type), await h!.secrets.getNew(device, type)]) {
          if (k && !keys.some((x) => x.equals(k.key))) keys.push(Buffer.from(k.key));
        }
      }
    }
  };

  try {
    h = await startHeadend({
      dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024,
      http: { host: '127.0.0.1', port: 0 }, push: { host: '127.0.0.1', port: 0 },
      platform: {
        retry: { maxRetries: 0, baseDelayMs: 100 }, pollingIntervalSeconds: 0.5, lockRetryMs: 50,
        logger: rootLogger({ level: 'debug', destination: capture }),
      },
      link: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 },
    });
    adminAuth = `Bearer ${readFileSync(h.adminTokenPath!, 'utf8').trim()}`;
    const org = await http('/api/v1/admin/organisations', { method: 'POST', headers: { 'content-type': 'application/json', authorization: adminAuth }, body: JSON.stringify({ identification: ORG }) });
    assert.equal(org.status, 201, org.text);
    const token = await http(`/api/v1/admin/organisations/${ORG}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: adminAuth } });
    assert.equal(token.status, 201, token.text);
    orgAuth = `Bearer ${(JSON.parse(token.text) as { token: string }).token}`;
    const pem = (await http('/api/v1/platform/public-key')).text;

    const addGateway = await call('installationService', 'inst', 'AddDevice', addEMeterXml(pem, GW, sim.port));
    assert.equal(addGateway.status, 200, addGateway.text);
    const network = await http(`/api/v1/admin/devices/${GW}/network`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: adminAuth }, body: JSON.stringify({ host: '127.0.0.1', port: sim.port }) });
    assert.equal(network.status, 200, network.text);
    const addGas = await call('installationService', 'inst', 'AddDevice', addGMeterXml(pem, GM));
    assert.equal(addGas.status, 200, addGas.text);

    const couple = await call('installationService', 'inst', 'CoupleMbusDevice',
      `<inst:DeviceIdentification>${GW}</inst:DeviceIdentification><inst:MbusDeviceIdentification>${GM}</inst:MbusDeviceIdentification><inst:Force>false</inst:Force>`);
    assert.equal(couple.status, 200, couple.text);

    const setSoap = await call('configurationService', 'conf', 'SetMbusUserKeyByChannel',
      `<conf:DeviceIdentification>${GW}</conf:DeviceIdentification><conf:SetMbusUserKeyByChannelRequestData><conf:Channel>1</conf:Channel></conf:SetMbusUserKeyByChannelRequestData>`);
    assert.equal(xpath(setSoap.text, '//conf:SetMbusUserKeyByChannelResponse/conf:Result'), 'OK', setSoap.text);
    await collectStoreKeys();

    const setRest = await restCall(`/api/v1/devices/${GW}/mbus/channels/1/user-key`);
    assert.equal(JSON.parse(setRest.text).result, 'OK', setRest.text);
    await collectStoreKeys();

    const onG = await call('configurationService', 'conf', 'SetKeyOnGMeter',
      `<conf:DeviceIdentification>${GM}</conf:DeviceIdentification><conf:SetKeyOnGMeterRequestData><conf:MbusDeviceIdentification>${GM}</conf:MbusDeviceIdentification><conf:SecretType>G_METER_ENCRYPTION_KEY</conf:SecretType></conf:SetKeyOnGMeterRequestData>`);
    assert.equal(onG.status, 200, onG.text);
    await collectStoreKeys();
    const active = await h.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY');
    assert.ok(active && sim.gMeterKey(1)?.equals(active.key), 'the G-meter holds the ACTIVE key');

    const status = await call('configurationService', 'conf', 'GetMbusEncryptionKeyStatusByChannel',
      `<conf:GatewayDeviceIdentification>${GW}</conf:GatewayDeviceIdentification><conf:GetMbusEncryptionKeyStatusByChannelRequestData><conf:Channel>1</conf:Channel></conf:GetMbusEncryptionKeyStatusByChannelRequestData>`);
    assert.equal(xpath(status.text, '//conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE', status.text);

    // A failing request: channel 3 holds no G-meter.
    const failing = await restCall(`/api/v1/devices/${GW}/mbus/channels/3/user-key`);
    assert.equal(JSON.parse(failing.text).result, 'NOT_OK', failing.text);

    // A push alarm, fetched over SOAP and REST.
    await sendPush(alarmPushBytes(sim.state, 'dsmr4', newMbusDeviceAlarm(2)), { host: '127.0.0.1', port: h.push!.tcpPort! });
    const alarmUid = await until(async () => (await db.query<{ correlation_uid: string }>(`SELECT correlation_uid FROM response_data WHERE message_type = 'PUSH_NOTIFICATION_ALARM'`)).rows[0]?.correlation_uid);
    const retrieved = await soap('monitoringService', `<mon:RetrievePushNotificationAlarmRequest><mon:CorrelationUid>${alarmUid}</mon:CorrelationUid></mon:RetrievePushNotificationAlarmRequest>`);
    assert.equal(xpath(retrieved.text, '//mon:AlarmRegister/mon:AlarmTypes'), 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2', retrieved.text);
    const listed = await rest('GET', `/api/v1/devices/${GW}/alarms`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual((JSON.parse(listed.text) as { alarms: { correlationUid: string }[] }).alarms.map((a) => a.correlationUid), [alarmUid]);
    await collectStoreKeys();
  } finally {
    await h?.stop();
    await sim.close();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }

  // The scenario used the four test keys and at least the two user keys the store generated.
  assert.ok(keys.length >= 6, `keys checked: ${keys.length}`);
  assert.ok(logLines.length > 0, 'the platform logged at debug level');
  assert.ok(processLogLines.some((l) => l.includes('"level":"debug"')), 'the component loggers logged at debug level');
  assert.ok(processLogLines.some((l) => l.includes('"component":"api.soap"')), 'the SOAP plugin logged');
  assert.ok(bodies.length > 20, 'HTTP responses were captured');
  assert.ok(unscrubbed.length >= processLogLines.length, 'every log call passed the tap');
  const places: [string, string[]][] = [['log line', [...logLines, ...processLogLines]], ['before the scrubber', unscrubbed], ['stdout/stderr', rawStreams], ['HTTP body', bodies]];
  const texts = places.flatMap(([, t]) => t);
  const where = (i: number) => { for (const [name, t] of places) { if (i < t.length) return name; i -= t.length; } return '?'; };
  const leaks = findKeyLeaks(texts, keys);
  assert.deepEqual(leaks.map((l) => ({ where: where(l.text), form: l.form, key: l.key })), [], 'no key in logs, output streams or responses');
});
