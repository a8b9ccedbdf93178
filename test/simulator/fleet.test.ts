// Fleet mode, the JSON state file and the `simulate` CLI's --mbus parsing (issue 2, scope 5 and 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../../src/simulator/simulator.ts';
import { DlmsSession, readInvocationCounter } from '../../src/session/client.ts';
import { MbusGateway } from '../../src/session/mbus.ts';
import { buildSmr5TransferKey } from '../../src/dlms/security/index.ts';
import { parseMbusSpec, parseMethodError } from '../../src/cli/commands/simulate.ts';
import { withoutLeaks } from '../transport/support.ts';
import { DEFAULT_KEY, NEW_USER_KEY, managementOptions } from './helpers.ts';
import { isMeterfabricError } from '../../src/errors.ts';

test('a fleet persists keys, counters and G-meter state to its state file and resumes from it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meterfabric-sim-'));
  const statePath = join(dir, 'state.json');
  try {
    await withoutLeaks(async () => {
      const fleet = await Fleet.start({ basePort: 0, count: 3, statePath });
      const titles = fleet.meters.map((m) => m.state.systemTitle.toString('hex'));
      assert.deepEqual(titles, ['4b464d1020000001', '4b464d1020000002', '4b464d1020000003']);
      const m = fleet.meters[1]!;
      const s = await DlmsSession.openManagement(managementOptions(m));
      const blob = buildSmr5TransferKey({ defaultKey: DEFAULT_KEY, newKey: NEW_USER_KEY, keyId: 0, kcc: 1, identificationNumber: '12056731', manufacturerId: 0x198f });
      await new MbusGateway(s, 1).transferKey(1, blob);
      await s.release();
      const ic = m.state.lastClientIc;
      await fleet.close();
      assert.equal(statSync(statePath).mode & 0o777, 0o600);
      assert.match(readFileSync(statePath, 'utf8'), /"lastClientIc": 4/);

      const again = await Fleet.start({ basePort: 0, count: 3, statePath });
      assert.deepEqual(again.meters[1]!.gMeterKey(1), NEW_USER_KEY);
      assert.equal(again.meters[1]!.state.lastClientIc, ic);
      assert.equal(again.meters[0]!.gMeterKey(1), undefined);
      assert.equal(await readInvocationCounter({ host: '127.0.0.1', port: again.meters[1]!.port, framing: 'wrapper', responseTimeoutMs: 2000 }), ic + 1);
      await again.close();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fleet mode: 1000 meters in one process, each answering on its own port', async () => {
  await withoutLeaks(async () => {
    const fleet = await Fleet.start({ basePort: 0, count: 1000, profile: 'dsmr4' });
    try {
      assert.equal(new Set(fleet.meters.map((m) => m.port)).size, 1000);
      for (const i of [0, 499, 999]) {
        const m = fleet.meters[i]!;
        m.state.lastClientIc = i;
        assert.equal(await readInvocationCounter({ host: '127.0.0.1', port: m.port, framing: 'wrapper', responseTimeoutMs: 2000 }), i + 1);
      }
    } finally {
      await fleet.close();
    }
  });
});

test('--mbus CH:IDENT:MAN:VERSION:TYPE:DEFAULTKEYHEX parses decimal numbers and a hex key', () => {
  const { channel, gMeter } = parseMbusSpec('2:12056731:flo:80:3:0F0E0D0C0B0A09080706050403020100');
  assert.equal(channel, 2);
  assert.equal(gMeter.identification, '12056731');
  assert.equal(gMeter.manufacturer, 'FLO');
  assert.equal(gMeter.version, 0x50);
  assert.equal(gMeter.deviceType, 3);
  assert.deepEqual(gMeter.defaultKey, DEFAULT_KEY);
  for (const bad of ['5:12056731:FLO:80:3:0F0E0D0C0B0A09080706050403020100', '1:123456789:FLO:80:3:0F0E0D0C0B0A09080706050403020100', '1:1:FL:80:3:0F0E', '1:1:FLO:80:3', '1:1:FLO:300:3:0F0E0D0C0B0A09080706050403020100']) {
    assert.throws(() => parseMbusSpec(bad), (e) => isMeterfabricError(e) && !String((e as Error).message).includes('0F0E0D0C0B0A0908'), bad);
  }
});

test('--method-error CLASS:OBIS:METHOD:RESULT parses the OBIS code with its colon', () => {
  assert.deepEqual(parseMethodError('72:0-1:24.1.0.255:8:250'), { classId: 72, obis: '0-1:24.1.0.255', methodId: 8, result: 250 });
  assert.throws(() => parseMethodError('72:0-1:24.1.0.255:8'), (e) => isMeterfabricError(e));
  assert.throws(() => parseMethodError('72:0-1:24.1.0.255:8:256'), (e) => isMeterfabricError(e));
});
