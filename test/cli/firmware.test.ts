/**
 * `meterfabric firmware add FILE --identification ID [--image-identifier HEX] [--manufacturer M --model-code C]`
 * against a running `meterfabric serve`: prints the identification and GXF's hash, refuses to overwrite, and needs
 * the administrator's credentials. Runs the real bin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'meterfabric.mjs');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, METERFABRIC_TOKEN: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('firmware add stores a file once and prints its identification and hash; firmware list shows it', { timeout: 110_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-firmware-cli-'));
  const data = join(dir, 'data');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--push-port', '0', '--no-workers', '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      url ??= /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (/admin token/.test(line)) break;
    }
    assert.ok(url);
    const file = join(dir, 'meter-fw.bin');
    const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 3) & 0xff));
    await writeFile(file, content);
    const hash = createHash('sha256').update(content).digest('hex').replace(/^0+/, '');

    const added = await cli(['firmware', 'add', file, '--identification', 'FW-CLI-1', '--image-identifier', 'FEDCBA0987654321', '--manufacturer', 'MFS', '--model-code', 'E5', '--url', url, '--data', data]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `identification FW-CLI-1\nhash ${hash} (SHA256, 5000 bytes)\n`);
    const twice = await cli(['firmware', 'add', file, '--identification', 'FW-CLI-1', '--url', url, '--data', data]);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /702|exists/);
    const half = await cli(['firmware', 'add', file, '--identification', 'FW-CLI-2', '--manufacturer', 'MFS', '--url', url, '--data', data]);
    assert.notEqual(half.code, 0);
    assert.match(half.stderr, /--manufacturer and --model-code go together/);
    const noCredentials = await cli(['firmware', 'add', file, '--identification', 'FW-CLI-3', '--url', url, '--data', join(dir, 'elsewhere')]);
    assert.notEqual(noCredentials.code, 0);
    const list = await cli(['firmware', 'list', '--url', url, '--data', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /FW-CLI-1/);
    assert.match(list.stdout, new RegExp(hash));
    assert.doesNotMatch(list.stdout, /FW-CLI-3/);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await rm(dir, { recursive: true, force: true });
  }
});
