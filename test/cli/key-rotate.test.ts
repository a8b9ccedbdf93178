/**
 * `meterfabric key rotate` against `meterfabric demo` (the real bin, simulated gateways over TCP): one meter by name,
 * then every E-meter of the organisation with --all-of-type, each followed to 100 % with its progress lines;
 * `bulk list` and `bulk status` show the jobs; a device the organisation does not hold is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, startDemo } from '../support/demo.ts';

test('key rotate: one meter, then the whole fleet of E-meters, with progress until done', { timeout: 110_000 }, async (t) => {
  const { url, token, gateways } = await startDemo(t, 2);
  const common = ['--url', url, '--token', token, '--interval', '200'];

  const one = await cli(['key', 'rotate', gateways[0]!, ...common]);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  assert.match(one.stdout, /bulk job \S+: generateAndReplaceKeys \(GENERATE_AND_REPLACE_KEYS\) on 1 device/);
  assert.match(one.stdout.trim().split('\n').at(-1)!, /100% \(1\/1\) OK 1, NOT_OK 0/);

  const fleet = await cli(['key', 'rotate', '--all-of-type', 'SMART_METER_E', ...common]);
  assert.equal(fleet.code, 0, fleet.stdout + fleet.stderr);
  assert.match(fleet.stdout, /on 2 device/);
  assert.match(fleet.stdout.trim().split('\n').at(-1)!, /100% \(2\/2\) OK 2, NOT_OK 0/);
  const id = /bulk job (\S+):/.exec(fleet.stdout)![1]!;

  const listed = await cli(['bulk', 'list', ...common.slice(0, 4)]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout.trim().split('\n').length, 3, listed.stdout);
  const status = await cli(['bulk', 'status', id, ...common.slice(0, 4)]);
  assert.match(status.stdout, /100% \(2\/2\) OK 2/);

  const unknown = await cli(['key', 'rotate', 'E9999999999999999', ...common]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown/i);
  const neither = await cli(['key', 'rotate', ...common]);
  assert.notEqual(neither.code, 0);
});
