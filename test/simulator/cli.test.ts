// The CLI contracts of issue 2 scope 6: `meterfabric simulate ...` prints one line per meter, `meterfabric dlms ...
// get|action` prints the decoded result as JSON. Runs the real bin in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'meterfabric.mjs');

async function freePorts(n: number): Promise<number> {
  // A base port with n free ports after it (checked by binding each once).
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      ok = await new Promise<boolean>((res) => {
        const s = net.createServer().once('error', () => res(false)).listen(p, '127.0.0.1', () => s.close(() => res(true)));
      });
    }
    if (ok) return base;
  }
  throw new Error('no free ports');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('meterfabric simulate --count 2 --hdlc --mbus ... serves meterfabric dlms get and action', async () => {
  const port = await freePorts(2);
  const sim = spawn(process.execPath, [bin, 'simulate', '--port', String(port), '--count', '2', '--hdlc', '--profile', 'dsmr4', '--mbus', '2:99310014:LGB:66:3:000102030405060708090A0B0C0D0E0F'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines: string[] = [];
    const rl = createInterface({ input: sim.stdout! });
    for await (const line of rl) {
      lines.push(line);
      if (line.includes('running')) break;
    }
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, new RegExp(`^port ${port} hdlc dsmr4 system-title 4B464D1020000001 mbus 1:- 2:99310014/LGB 3:- 4:-$`));
    assert.match(lines[1]!, new RegExp(`^port ${port + 1} .* system-title 4B464D1020000002 `));

    const ic = await cli(['dlms', '--host', '127.0.0.1', '--port', String(port + 1), '--hdlc', 'get', '1', '0-0:43.1.0.255', '2']);
    assert.equal(ic.code, 0, ic.stderr);
    assert.deepEqual(JSON.parse(ic.stdout), { type: 'double-long-unsigned', value: 1 });

    const keys = ['--client', '1', '--ak', 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF', '--ek', '000102030405060708090A0B0C0D0E0F'];
    const ident = await cli(['dlms', '--host', '127.0.0.1', '--port', String(port), '--hdlc', ...keys, 'get', '72', '0-2:24.1.0.255', '6']);
    assert.equal(ident.code, 0, ident.stderr);
    assert.deepEqual(JSON.parse(ident.stdout), { type: 'double-long-unsigned', value: 0x99310014 }); // BCD on DSMR 4

    const act = await cli(['dlms', '--host', '127.0.0.1', '--port', String(port), '--hdlc', ...keys, 'action', '72', '0-2:24.1.0.255', '7', '--octets', '00112233445566778899AABBCCDDEEFF']);
    assert.equal(act.code, 0, act.stderr);
    assert.deepEqual(JSON.parse(act.stdout), { result: 'success' });

    const denied = await cli(['dlms', '--host', '127.0.0.1', '--port', String(port), '--hdlc', 'get', '72', '0-2:24.1.0.255', '14']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /error 1100 DATA_ACCESS_RESULT/);
    assert.doesNotMatch(denied.stderr + act.stderr + ident.stderr, /D0D1D2D3|00010203040506/);
  } finally {
    sim.kill('SIGINT');
    await new Promise((r) => sim.once('exit', r));
  }
});

test('meterfabric dlms to a closed port fails with CONNECTION_REFUSED 225', async () => {
  const port = await freePorts(1);
  const r = await cli(['dlms', '--host', '127.0.0.1', '--port', String(port), 'get', '1', '0-0:43.1.0.255', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error 225 CONNECTION_REFUSED/);
});
