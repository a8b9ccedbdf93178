// Clock SET and the association's object_list between the session and the simulator over real loopback TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { DataAccessResult } from '../../src/dlms/apdu/index.ts';
import { cosemDateTimeToDate, dateToCosemDateTime } from '../../src/dlms/axdr.ts';
import { connectClientTransport } from '../../src/transport/tcp.ts';
import { MbusGateway } from '../../src/session/mbus.ts';
import { rejection, withoutLeaks } from '../transport/support.ts';
import { DlmsSession, managementOptions, withMeter } from './helpers.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('setClock moves the meter time; reading the clock back gives what was set (fixed meter now)', async () => {
  const now = new Date('2026-03-01T10:00:00Z');
  await withoutLeaks(() =>
    withMeter(
      'wrapper',
      'smr5',
      async (meter) => {
        const gw = new MbusGateway(await DlmsSession.openManagement(managementOptions(meter)), 1);
        assert.equal(cosemDateTimeToDate(await gw.readClock()).toISOString(), '2026-03-01T10:00:00.000Z');
        // 2026-07-14 14:30:15 local time with deviation -120 (CEST) is 12:30:15 UTC.
        await gw.setClock(h('07EA 07 0E 02 0E 1E 0F 00 FF88 00'));
        assert.equal(cosemDateTimeToDate(await gw.readClock()).toISOString(), '2026-07-14T12:30:15.000Z');
        await gw.setClock(dateToCosemDateTime(new Date('2027-01-02T03:04:05Z')));
        assert.equal(cosemDateTimeToDate(await gw.readClock()).toISOString(), '2027-01-02T03:04:05.000Z');
        await gw.release();
      },
      { now: () => now },
    ),
  );
});

test('a clock SET the meter refuses ends in DATA_ACCESS_RESULT with its result', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'dsmr4', async (meter) => {
      const gw = new MbusGateway(await DlmsSession.openManagement(managementOptions(meter)), 0);
      // A date-time that names no instant (every field unspecified): the meter answers other-reason.
      const e = await rejection(gw.setClock(Buffer.alloc(12, 0xff)));
      assert.ok(isMeterfabricError(e) && e.code === ErrorCode.DATA_ACCESS_RESULT, String(e));
      assert.equal((e as { details?: { result?: number } }).details?.result, DataAccessResult.OTHER_REASON);
      await gw.release();
      // The public client may read the clock but not set it.
      const pub = await DlmsSession.openPublic({ host: '127.0.0.1', port: meter.port, framing: 'wrapper', responseTimeoutMs: 2000 });
      const denied = await rejection(new MbusGateway(pub, 0).setClock(dateToCosemDateTime(new Date())));
      assert.ok(isMeterfabricError(denied) && denied.code === ErrorCode.DATA_ACCESS_RESULT && denied.details?.result === DataAccessResult.READ_WRITE_DENIED, String(denied));
      await pub.release();
    }),
  );
});

for (const profile of ['smr5', 'dsmr4'] as const) {
  test(`${profile}: readObjectList lists the clock, the association and the four class 72 objects, by block transfer when long`, async () => {
    await withoutLeaks(() =>
      withMeter('hdlc', profile, async (meter) => {
        let received = 0;
        const options = managementOptions(meter, {
          // A small receive PDU makes the meter split the list into blocks; every APDU it sends is counted.
          maxReceivePduSize: 256,
          openTransport: async (o) => {
            const t = await connectClientTransport(o);
            const receive = t.receive.bind(t);
            t.receive = async (ms) => {
              received++;
              return receive(ms);
            };
            return t;
          },
        });
        const gw = new MbusGateway(await DlmsSession.openManagement(options), profile === 'smr5' ? 1 : 0);
        const before = received;
        const list = await gw.readObjectList();
        assert.ok(received - before > 2, `object_list came in ${received - before} APDU(s)`);
        const byName = new Map(list.map((e) => [e.logicalName.toString('hex').toUpperCase(), e]));
        const clock = byName.get('0000010000FF');
        assert.deepEqual([clock?.classId, clock?.version], [8, 0]);
        assert.deepEqual(clock?.attributeAccess.find((a) => a.attributeId === 2), { attributeId: 2, accessMode: 3, accessSelectors: [] });
        const association = byName.get('0000280000FF');
        assert.deepEqual([association?.classId, association?.version], [15, 1]);
        assert.deepEqual(association?.methodAccess.find((m) => m.methodId === 1), { methodId: 1, accessMode: 1 });
        for (const ch of [1, 2, 3, 4]) {
          const m = byName.get(`00${ch.toString(16).padStart(2, '0')}180100FF`.toUpperCase());
          assert.deepEqual([m?.classId, m?.version], [72, profile === 'smr5' ? 1 : 0], `channel ${ch}`);
          // Attribute 6 is read-write, 14 read-only; transfer_key (method 8) may be invoked.
          assert.equal(m?.attributeAccess.find((a) => a.attributeId === 6)?.accessMode, 3);
          assert.equal(m?.attributeAccess.find((a) => a.attributeId === 14)?.accessMode, 1);
          assert.equal(m?.methodAccess.find((x) => x.methodId === 8)?.accessMode, 1);
        }
        // Configuration (attribute 13) exists from class 72 version 1 on: no access on a version 0 meter.
        assert.equal(byName.get('0001180100FF')?.attributeAccess.find((a) => a.attributeId === 13)?.accessMode, profile === 'smr5' ? 1 : 0);
        assert.ok(byName.has('00002B0000FF') && byName.has('00002B0100FF'), 'security setup and invocation counter listed');
        await gw.release();
      }),
    );
  });
}

test('the public client sees only the objects it may read, read-only, without methods', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const pub = await DlmsSession.openPublic({ host: '127.0.0.1', port: meter.port, framing: 'wrapper', responseTimeoutMs: 2000 });
      const list = await new MbusGateway(pub, 1).readObjectList();
      assert.deepEqual(list.map((e) => e.logicalName.toString('hex').toUpperCase()).sort(), ['0000010000FF', '0000280000FF', '00002A0000FF', '00002B0100FF', '0000600100FF']);
      for (const e of list) {
        assert.ok(e.attributeAccess.every((a) => a.accessMode <= 1), `read-only ${e.logicalName.toString('hex')}`);
        assert.ok(e.methodAccess.every((m) => m.accessMode === 0));
      }
      await pub.release();
    }),
  );
});
