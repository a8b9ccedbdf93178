// Load profiles (class 7) between the session and the simulator over real loopback TCP: capture_objects, the buffer
// with a range descriptor (all columns, selected columns) and with an entry descriptor, GET block transfer when the
// client's max receive PDU is small, and the meter's refusals (docs/dlms.md#simulated-profiles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeData } from '../../src/dlms/axdr.ts';
import { DataAccessResult } from '../../src/dlms/apdu/index.ts';
import { captureObject, timeRange } from '../../src/dlms/selective-access.ts';
import { decodeProfileBuffer } from '../../src/dlms/profile.ts';
import { CLOCK_TIME, electricityProfile, ProfileObis } from '../../src/cosem/index.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { connectClientTransport } from '../../src/transport/tcp.ts';
import { readProfile } from '../../src/session/profiles.ts';
import { amrStatus, entryTimes, profileEntry } from '../../src/simulator/profiles.ts';
import { rejection, withoutLeaks } from '../transport/support.ts';
import { DlmsSession, managementOptions, withMeter } from './helpers.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// Meter clock 2026-01-15 10:37:30 UTC.
const NOW = new Date(Date.UTC(2026, 0, 15, 10, 37, 30));
const DAY = Date.UTC(2026, 0, 14);

test('15-minute profile: capture_objects, one day by range descriptor in GET blocks, entry descriptor, exact bytes', async () => {
  await withoutLeaks(() =>
    withMeter(
      'wrapper',
      'smr5',
      async (meter) => {
        const apdus: Buffer[] = [];
        const options = managementOptions(meter, {
          maxReceivePduSize: 512,
          openTransport: async (o) => {
            const t = await connectClientTransport(o);
            const send = t.send.bind(t);
            t.send = async (apdu: Buffer) => {
              apdus.push(apdu);
              return send(apdu);
            };
            return t;
          },
        });
        const session = await DlmsSession.openManagement(options);
        const before = apdus.length;
        const range = timeRange({ clockTime: CLOCK_TIME, from: new Date(DAY), to: new Date(DAY + 86_399_000) });
        const read = await readProfile(session, { obis: ProfileObis.INTERVAL, captureObjects: true, selection: { kind: 'range', range } });
        // capture_objects: clock 0-0:1.0.0.255/2, AMR 0-0:96.10.2.255/2, 1-0:1.8.0.255/2, 1-0:2.8.0.255/2.
        assert.deepEqual(read.captureObjects, [
          CLOCK_TIME,
          captureObject(1, '0-0:96.10.2.255', 2),
          captureObject(3, '1-0:1.8.0.255', 2),
          captureObject(3, '1-0:2.8.0.255', 2),
        ]);
        // 96 entries of 28 bytes do not fit 512-byte APDUs: the buffer came in blocks, each acknowledged.
        const sent = apdus.length - before;
        assert.ok(sent > 4, `capture_objects GET, buffer GET and ${sent - 2} get-request-next`);
        const profile = electricityProfile('smr5', 'INTERVAL');
        const entries = decodeProfileBuffer(read.buffer, read.captureObjects!);
        assert.equal(entries.length, 96);
        const times = Array.from({ length: 96 }, (_, i) => new Date(DAY + i * 900_000));
        assert.deepEqual(entries.map((e) => e.values), times.map((t) => profileEntry(meter.state, profile, t)));
        // The first entry, literally: 00:00Z is 01:00 in Amsterdam (deviation −60, 0xFFC4), status, import, export.
        const m = (DAY - Date.UTC(2015, 8, 1)) / 60_000;
        const imp = 1_500_000 + 200 + 10 * m;
        const exp = 300_000 + 20 + 3 * m;
        assert.deepEqual(
          encodeData({ type: 'structure', value: entries[0]!.values }),
          Buffer.concat([
            h('02 04 09 0C 07EA 01 0E FF 01 00 00 00 FFC4 00 11'), Buffer.from([amrStatus(meter.state, new Date(DAY))]),
            h('06'), u32(imp), h('06'), u32(exp),
          ]),
        );
        // Entry descriptor: entries 2..3 of the buffer (oldest first), columns 1..2.
        const all = entryTimes(profile, NOW);
        assert.equal(all.length, 960);
        const byEntry = await readProfile(session, { obis: ProfileObis.INTERVAL, selection: { kind: 'entry', entry: { fromEntry: 2, toEntry: 3, fromSelectedValue: 1, toSelectedValue: 2 } } });
        assert.deepEqual(byEntry.buffer, {
          type: 'array',
          value: [all[1]!, all[2]!].map((t) => ({ type: 'structure', value: profileEntry(meter.state, profile, t).slice(0, 2) })),
        });
        await session.release();
      },
      { now: () => NOW },
    ),
  );
});

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

test('DSMR 4.2.2 daily combined profile: selected columns come back in capture_objects order; scalers in one list', async () => {
  await withoutLeaks(() =>
    withMeter(
      'wrapper',
      'dsmr4',
      async (meter) => {
        const session = await DlmsSession.openManagement(managementOptions(meter));
        const profile = electricityProfile('dsmr4', 'DAILY');
        assert.equal(profile.columns.length, 14);
        const wanted = [profile.columns[4]!.capture, CLOCK_TIME];
        const range = timeRange({ clockTime: CLOCK_TIME, from: new Date(Date.UTC(2026, 0, 10)), to: NOW, zone: 'Europe/Amsterdam', selectedValues: wanted });
        const read = await readProfile(session, { obis: profile.obis, selection: { kind: 'range', range }, scalerUnits: [{ kind: 'register', obis: profile.columns[4]!.capture.logicalName }] });
        // Midnights in Amsterdam (23:00Z in winter) from 10 to 14 January: the 10th's midnight is 9 Jan 23:00Z, before `from`.
        const days = [10, 11, 12, 13, 14].map((d) => new Date(Date.UTC(2026, 0, d, 23)));
        assert.deepEqual(read.buffer, { type: 'array', value: days.map((t) => ({ type: 'structure', value: [0, 4].map((i) => profileEntry(meter.state, profile, t)[i]!) })) });
        assert.deepEqual(read.scalerUnits, [{ type: 'structure', value: [{ type: 'integer', value: 0 }, { type: 'enum', value: 30 }] }]);
        // A window before the first entry: an empty array, not an error.
        const none = await readProfile(session, { obis: profile.obis, selection: { kind: 'range', range: timeRange({ clockTime: CLOCK_TIME, from: new Date(Date.UTC(2014, 0, 1)), to: new Date(Date.UTC(2014, 1, 1)) }) } });
        assert.deepEqual(none.buffer, { type: 'array', value: [] });
        // A column the profile does not capture: object-unavailable.
        const bad = await rejection(readProfile(session, { obis: profile.obis, selection: { kind: 'range', range: { ...range, selectedValues: [captureObject(3, '1-0:1.8.0.255', 2)] } } }));
        assert.ok(isMeterfabricError(bad) && bad.code === ErrorCode.DATA_ACCESS_RESULT && bad.details?.result === DataAccessResult.OBJECT_UNAVAILABLE, String(bad));
        // Selective access on an attribute other than a buffer is refused.
        const notBuffer = await rejection(session.get({ classId: 3, obis: '1-0:1.8.1.255', attributeId: 2 }, { selector: 1, parameters: { type: 'null-data' } }));
        assert.ok(isMeterfabricError(notBuffer) && notBuffer.code === ErrorCode.DATA_ACCESS_RESULT, String(notBuffer));
        await session.release();
      },
      { now: () => NOW },
    ),
  );
});
