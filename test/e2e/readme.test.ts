/**
 * The README's first command, as a new user runs it: a clean clone of this repository, `npm ci`, `npm start`
 * (ports moved aside so the test can run next to a developer's own demo), and the demo's SetMbusUserKeyByChannel
 * round must reach OK on every simulated gateway; then the REST walk-through call, with the token the demo printed,
 * must reach OK too, and the printed console sign-in link must sign in once; the walk-through's periodic reads (the
 * SOAP envelope and the REST call as the README spells them) reach OK.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

const root = resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });
}

test('README: a clean clone, `npm ci && npm start`, and the demo sets M-Bus user keys (OK)', { timeout: 600_000 }, async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /npm ci && npm test/);
  const dir = mkdtempSync(join(tmpdir(), 'meterfabric-readme-'));
  let child: ChildProcess | undefined;
  try {
    // The committed tree (HEAD), as a clone would see it.
    const clone = spawnSync('git', ['clone', '--quiet', root, join(dir, 'repo')], { encoding: 'utf8' });
    assert.equal(clone.status, 0, clone.stderr);
    const repo = join(dir, 'repo');
    const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
    assert.equal(ci.status, 0, ci.stderr);
    // Ports the demo listens on: the simulated gateways' are chosen below Linux's ephemeral range (32768–60999), where
    // other tests' outgoing connections take theirs; a port taken all the same is a new start on other ports.
    let port = 0;
    let out = '';
    for (let attempt = 1; ; attempt++) {
      const push = await freePort();
      port = await freePort();
      const simBase = 20000 + Math.floor(Math.random() * 12000);
      child = spawn('npm', ['start', '--', '--port', String(port), '--push-port', String(push), '--sim-base-port', String(simBase)], {
        cwd: repo,
        env: { ...process.env, METERFABRIC_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      out = '';
      child.stdout!.on('data', (c) => (out += c));
      child.stderr!.on('data', (c) => (out += c));
      const closed = new Promise((r) => child!.once('close', r)); // its output read to the end
      const t0 = Date.now();
      while (!out.includes('Stop with Ctrl-C.') && child.exitCode === null) {
        if (Date.now() - t0 > 240_000) assert.fail(`npm start did not finish starting:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      if (child.exitCode === null) break;
      await closed;
      if (!out.includes('EADDRINUSE') || attempt === 3) assert.fail(`npm start exited:\n${out}`);
    }
    const rounds = out.split('\n').filter((l) => /channel 1 -> /.test(l));
    assert.equal(rounds.length, 6, out);
    for (const l of rounds) assert.match(l, /-> OK: the gas meter uses the new key/);
    // The walk-through's REST call, against the demo, with the token the demo printed.
    const gateway = /\s(E[0-9A-F]{16}) \(/.exec(rounds[0]!)![1]!;
    const token = /^\s*TOKEN=(\S+)$/m.exec(out)?.[1];
    assert.ok(token, `the demo prints a ready token:\n${out}`);
    assert.match(out, /curl -s -X POST \S+ -H "Authorization: Bearer \$TOKEN"/);
    const auth = { Authorization: `Bearer ${token}` };
    const refused = await fetch(`http://127.0.0.1:${port}/api/v1/devices/${gateway}/mbus/channels/1/user-key`, { method: 'POST', headers: { 'X-Organisation-Identification': 'demo-org', 'Content-Type': 'application/json' } });
    assert.equal(refused.status, 401, 'an organisation header is no credential');
    const submit = await fetch(`http://127.0.0.1:${port}/api/v1/devices/${gateway}/mbus/channels/1/user-key`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' } });
    assert.equal(submit.status, 202);
    // The printed console sign-in link signs in once.
    const link = /(http:\/\/127\.0\.0\.1:\d+\/console\/#sign-in=([A-Za-z0-9_-]+))/.exec(out);
    assert.ok(link, `the demo prints a sign-in link:\n${out}`);
    const signIn = () => fetch(`http://127.0.0.1:${port}/console/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: link![2] }) });
    assert.equal((await signIn()).status, 200);
    assert.equal((await signIn()).status, 401);
    const { correlationUid } = (await submit.json()) as { correlationUid: string };
    let result: { result?: string } = {};
    for (let i = 0; i < 240 && result.result === undefined; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/responses/${encodeURIComponent(correlationUid)}`, { headers: auth });
      if (r.status === 200) result = (await r.json()) as { result: string };
      else await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(result.result, 'OK');

    // The walk-through's periodic reads, as the README spells them: the SOAP envelope and the REST call.
    const section = readme.slice(readme.indexOf('### Periodic reads on the demo'), readme.indexOf('## A complete session from a fresh start'));
    const envelope = /<soapenv:Envelope[\s\S]*?<\/soapenv:Envelope>/.exec(section)?.[0];
    assert.ok(envelope && envelope.includes(gateway), 'the README names the demo gateway in its periodic read');
    const soapUrl = /curl -s (http:\/\/127\.0\.0\.1:8080\/\S+monitoringService\/)/.exec(section)![1]!.replace(':8080', `:${port}`);
    const soapHeaders = { ...auth, 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' };
    const accepted = await fetch(soapUrl, { method: 'POST', headers: soapHeaders, body: envelope });
    const acceptedXml = await accepted.text();
    assert.equal(accepted.status, 200, acceptedXml);
    const soapUid = /<[^>]*CorrelationUid>([^<]+)</.exec(acceptedXml)![1]!;
    let periodic = '';
    for (let i = 0; i < 240; i++) {
      const poll = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:com="http://www.opensmartgridplatform.org/schemas/common/2014/10" xmlns:mon="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-monitoring/2014/10"><soapenv:Header><com:OrganisationIdentification>demo-org</com:OrganisationIdentification><com:UserName>operator</com:UserName><com:ApplicationName>readme</com:ApplicationName></soapenv:Header><soapenv:Body><mon:PeriodicMeterReadsAsyncRequest><com:DeviceIdentification>${gateway}</com:DeviceIdentification><com:CorrelationUid>${soapUid}</com:CorrelationUid></mon:PeriodicMeterReadsAsyncRequest></soapenv:Body></soapenv:Envelope>`;
      const r = await fetch(soapUrl, { method: 'POST', headers: soapHeaders, body: poll });
      periodic = await r.text();
      if (r.status === 200) break;
      assert.match(periodic, /<[^>]*Code>405</, periodic);
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.match(periodic, /<[^>]*PeriodicMeterReadsResponse[^>]*><[^>]*PeriodType>INTERVAL</, periodic);
    const rest = /curl -s -X POST [^\n]*\\\n\s*(http:\/\/127\.0\.0\.1:8080\/api\/v1\/devices\/\S+\/meter-reads\/periodic-gas) \\\n\s*-d '([^']+)'/.exec(section);
    assert.ok(rest, 'the README shows the REST periodic read');
    const gasSubmit = await fetch(rest[1]!.replace(':8080', `:${port}`), { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: rest[2] });
    assert.equal(gasSubmit.status, 202);
    const gasUid = ((await gasSubmit.json()) as { correlationUid: string }).correlationUid;
    let gas: { result?: string; data?: { periodType?: string } } = {};
    for (let i = 0; i < 240 && gas.result === undefined; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/responses/${encodeURIComponent(gasUid)}`, { headers: auth });
      if (r.status === 200) gas = (await r.json()) as typeof gas;
      else await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(gas.result, 'OK', JSON.stringify(gas));
    assert.equal(gas.data?.periodType, 'DAILY');
  } finally {
    if (child?.pid && child.exitCode === null) {
      process.kill(-child.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 1500));
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
