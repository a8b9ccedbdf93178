/**
 * `meterfabric firmware update` against `meterfabric demo` (the real bin, simulated gateways over TCP): an
 * administrator stores a firmware file, the demo organisation updates both of its E-meters as one bulk job with
 * progress lines until 100 % OK, then one meter by name with another file; GetFirmwareVersion over REST afterwards
 * reads the new active firmware from each meter. An unknown identification is refused before any request, and
 * another organisation can neither send the file to the demo meters nor see them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cli, startDemo } from '../support/demo.ts';

/** GetFirmwareVersion over REST as the organisation of `token`: the meter's ACTIVE_FIRMWARE version. */
async function activeFirmware(url: string, token: string, device: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const posted = await fetch(`${url}/api/v1/devices/${device}/firmware/versions`, { method: 'POST', headers, body: '{}' });
  assert.equal(posted.status, 202, await posted.clone().text());
  const { correlationUid } = (await posted.json()) as { correlationUid: string };
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${url}/api/v1/responses/${encodeURIComponent(correlationUid)}`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status === 200) {
      const body = (await r.json()) as { result: string; data?: { firmwareVersions: { version: string; firmwareModuleType: string }[] } };
      assert.equal(body.result, 'OK', JSON.stringify(body));
      return body.data!.firmwareVersions.find((v) => v.firmwareModuleType === 'ACTIVE_FIRMWARE')!.version;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no answer to GetFirmwareVersion on ${device}`);
}

test('firmware update: both E-meters as one bulk job, then one meter, with progress; versions read back; refusals', { timeout: 115_000 }, async (t) => {
  const { url, token, gateways, data } = await startDemo(t, 2);
  const admin = ['--url', url, '--data', data];
  const common = ['--url', url, '--token', token, '--interval', '200'];

  // The administrator stores two E-meter images (the simulator reports the image identifier as its version).
  for (const [id, seed] of [['FW-CLI-0700', 3], ['FW-CLI-0701', 5]] as const) {
    const file = join(dirname(data), `${id}.bin`);
    await writeFile(file, Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * seed + 1) & 0xff)));
    const added = await cli(['firmware', 'add', file, '--identification', id, '--image-identifier', Buffer.from(id).toString('hex'), ...admin]);
    assert.equal(added.code, 0, added.stderr);
  }
  for (const gw of gateways) assert.notEqual(await activeFirmware(url, token, gw), 'FW-CLI-0700');

  // Every E-meter of the organisation: one bulk job, progress lines until 100 %.
  const fleet = await cli(['firmware', 'update', '--all-of-type', 'SMART_METER_E', '--identification', 'FW-CLI-0700', ...common]);
  assert.equal(fleet.code, 0, fleet.stdout + fleet.stderr);
  assert.match(fleet.stdout, /bulk job \S+: updateFirmware \(UPDATE_FIRMWARE\) on 2 device/);
  const lines = fleet.stdout.trim().split('\n');
  assert.ok(lines.slice(1).every((l) => /^\S+ updateFirmware: \d+% \(\d\/2\) OK \d, NOT_OK \d/.test(l)), fleet.stdout);
  assert.match(lines.at(-1)!, /100% \(2\/2\) OK 2, NOT_OK 0/);
  for (const gw of gateways) assert.equal(await activeFirmware(url, token, gw), 'FW-CLI-0700', gw);

  // One meter by name.
  const one = await cli(['firmware', 'update', gateways[1]!, '--identification', 'FW-CLI-0701', ...common]);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  assert.match(one.stdout, /on 1 device/);
  assert.match(one.stdout.trim().split('\n').at(-1)!, /100% \(1\/1\) OK 1, NOT_OK 0/);
  assert.equal(await activeFirmware(url, token, gateways[1]!), 'FW-CLI-0701');
  assert.equal(await activeFirmware(url, token, gateways[0]!), 'FW-CLI-0700', 'the other meter untouched');

  // Refusals: an identification the platform does not hold; no selection; another organisation.
  const unknown = await cli(['firmware', 'update', gateways[0]!, '--identification', 'FW-NONE', ...common]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no firmware file FW-NONE/);
  const neither = await cli(['firmware', 'update', '--identification', 'FW-CLI-0700', ...common]);
  assert.notEqual(neither.code, 0);
  assert.equal((await cli(['org', 'add', 'other-org', ...admin])).code, 0);
  const otherToken = (await cli(['org', 'token', 'other-org', ...admin])).stdout.trim();
  assert.match(otherToken, /^mft_/);
  const other = await cli(['firmware', 'update', gateways[0]!, '--identification', 'FW-CLI-0701', '--url', url, '--token', otherToken]);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /unknown/i);
  const otherFleet = await cli(['firmware', 'update', '--all-of-type', 'SMART_METER_E', '--identification', 'FW-CLI-0701', '--url', url, '--token', otherToken]);
  assert.notEqual(otherFleet.code, 0, 'the other organisation holds no meter');
  assert.equal(await activeFirmware(url, token, gateways[0]!), 'FW-CLI-0700', 'still the demo organisation\'s update');
});
