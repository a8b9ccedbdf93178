// Energy registers and M-Bus values between the session and the simulator over real loopback TCP: one
// get-request-with-list or one GET each (WithListMax 1), values from the simulator's clock rule (docs/dlms.md#meter-reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { DataAccessResult } from '../../src/dlms/apdu/index.ts';
import { connectClientTransport } from '../../src/transport/tcp.ts';
import { MbusGateway } from '../../src/session/mbus.ts';
import { EnergyRegisterObis, mbusMasterValueObis } from '../../src/cosem/index.ts';
import type { RegisterRef } from '../../src/session/registers.ts';
import { rejection, withoutLeaks } from '../transport/support.ts';
import { DlmsSession, managementOptions, withMeter } from './helpers.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// 2026-01-15 10:37:30 UTC (a Thursday).
const NOW = new Date(Date.UTC(2026, 0, 15, 10, 37, 30));
const M = Math.floor((NOW.getTime() - Date.UTC(2015, 8, 1)) / 60_000);
const REGISTERS: RegisterRef[] = [
  { kind: 'register', obis: EnergyRegisterObis.IMPORT_TARIFF_1 },
  { kind: 'register', obis: EnergyRegisterObis.EXPORT },
  { kind: 'extended-register', obis: mbusMasterValueObis(1) },
];

for (const withListMax of [32, 1]) {
  test(`clock, class 3 and class 4 in ${withListMax === 1 ? 'one GET each' : 'one get-request-with-list'} (SMR 5 meter, fixed clock)`, async () => {
    await withoutLeaks(() =>
      withMeter(
        'wrapper',
        'smr5',
        async (meter) => {
          let received = 0;
          const options = managementOptions(meter, {
            withListMax,
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
          const gw = new MbusGateway(await DlmsSession.openManagement(options), 1);
          const before = received;
          const r = await gw.readMeterValues({ clock: true, registers: REGISTERS });
          assert.equal(received - before, withListMax === 1 ? 1 + 2 + 2 + 3 : 1);
          assert.deepEqual(r.clock, h('07EA 01 0F 04 0A 25 1E 00 0000 00'));
          assert.deepEqual(r.registers[0], { value: { type: 'double-long-unsigned', value: 1_000_000 + 100 + 7 * M }, scalerUnit: { type: 'structure', value: [{ type: 'integer', value: 0 }, { type: 'enum', value: 30 }] } });
          assert.deepEqual(r.registers[1]!.value, { type: 'double-long-unsigned', value: 200_000 + 10 + 2 * M + 100_000 + 10 + M });
          // SMR 5 captures every 5 minutes: 10:35:00Z, sent as 11:35 Amsterdam local time, deviation −60 (0xFFC4).
          const periods = (Date.UTC(2026, 0, 15, 10, 35) - Date.UTC(2015, 8, 1)) / 300_000;
          assert.deepEqual(r.registers[2], {
            value: { type: 'double-long-unsigned', value: 100_000 + 1000 * 731 + 10 * periods },
            scalerUnit: { type: 'structure', value: [{ type: 'integer', value: -3 }, { type: 'enum', value: 13 }] },
            captureTime: { type: 'octet-string', value: h('07EA 01 0F FF 0B 23 00 00 FFC4 00') },
          });
          await gw.release();
        },
        { now: () => NOW },
      ),
    );
  });
}

test('a register GET the meter refuses ends in DATA_ACCESS_RESULT naming it; an empty channel is object-unavailable', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'dsmr4', async (meter) => {
      meter.faults = { getError: { classId: 3, obis: '1-0:2.8.0.255', attributeId: 2, result: DataAccessResult.HARDWARE_FAULT } };
      const gw = new MbusGateway(await DlmsSession.openManagement(managementOptions(meter)), 0);
      const e = await rejection(gw.readMeterValues({ clock: true, registers: REGISTERS }));
      assert.ok(isMeterfabricError(e) && e.code === ErrorCode.DATA_ACCESS_RESULT && e.details?.result === DataAccessResult.HARDWARE_FAULT, String(e));
      assert.match(e.message, /1-0:2\.8\.0\.255/);
      meter.faults = {};
      const empty = await rejection(gw.readMeterValues({ clock: false, registers: [{ kind: 'extended-register', obis: mbusMasterValueObis(3) }] }));
      assert.ok(isMeterfabricError(empty) && empty.details?.result === DataAccessResult.OBJECT_UNAVAILABLE, String(empty));
      await gw.release();
    }),
  );
});
