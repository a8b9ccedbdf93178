/**
 * GetActualMeterReads and GetActualMeterReadsGas against fake ports: what is read (one call for the clock and every
 * register), how values are scaled and named as GXF reports them, LogTime and CaptureTime, and the faults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import getActualMeterReads from '../../src/operations/monitoring/get-actual-meter-reads.ts';
import getActualMeterReadsGas from '../../src/operations/monitoring/get-actual-meter-reads-gas.ts';
import { Data, type DlmsData } from '../../src/dlms/axdr.ts';
import { encodeZonedDateTime } from '../../src/dlms/date-time.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import type { RegisterReading } from '../../src/adapters/ports.ts';
import { context, fakePorts } from './fake-ports.ts';

const su = (scaler: number, unit: number): DlmsData => Data.structure([Data.integer(scaler), Data.enum(unit)]);
const reg = (value: DlmsData, scaler: number, unit: number): RegisterReading => ({ value, scalerUnit: su(scaler, unit) });
const WH = 30;
const M3 = 13;
// 2026-07-01 10:09:09.09 in Amsterdam (deviation −120, DST) = 08:09:09.090Z
const CLOCK = encodeZonedDateTime(new Date(Date.UTC(2026, 6, 1, 8, 9, 9, 90)), 'Europe/Amsterdam');

test('GetActualMeterReads: one read of the clock and the six energy registers; Wh as KWH exactly, whatever the scaler', async () => {
  const { ports, rec } = fakePorts({
    meterValues: async () => ({
      clock: CLOCK,
      registers: [
        reg(Data.doubleLongUnsigned(30005), 0, WH),
        reg(Data.doubleLongUnsigned(4), 3, WH), // a meter counting in kWh: 4 kWh
        reg(Data.doubleLongUnsigned(10002), 0, WH),
        reg(Data.doubleLongUnsigned(200031), -1, WH),
        reg({ type: 'long64-unsigned', value: 2n ** 40n }, 0, WH),
        reg(Data.doubleLongUnsigned(0), 0, WH),
      ],
    }),
  });
  const r = await getActualMeterReads.execute(ports, {}, context('REQUEST_ACTUAL_METER_DATA'));
  assert.deepEqual(rec.calls, ['open E0051004000000117', 'readMeterValues', 'release']);
  assert.equal(rec.reads[0]!.clock, true);
  assert.deepEqual(rec.reads[0]!.registers.map((x) => `${x.kind} ${x.obis.toString()}`), [
    'register 1-0:1.8.0.255', 'register 1-0:2.8.0.255', 'register 1-0:1.8.1.255', 'register 1-0:1.8.2.255', 'register 1-0:2.8.1.255', 'register 1-0:2.8.2.255',
  ]);
  assert.deepEqual(r, {
    logTime: '2026-07-01T08:09:09.090Z',
    activeEnergyImport: { value: '30.005', unit: 'KWH' },
    activeEnergyExport: { value: '4.000', unit: 'KWH' },
    activeEnergyImportTariffOne: { value: '10.002', unit: 'KWH' },
    activeEnergyImportTariffTwo: { value: '20.0031', unit: 'KWH' },
    activeEnergyExportTariffOne: { value: '1099511627.776', unit: 'KWH' },
    activeEnergyExportTariffTwo: { value: '0.000', unit: 'KWH' },
  });
});

const sixWh = Array.from({ length: 6 }, () => reg(Data.doubleLongUnsigned(1), 0, WH));

test('GetActualMeterReads: an unspecified clock, a null value or a register in volts is a protocol error', async () => {
  const unspecified = Buffer.from(CLOCK);
  unspecified.writeUInt16BE(0xffff, 0);
  const cases: [Buffer, RegisterReading[], RegExp][] = [
    [unspecified, sixWh, /Unexpected null\/unspecified value for Actual Energy Reads Time/],
    [CLOCK, [{ value: { type: 'null-data' }, scalerUnit: su(0, WH) }, ...sixWh.slice(1)], /1-0:1\.8\.0\.255: the meter sent no value/],
    [CLOCK, [...sixWh.slice(0, 5), reg(Data.doubleLongUnsigned(2301), -1, 35)], /1-0:2\.8\.2\.255.*not supported/],
  ];
  for (const [clock, registers, message] of cases) {
    const { ports } = fakePorts({ meterValues: async () => ({ clock, registers }) });
    await assert.rejects(getActualMeterReads.execute(ports, {}, context('REQUEST_ACTUAL_METER_DATA')), (e) => {
      assert.ok(isMeterfabricError(e) && e.code === ErrorCode.ILLEGAL_RESPONSE, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

test('GetActualMeterReadsGas: the coupled channel\'s class 4 value through the gateway; LogTime the head-end\'s, CaptureTime the meter\'s', async () => {
  const now = new Date(Date.UTC(2026, 11, 2, 12, 0, 0));
  const capture = encodeZonedDateTime(new Date(Date.UTC(2026, 0, 15, 23, 0, 0)), 'Europe/Amsterdam'); // 00:00 local, deviation −60
  const { ports, rec } = fakePorts({
    now,
    mbusDevices: [{ deviceIdentification: 'G0051004000000118', gatewayDeviceIdentification: 'E0051004000000117', channel: 2 }],
    meterValues: async () => ({ registers: [{ ...reg(Data.doubleLongUnsigned(300001), -3, M3), captureTime: Data.octetString(capture) }] }),
  });
  const r = await getActualMeterReadsGas.execute(ports, {}, context('REQUEST_ACTUAL_METER_DATA_GAS', 'G0051004000000118'));
  assert.deepEqual(rec.calls, ['open E0051004000000117', 'readMeterValues', 'release']);
  assert.equal(rec.reads[0]!.clock, false);
  assert.deepEqual(rec.reads[0]!.registers.map((x) => `${x.kind} ${x.obis.toString()}`), ['extended-register 0-2:24.2.1.255']);
  assert.deepEqual(r, { logTime: '2026-12-02T12:00:00.000Z', consumption: { value: '300.001', unit: 'M3' }, captureTime: '2026-01-15T23:00:00.000Z' });
});

test('GetActualMeterReadsGas: no coupling is fault 220 without contacting a meter; an unspecified capture time is a protocol error', async () => {
  const uncoupled = fakePorts({ mbusDevices: [{ deviceIdentification: 'G0051004000000118' }] });
  await assert.rejects(getActualMeterReadsGas.execute(uncoupled.ports, {}, context('REQUEST_ACTUAL_METER_DATA_GAS', 'G0051004000000118')), (e) =>
    isMeterfabricError(e) && e.code === ErrorCode.GATEWAY_DEVICE_NOT_SET_FOR_MBUS_DEVICE);
  assert.deepEqual(uncoupled.rec.calls, []);

  const noCapture = fakePorts({
    mbusDevices: [{ deviceIdentification: 'G0051004000000118', gatewayDeviceIdentification: 'E0051004000000117', channel: 1 }],
    meterValues: async () => ({ registers: [{ ...reg(Data.doubleLongUnsigned(1), -3, M3), captureTime: Data.octetString(Buffer.alloc(12, 0xff)) }] }),
  });
  await assert.rejects(getActualMeterReadsGas.execute(noCapture.ports, {}, context('REQUEST_ACTUAL_METER_DATA_GAS', 'G0051004000000118')), /Unexpected null\/unspecified value for M-Bus Capture Time/);
});
