/**
 * GetPeriodicMeterReads and GetPeriodicMeterReadsGas against a fake link: the request GXF's device flags call for
 * (range always sent, in the device's zone; the needed columns, or none and capture_objects read when the device does
 * not select columns), compressed entries, scaling, AMR flags, the window filter and the faults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import getPeriodicMeterReads from '../../src/operations/monitoring/get-periodic-meter-reads.ts';
import getPeriodicMeterReadsGas from '../../src/operations/monitoring/get-periodic-meter-reads-gas.ts';
import { Data, type DlmsData } from '../../src/dlms/axdr.ts';
import { encodeZonedDateTime } from '../../src/dlms/date-time.ts';
import { electricityProfile, gasProfile } from '../../src/cosem/index.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import type { OperationPorts } from '../../src/operations/define.ts';
import type { ProfileRead, ProfileReadRequest } from '../../src/adapters/ports.ts';
import { context } from './fake-ports.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const su = (scaler: number, unit: number): DlmsData => Data.structure([Data.integer(scaler), Data.enum(unit)]);
const ZONE = 'Europe/Amsterdam';
const at = (iso: string) => Data.octetString(encodeZonedDateTime(new Date(iso), ZONE));

function ports(o: { protocol: string; columnSelection?: boolean; answer: (r: ProfileReadRequest) => ProfileRead; mbus?: { id: string; gateway?: string; channel?: number } }) {
  const requests: ProfileReadRequest[] = [];
  const p = {
    links: {
      async open() {
        return {
          async readProfile(r: ProfileReadRequest) {
            requests.push(r);
            return o.answer(r);
          },
          async release() {},
        };
      },
    },
    inventory: {
      async getGateway(id: string) {
        return { deviceIdentification: id, protocol: o.protocol };
      },
      async getMbusDevice(id: string) {
        return o.mbus && o.mbus.id === id ? { deviceIdentification: id, gatewayDeviceIdentification: o.mbus.gateway, channel: o.mbus.channel } : undefined;
      },
      getTimezone: async () => ZONE,
      getReadFlags: async () => ({ periodicColumnSelection: o.columnSelection ?? true, selectiveAccess: false }),
    },
  } as unknown as OperationPorts;
  return { ports: p, requests };
}

const DAILY = { periodType: 'DAILY' as const, beginDate: '2026-01-10T00:00:00Z', endDate: '2026-01-12T00:00:00Z' };
const daily4 = electricityProfile('dsmr4', 'DAILY');
const tariffs = (n: number) => [Data.doubleLongUnsigned(1000 * n + 1), Data.doubleLongUnsigned(1000 * n + 2), Data.doubleLongUnsigned(1000 * n + 3), Data.doubleLongUnsigned(1000 * n + 4)];
const WH = su(0, 30);

const expectedDaily = {
  periodType: 'DAILY',
  periodicMeterReads: [
    { logTime: '2026-01-10T23:00:00.000Z', activeEnergyImportTariffOne: { value: '1.001', unit: 'KWH' }, activeEnergyImportTariffTwo: { value: '1.002', unit: 'KWH' }, activeEnergyExportTariffOne: { value: '1.003', unit: 'KWH' }, activeEnergyExportTariffTwo: { value: '1.004', unit: 'KWH' }, amrProfileStatusCode: ['DATA_NOT_VALID'] },
    // null-data clock: the previous entry + one calendar day in the device's zone
    { logTime: '2026-01-11T23:00:00.000Z', activeEnergyImportTariffOne: { value: '2.001', unit: 'KWH' }, activeEnergyImportTariffTwo: { value: '2.002', unit: 'KWH' }, activeEnergyExportTariffOne: { value: '2.003', unit: 'KWH' }, activeEnergyExportTariffTwo: { value: '2.004', unit: 'KWH' }, amrProfileStatusCode: ['CRITICAL_ERROR', 'POWER_DOWN'] },
  ],
};

test('DSMR 4.2.2 DAILY with column selection: range in the device zone, the six E columns, scalers of the four tariffs', async () => {
  const { ports: p, requests } = ports({
    protocol: 'DSMR 4.2.2',
    answer: () => ({
      // an entry before the window (dropped), two in it, one after (dropped)
      buffer: Data.array([
        Data.structure([at('2026-01-09T23:00:00Z'), Data.unsigned(0), ...tariffs(0)]),
        Data.structure([at('2026-01-10T23:00:00Z'), Data.unsigned(4), ...tariffs(1)]),
        Data.structure([Data.nullData(), Data.unsigned(0x81), ...tariffs(2)]),
        Data.structure([Data.nullData(), Data.unsigned(0), ...tariffs(3)]),
      ]),
      scalerUnits: [WH, WH, WH, WH],
    }),
  });
  const r = await getPeriodicMeterReads.execute(p, DAILY, context('REQUEST_PERIODIC_METER_DATA'));
  assert.deepEqual(r, expectedDaily);
  const q = requests[0]!;
  assert.equal(q.obis.toString(), '1-0:99.2.0.255');
  assert.equal(q.captureObjects, false);
  assert.equal(q.selection?.kind, 'range');
  const range = q.selection!.kind === 'range' ? q.selection.range : undefined;
  // 2026-01-10 01:00 Amsterdam, deviation −60 (FFC4), no DST
  assert.deepEqual(range!.from, Data.octetString(h('07EA 01 0A FF 01 00 00 00 FFC4 00')));
  assert.deepEqual(range!.selectedValues, daily4.columns.slice(0, 6).map((c) => c.capture));
  assert.deepEqual(q.scalerUnits!.map((x) => `${x.kind} ${x.obis.toString()}`), ['register 1-0:1.8.1.255', 'register 1-0:1.8.2.255', 'register 1-0:2.8.1.255', 'register 1-0:2.8.2.255']);
});

test('DSMR 4.2.2 DAILY without column selection: no column list, capture_objects read, columns picked from them', async () => {
  const mbus = () => [Data.nullData(), Data.nullData()];
  const { ports: p, requests } = ports({
    protocol: 'DSMR 4.2.2',
    columnSelection: false,
    answer: () => ({
      captureObjects: daily4.columns.map((c) => c.capture),
      buffer: Data.array([
        Data.structure([at('2026-01-10T23:00:00Z'), Data.unsigned(4), ...tariffs(1), ...[1, 2, 3, 4].flatMap(mbus)]),
        Data.structure([Data.nullData(), Data.unsigned(0x81), ...tariffs(2), ...[1, 2, 3, 4].flatMap(mbus)]),
      ]),
      scalerUnits: [WH, WH, WH, WH],
    }),
  });
  assert.deepEqual(await getPeriodicMeterReads.execute(p, DAILY, context('REQUEST_PERIODIC_METER_DATA')), expectedDaily);
  assert.equal(requests[0]!.captureObjects, true);
  assert.deepEqual(requests[0]!.selection?.kind === 'range' && requests[0]!.selection.range.selectedValues, []);
});

test('SMR 5 INTERVAL: every column wanted, so no column list; import/export only', async () => {
  const { ports: p, requests } = ports({
    protocol: 'SMR 5.2',
    answer: () => ({ buffer: Data.array([Data.structure([at('2026-01-10T12:15:00Z'), Data.unsigned(8), Data.doubleLongUnsigned(123456), Data.doubleLongUnsigned(7)])]), scalerUnits: [su(-1, 30), WH] }),
  });
  const r = await getPeriodicMeterReads.execute(p, { periodType: 'INTERVAL', beginDate: '2026-01-10T12:00:00Z', endDate: '2026-01-10T13:00:00Z' }, context('REQUEST_PERIODIC_METER_DATA'));
  assert.deepEqual(r, { periodType: 'INTERVAL', periodicMeterReads: [{ logTime: '2026-01-10T12:15:00.000Z', activeEnergyImport: { value: '12.3456', unit: 'KWH' }, activeEnergyExport: { value: '0.007', unit: 'KWH' }, amrProfileStatusCode: ['DAYLIGHT_SAVING'] }] });
  assert.deepEqual(requests[0]!.selection?.kind === 'range' && requests[0]!.selection.range.selectedValues, []);
});

test('garbage from the meter is a protocol error; SMR 4.3 E and a reversed window are refused before the meter is asked', async () => {
  const row = (amr: DlmsData) => Data.structure([at('2026-01-10T23:00:00Z'), amr, ...tariffs(1)]);
  const cases: [ProfileRead, RegExp][] = [
    [{ buffer: Data.octetString(h('0102')), scalerUnits: [WH, WH, WH, WH] }, /expected an array/],
    [{ buffer: Data.array([Data.structure([at('2026-01-10T23:00:00Z')])]), scalerUnits: [WH, WH, WH, WH] }, /1 values for 6 capture objects/],
    [{ buffer: Data.array([Data.structure([Data.unsigned(1), Data.unsigned(0), ...tariffs(1)])]), scalerUnits: [WH, WH, WH, WH] }, /date-time/],
    [{ buffer: Data.array([row(Data.visibleString('x'))]), scalerUnits: [WH, WH, WH, WH] }, /Could not read AMR profile register data\. Invalid data type\./],
    [{ buffer: Data.array([row(Data.unsigned(0))]), scalerUnits: [su(0, 35), WH, WH, WH] }, /not supported/],
  ];
  for (const [answer, message] of cases) {
    const { ports: p } = ports({ protocol: 'DSMR 4.2.2', answer: () => answer });
    const e = await getPeriodicMeterReads.execute(p, DAILY, context('REQUEST_PERIODIC_METER_DATA')).then(() => undefined, (x: unknown) => x);
    assert.ok(isMeterfabricError(e) && e.code === ErrorCode.ILLEGAL_RESPONSE && !e.retryable, String(e));
    assert.match(e.message, message);
  }
  const { ports: p43, requests } = ports({ protocol: 'SMR 4.3', answer: () => assert.fail('no read') });
  const e43 = await getPeriodicMeterReads.execute(p43, DAILY, context('REQUEST_PERIODIC_METER_DATA')).then(() => undefined, (x: unknown) => x);
  assert.ok(isMeterfabricError(e43) && /No address found/.test(e43.message), String(e43));
  const reversed = await getPeriodicMeterReads.execute(p43, { ...DAILY, beginDate: DAILY.endDate, endDate: DAILY.beginDate }, context('REQUEST_PERIODIC_METER_DATA')).then(() => undefined, (x: unknown) => x);
  assert.ok(isMeterfabricError(reversed) && reversed.code === ErrorCode.VALIDATION_ERROR, String(reversed));
  assert.equal(requests.length, 0);
});

test('GetPeriodicMeterReadsGas: SMR 5 hourly profile of the coupled channel; null capture time = previous + 1 hour; unspecified is an error', async () => {
  const hourly = gasProfile('smr5', 'INTERVAL', 2);
  const { ports: p, requests } = ports({
    protocol: 'SMR 5.0.0',
    mbus: { id: 'G1', gateway: 'E1', channel: 2 },
    answer: () => ({
      buffer: Data.array([
        Data.structure([at('2026-01-10T10:00:00Z'), Data.unsigned(0), Data.doubleLongUnsigned(12345), at('2026-01-10T10:00:00Z')]),
        Data.structure([Data.nullData(), Data.unsigned(2), Data.doubleLongUnsigned(12400), Data.nullData()]),
      ]),
      scalerUnits: [su(-3, 13)],
    }),
  });
  const r = await getPeriodicMeterReadsGas.execute(p, { periodType: 'INTERVAL', beginDate: '2026-01-10T10:00:00Z', endDate: '2026-01-10T12:00:00Z' }, context('REQUEST_PERIODIC_METER_DATA_GAS', 'G1'));
  assert.deepEqual(r, {
    periodType: 'INTERVAL',
    periodicMeterReadsGas: [
      { logTime: '2026-01-10T10:00:00.000Z', consumption: { value: '12.345', unit: 'M3' }, captureTime: '2026-01-10T10:00:00.000Z', amrProfileStatusCode: [] },
      { logTime: '2026-01-10T11:00:00.000Z', consumption: { value: '12.400', unit: 'M3' }, captureTime: '2026-01-10T11:00:00.000Z', amrProfileStatusCode: ['CLOCK_INVALID'] },
    ],
  });
  assert.equal(requests[0]!.obis.toString(), '0-2:24.3.0.255');
  assert.deepEqual(requests[0]!.scalerUnits!.map((x) => `${x.kind} ${x.obis.toString()}`), ['extended-register 0-2:24.2.2.255']);
  assert.equal(hourly.obis.toString(), '0-2:24.3.0.255');

  const unspecified = Buffer.from(encodeZonedDateTime(new Date('2026-01-10T10:00:00Z'), ZONE));
  unspecified.writeUInt16BE(0x8000, 9);
  const bad = ports({ protocol: 'SMR 5.0.0', mbus: { id: 'G1', gateway: 'E1', channel: 2 }, answer: () => ({ buffer: Data.array([Data.structure([at('2026-01-10T10:00:00Z'), Data.unsigned(0), Data.doubleLongUnsigned(1), Data.octetString(unspecified)])]), scalerUnits: [su(-3, 13)] }) });
  const e = await getPeriodicMeterReadsGas.execute(bad.ports, { periodType: 'INTERVAL', beginDate: '2026-01-10T10:00:00Z', endDate: '2026-01-10T12:00:00Z' }, context('REQUEST_PERIODIC_METER_DATA_GAS', 'G1')).then(() => undefined, (x: unknown) => x);
  assert.ok(isMeterfabricError(e) && /Unexpected null\/unspecified value for M-Bus Capture Time/.test(e.message), String(e));
});

test('GetPeriodicMeterReadsGas: an uncoupled gas meter is 220; a gateway needs a channel; a G-meter\'s channel must be its own', async () => {
  const answer = () => assert.fail('no read');
  const window = { periodType: 'DAILY' as const, beginDate: '2026-01-10T00:00:00Z', endDate: '2026-01-12T00:00:00Z' };
  const codeOf = async (p: OperationPorts, payload: object, device: string) => {
    const e = await getPeriodicMeterReadsGas.execute(p, payload as never, context('REQUEST_PERIODIC_METER_DATA_GAS', device)).then(() => undefined, (x: unknown) => x);
    return isMeterfabricError(e) ? e.code : String(e);
  };
  assert.equal(await codeOf(ports({ protocol: 'SMR 5.0.0', mbus: { id: 'G1' }, answer }).ports, window, 'G1'), ErrorCode.GATEWAY_DEVICE_NOT_SET_FOR_MBUS_DEVICE);
  assert.equal(await codeOf(ports({ protocol: 'SMR 5.0.0', answer }).ports, window, 'E1'), ErrorCode.VALIDATION_ERROR);
  assert.equal(await codeOf(ports({ protocol: 'SMR 5.0.0', mbus: { id: 'G1', gateway: 'E1', channel: 2 }, answer }).ports, { ...window, channel: 1 }, 'G1'), ErrorCode.VALIDATION_ERROR);
});
