/**
 * `meterfabric read actual|periodic|events DEVICE`: the command submits over the REST API of a real HTTP head-end,
 * waits for the result and prints a table (JSON with --json); checks before sending; `read periodic` on a platform
 * without the periodic route is a clear error. The command runs in this process (commander, as the bin builds it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { register, readRequest } from '../../src/cli/commands/read.ts';
import { simulatedEventsBetween } from '../../src/simulator/event-logs.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'cli-org';
const GW = 'E0051004000000051';
const T = Date.UTC(2026, 0, 15, 10, 37, 30);

async function run(args: string[]): Promise<{ out: string; error?: Error }> {
  const program = new Command().exitOverride();
  register(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    await program.parseAsync(['node', 'meterfabric', ...args]);
    return { out: lines.join('\n') };
  } catch (e) {
    return { out: lines.join('\n'), error: e as Error };
  } finally {
    console.log = log;
  }
}

test('read checks its arguments before sending', () => {
  assert.throws(() => readRequest('history', GW, {}), /read what\? actual, periodic, events/);
  assert.throws(() => readRequest('periodic', GW, { type: 'WEEKLY', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }), /--type DAILY\|MONTHLY\|INTERVAL/);
  assert.throws(() => readRequest('periodic', GW, { type: 'DAILY' }), /needs --from and --to/);
  assert.throws(() => readRequest('events', GW, { type: 'ALARM_LOG' }), /--type must be an event log/);
  assert.throws(() => readRequest('events', GW, { from: 'yesterday' }), /--from must be a date-time/);
  assert.deepEqual(readRequest('periodic', GW, { type: 'DAILY', from: '2026-01-01T00:00:00+01:00', to: '2026-01-02T00:00:00Z' }), {
    path: `/api/v1/devices/${GW}/meter-reads/periodic`,
    body: { periodType: 'DAILY', beginDate: '2025-12-31T23:00:00.000Z', endDate: '2026-01-02T00:00:00.000Z' },
  });
  assert.deepEqual(readRequest('events', GW, {}, new Date('2026-01-15T12:00:00Z')).body, { eventLogCategory: 'STANDARD_EVENT_LOG', from: '2026-01-14T12:00:00.000Z', until: '2026-01-15T12:00:00.000Z' });
});

test('read actual, events and periodic against a running platform', async () => {
  await withHttpHeadend(async ({ db, url, gateway, token }) => {
    await addOrganisation(db, { identification: ORG });
    const tok = await token(ORG);
    const sim = await gateway(GW, ORG, { protocol: 'DSMR 4.2.2' });
    sim.state.clockOffsetMs = T - Date.now();
    const common = ['--url', url, '--token', tok];

    const events = await run(['read', 'events', GW, '--type', 'FRAUD_DETECTION_LOG', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-15T00:00:00Z', ...common]);
    assert.equal(events.error, undefined, String(events.error));
    const expected = simulatedEventsBetween('FRAUD_DETECTION_LOG', 1, new Date(T), new Date('2026-01-01T00:00:00Z'), new Date('2026-01-15T00:00:00Z'));
    const lines = events.out.split('\n');
    assert.match(lines[0]!, /^timestamp\s+eventCode\s+eventType\s+eventLogCategory$/);
    assert.equal(lines.length, 1 + expected.length, events.out);
    assert.match(lines.at(-1)!, new RegExp(`^${expected.at(-1)!.at.toISOString()}\\s+${expected.at(-1)!.code}\\s+[A-Z_]+\\s+FRAUD_DETECTION_LOG$`));

    const json = await run(['read', 'events', GW, '--type', 'STANDARD_EVENT_LOG', '--from', '2026-01-14T00:00:00Z', '--to', '2026-01-15T00:00:00Z', '--json', ...common]);
    const parsed = JSON.parse(json.out) as { result: string; data: { events: { eventCode: number; eventType: string }[] } };
    assert.equal(parsed.result, 'OK');
    assert.deepEqual(parsed.data.events.map((e) => [e.eventCode, e.eventType]), [[6, 'CLOCK_INVALID'], [21, 'COMMUNICATION_MODULE_REMOVED'], [17, 'FIRMWARE_READY_FOR_ACTIVATION'], [13, 'HARDWARE_ERROR_RAM']]);

    const empty = await run(['read', 'events', GW, '--from', '2014-01-01T00:00:00Z', '--to', '2014-02-01T00:00:00Z', ...common]);
    assert.equal(empty.out, '(nothing in this window)');

    const actual = await run(['read', 'actual', GW, ...common]);
    assert.equal(actual.error, undefined, String(actual.error));
    assert.match(actual.out, /^field\s+value\n/);
    assert.match(actual.out, /\nactiveEnergyImportTariffOne\s+\d+\.\d{3} KWH\n/);
    assert.match(actual.out, /\nlogTime\s+2026-01-15T10:3/);

    const periodic = await run(['read', 'periodic', GW, '--type', 'DAILY', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', ...common]);
    if (periodic.error) assert.match(periodic.error.message, /this platform does not serve periodic meter reads \(POST \/api\/v1\/devices\/E0051004000000051\/meter-reads\/periodic answered 40[47]\)/);
    else assert.match(periodic.out, /logTime/, 'a platform with periodic reads prints them');

    // The meter refuses: the command fails with the platform's message.
    sim.faults = { getError: { classId: 7, obis: '0-0:99.98.1.255', attributeId: 2, result: 1 } };
    const refused = await run(['read', 'events', GW, '--type', 'FRAUD_DETECTION_LOG', ...common]);
    assert.match(refused.error?.message ?? '', /0-0:99\.98\.1\.255/);
  });
});
