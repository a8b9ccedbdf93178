/**
 * `meterfabric serve --log-file F --log-level L`: every component's JSON log lines go to the file, none to standard
 * output, at the chosen level; an unknown level is refused before anything starts. Runs the real bin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'meterfabric.mjs');
const SOAP_WITHOUT_ORGANISATION = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>';

async function serveAndFault(dir: string, level: string): Promise<{ stdout: string[]; file: string }> {
  const logFile = join(dir, 'logs', 'meterfabric.jsonl');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--push-port', '0', '--data', join(dir, 'data'), '--log-file', logFile, '--log-level', level], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stdout: string[] = [];
  try {
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      stdout.push(line);
      url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (url) break;
    }
    assert.ok(url, stdout.join('\n'));
    child.stdout!.on('data', (b: Buffer) => stdout.push(...String(b).split('\n').filter(Boolean)));
    // A request (with the admin token serve wrote) without OrganisationIdentification: answered with a fault,
    // logged at info by the SOAP component.
    const token = (await readFile(join(dir, 'data', 'admin.token'), 'utf8')).trim();
    const r = await fetch(`${url}/osgp-adapter-ws-smartmetering/smartMetering/configurationService/`, {
      method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""', authorization: `Bearer ${token}` }, body: SOAP_WITHOUT_ORGANISATION,
    });
    assert.equal(r.status, 500);
    await r.text();
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  return { stdout, file: await readFile(logFile, 'utf8').catch(() => '') };
}

test('serve --log-file --log-level info: the log lines go to the file only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-log-'));
  try {
    const { stdout, file } = await serveAndFault(dir, 'info');
    const lines = file.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; component: string; msg: string });
    assert.ok(lines.some((l) => l.component === 'api.soap' && l.msg === 'soap fault' && l.level === 'info'), file);
    assert.deepEqual(stdout.filter((l) => l.startsWith('{')), [], 'no JSON log line on standard output');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('serve --log-level warn leaves out info lines; an unknown level is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-log-'));
  try {
    const { file } = await serveAndFault(dir, 'warn');
    assert.doesNotMatch(file, /soap fault/);
    const refused = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'serve', '--port', '0', '--data', join(dir, 'data'), '--log-level', 'loud'], { timeout: 30_000 }, (err, _o, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--log-level must be one of/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
