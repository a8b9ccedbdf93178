/**
 * `meterfabric serve --data DIR` writes DIR/admin.token (mode 0600) on first start and says where; the admin
 * commands authenticate with it (read from --data), with --token / METERFABRIC_TOKEN, and not at all without one:
 * a process that cannot read the data folder cannot administer. `org token ORG` prints an API token that works on
 * REST and SOAP. Runs the real bin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'meterfabric.mjs');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, METERFABRIC_TOKEN: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('serve writes admin.token; admin commands use it, --token or METERFABRIC_TOKEN, and nothing else', { timeout: 280_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-admin-token-'));
  const data = join(dir, 'data');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--push-port', '0', '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out: string[] = [];
  try {
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      out.push(line);
      url ??= /listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (/admin token/.test(line)) break;
    }
    assert.ok(url, out.join('\n'));
    const path = join(data, 'admin.token');
    assert.ok(out.some((l) => l.includes(path)), `serve says where the admin token is:\n${out.join('\n')}`);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const adminToken = (await readFile(path, 'utf8')).trim();

    // The data folder's admin.token (default of --data is ./data, as for serve).
    const added = await cli(['org', 'add', 'cli-org', '--url', url, '--data', data]);
    assert.equal(added.code, 0, added.stderr);
    // org set --public-key: the organisation's RSA public key, with which GetKeys encrypts the keys it returns.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    await writeFile(join(dir, 'cli-org.pub.pem'), publicKey);
    const set = await cli(['org', 'set', 'cli-org', '--public-key', join(dir, 'cli-org.pub.pem'), '--url', url, '--data', data]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /cli-org: RSA public key registered \(2048 bits\)/);
    const stored = await fetch(`${url}/api/v1/admin/organisations/cli-org/public-key`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(((await stored.json()) as { publicKey: string }).publicKey, publicKey);
    // No readable admin.token and no token: refused before anything is sent.
    const none = await cli(['org', 'list', '--url', url, '--data', join(dir, 'elsewhere')]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no credentials/);
    // --token (METERFABRIC_TOKEN below) instead of the data folder.
    assert.match((await cli(['org', 'list', '--url', url, '--token', adminToken, '--data', join(dir, 'elsewhere')])).stdout, /cli-org/);

    // org token: one token for REST and SOAP; --revoke withdraws it.
    const issued = await cli(['org', 'token', 'cli-org', '--url', url, '--data', data]);
    assert.equal(issued.code, 0, issued.stderr);
    const token = issued.stdout.trim();
    assert.match(token, /^mft_[A-Za-z0-9_-]{43}$/);
    const rest = await fetch(`${url}/api/v1/responses/none-such`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(rest.status, 404, 'authenticated: the correlation id is unknown');
    const revoked = await cli(['org', 'token', 'cli-org', '--revoke', '--url', url, '--data', join(dir, 'elsewhere')], { METERFABRIC_TOKEN: adminToken });
    assert.match(revoked.stdout, /1 token\(s\) of cli-org revoked/);
    assert.equal((await fetch(`${url}/api/v1/responses/none-such`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await rm(dir, { recursive: true, force: true });
  }
});

test('a second start keeps admin.token; a new database learns the token of an existing file', { timeout: 120_000 }, async () => {
  const { freshDb } = await import('../support/db.ts');
  const { ensureTokenFile, organisationOfToken, revokeApiTokens } = await import('../../src/platform/tokens.ts');
  const dir = await mkdtemp(join(tmpdir(), 'mf-admin-token-db-'));
  const path = join(dir, 'admin.token');
  const first = await freshDb('pglite');
  const second = await freshDb('pglite');
  try {
    const made = await ensureTokenFile(first.db, path, 'OSGP', 'test');
    assert.equal(made.created, true);
    assert.deepEqual(await ensureTokenFile(first.db, path, 'OSGP', 'test'), { token: made.token, created: false });
    // Another (new) database, same data folder: the file's token is registered there, not replaced.
    assert.deepEqual(await ensureTokenFile(second.db, path, 'OSGP', 'test'), { token: made.token, created: false });
    assert.equal(await organisationOfToken(second.db, made.token), 'OSGP');
    // Revoked on purpose: the next start writes a new one instead of bringing the old one back.
    await revokeApiTokens(first.db, 'OSGP');
    const renewed = await ensureTokenFile(first.db, path, 'OSGP', 'test');
    assert.equal(renewed.created, true);
    assert.notEqual(renewed.token, made.token);
    assert.equal((await readFile(path, 'utf8')).trim(), renewed.token);
    await assert.rejects(organisationOfToken(first.db, made.token), { code: 223 });
  } finally {
    await first.dispose();
    await second.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
