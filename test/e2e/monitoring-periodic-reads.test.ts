/**
 * GetPeriodicMeterReads and GetPeriodicMeterReadsGas end to end: GXF SOAP and REST over real HTTP, through the
 * operation catalogue, a real DLMS association over TCP (class 7 GET with a range descriptor, block transfer),
 * against simulated SMR 5 and DSMR 4.2.2 meters whose profiles follow their clock (src/simulator/profiles.ts). The
 * expected values, log times, capture times and AMR flags are computed here from the simulator's published rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { setPeriodicReadsColumnSelection } from '../../src/platform/device-installation.ts';
import { setDeviceTimezone } from '../../src/platform/device-installation.ts';
import { testGMeter } from '../../src/simulator/meter.ts';
import { restOperation, soapClient, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const GW = 'E0051004000000041';
const GW4 = 'E0051004000000042';
const GAS = 'G0051004000000041';
const GAS4 = 'G0051004000000042';

const EPOCH = Date.UTC(2015, 8, 1);
const SEED = 1;

const dec3 = (n: number) => `${Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}`;

function registers(t: number) {
  const m = Math.floor((t - EPOCH) / 60_000);
  const i1 = 1_000_000 + 100 * SEED + 7 * m;
  const i2 = 500_000 + 100 * SEED + 3 * m;
  const e1 = 200_000 + 10 * SEED + 2 * m;
  const e2 = 100_000 + 10 * SEED + m;
  return { import: i1 + i2, export: e1 + e2, i1, i2, e1, e2 };
}

/** Europe/Amsterdam summer time (last Sunday of March 01:00Z .. last Sunday of October 01:00Z). */
function summer(t: number): boolean {
  const y = new Date(t).getUTCFullYear();
  const lastSunday = (month: number) => {
    const d = new Date(Date.UTC(y, month + 1, 0, 1));
    return d.getTime() - d.getUTCDay() * 86_400_000;
  };
  return t >= lastSunday(2) && t < lastSunday(9);
}

function amr(t: number): string[] {
  const q = Math.floor((t - EPOCH) / 900_000);
  return [...(summer(t) ? ['DAYLIGHT_SAVING'] : []), ...((q + SEED) % 97 === 0 ? ['POWER_DOWN'] : [])];
}

const litres = (ident: number, t: number) => 100_000 + 1000 * (ident % 1000) + 10 * Math.floor((t - EPOCH) / 300_000);

const iso = (t: number) => new Date(t).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('GetPeriodicMeterReads(Gas) through SOAP and REST against simulated SMR 5 and DSMR 4.2.2 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, gMeter, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    const auth = await authOf(ORG);
    const soap = soapClient(url, authOf, ORG);
    const call = (op: string, device: string, type: string, begin: string, end: string) =>
      soap.call('monitoringService', 'mon', op, `<mon:DeviceIdentification>${device}</mon:DeviceIdentification><mon:PeriodicReadsRequestData><mon:PeriodType>${type}</mon:PeriodType><mon:BeginDate>${begin}</mon:BeginDate><mon:EndDate>${end}</mon:EndDate></mon:PeriodicReadsRequestData>`);

    const smr5 = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2', channels: [{ ...testGMeter(), identification: '12056742' }] });
    await gMeter(GAS, ORG, { coupled: { gateway: GW, channel: 1 } });
    await gMeter(GAS4, ORG, { identification: '12056742', coupled: { gateway: GW4, channel: 1 } });
    const T5 = Date.UTC(2026, 0, 15, 10, 30, 1);
    const T4 = Date.UTC(2026, 6, 1, 8, 20, 1);
    smr5.state.clockOffsetMs = T5 - Date.now();
    dsmr4.state.clockOffsetMs = T4 - Date.now();

    // INTERVAL (SOAP), SMR 5: one day, 96 entries of 15 minutes, KWH, AMR flags.
    const day = Date.UTC(2026, 0, 14);
    const interval = await call('PeriodicMeterReads', GW, 'INTERVAL', iso(day), iso(day + DAY - 1000));
    assert.equal(interval.status, 200, interval.xml);
    assert.deepEqual(xpathAll(interval.xml, '//mon:PeriodicMeterReadsResponse/mon:PeriodType'), ['INTERVAL']);
    const times = xpathAll(interval.xml, '//mon:PeriodicMeterReads/mon:LogTime').map((t) => Date.parse(t));
    assert.deepEqual(times, Array.from({ length: 96 }, (_, i) => day + i * 900_000));
    assert.deepEqual(xpathAll(interval.xml, '//mon:PeriodicMeterReads/mon:ActiveEnergyImport'), times.map((t) => dec3(registers(t).import)));
    assert.deepEqual(xpathAll(interval.xml, '//mon:PeriodicMeterReads/mon:ActiveEnergyExport'), times.map((t) => dec3(registers(t).export)));
    assert.deepEqual(new Set(xpathAll(interval.xml, '//mon:PeriodicMeterReads/mon:ActiveEnergyImport/@unit')), new Set(['KWH']));
    assert.deepEqual(xpathAll(interval.xml, '//mon:PeriodicMeterReads/mon:ActiveEnergyImportTariffOne'), [], 'INTERVAL reports the totals only');
    const flags = times.map((_, i) => xpathAll(interval.xml, `//mon:PeriodicMeterReads[${i + 1}]/mon:AmrProfileStatusCode/mon:AmrProfileStatusCodeFlag`));
    assert.deepEqual(flags, times.map(amr));
    assert.ok(flags.some((f) => f.includes('POWER_DOWN')), 'the day has a power-down entry');

    // DAILY (REST), DSMR 4.2.2 combined profile, summer: entries at 00:00 Amsterdam = 22:00Z, four tariffs.
    const daily = await restOperation(url, `/devices/${GW4}/meter-reads/periodic`, ORG, { periodType: 'DAILY', beginDate: '2026-06-25T00:00:00Z', endDate: '2026-07-01T00:00:00Z' }, auth);
    assert.equal(daily.result, 'OK', JSON.stringify(daily.body));
    const dailyTimes = [25, 26, 27, 28, 29, 30].map((d) => Date.UTC(2026, 5, d, 22));
    assert.deepEqual(daily.data, {
      periodType: 'DAILY',
      periodicMeterReads: dailyTimes.map((t) => {
        const r = registers(t);
        return {
          logTime: iso(t),
          activeEnergyImportTariffOne: { value: dec3(r.i1), unit: 'KWH' }, activeEnergyImportTariffTwo: { value: dec3(r.i2), unit: 'KWH' },
          activeEnergyExportTariffOne: { value: dec3(r.e1), unit: 'KWH' }, activeEnergyExportTariffTwo: { value: dec3(r.e2), unit: 'KWH' },
          amrProfileStatusCode: amr(t),
        };
      }),
    });

    // The same read from a device without column selection: no column list, columns picked from capture_objects.
    await setPeriodicReadsColumnSelection(db, GW4, false);
    const dailyAll = await restOperation(url, `/devices/${GW4}/meter-reads/periodic`, ORG, { periodType: 'DAILY', beginDate: '2026-06-25T00:00:00Z', endDate: '2026-07-01T00:00:00Z' }, auth);
    assert.deepEqual(dailyAll.data, daily.data);
    await setPeriodicReadsColumnSelection(db, GW4, true);

    // MONTHLY (SOAP), SMR 5, device zone Europe/Amsterdam: 1st of the month 00:00 local, no AMR on DSMR 4 but here AMR.
    await setDeviceTimezone(db, GW, 'Europe/Amsterdam');
    const monthly = await call('PeriodicMeterReads', GW, 'MONTHLY', '2025-06-01T00:00:00Z', '2026-01-15T00:00:00Z');
    assert.equal(monthly.status, 200, monthly.xml);
    const monthTimes = [Date.UTC(2025, 5, 30, 22), Date.UTC(2025, 6, 31, 22), Date.UTC(2025, 7, 31, 22), Date.UTC(2025, 8, 30, 22), Date.UTC(2025, 9, 31, 23), Date.UTC(2025, 10, 30, 23), Date.UTC(2025, 11, 31, 23)];
    assert.deepEqual(xpathAll(monthly.xml, '//mon:PeriodicMeterReads/mon:LogTime').map((t) => Date.parse(t)), monthTimes);
    assert.deepEqual(xpathAll(monthly.xml, '//mon:PeriodicMeterReads/mon:ActiveEnergyExportTariffTwo'), monthTimes.map((t) => dec3(registers(t).e2)));

    // MONTHLY (REST), DSMR 4.2.2: its monthly profile has no AMR status column.
    const monthly4 = await restOperation(url, `/devices/${GW4}/meter-reads/periodic`, ORG, { periodType: 'MONTHLY', beginDate: '2026-04-15T00:00:00Z', endDate: '2026-07-01T00:00:00Z' }, auth);
    assert.equal(monthly4.result, 'OK', JSON.stringify(monthly4.body));
    assert.deepEqual(monthly4.data.periodicMeterReads.map((e: { logTime: string }) => e.logTime), [iso(Date.UTC(2026, 3, 30, 22)), iso(Date.UTC(2026, 4, 31, 22)), iso(Date.UTC(2026, 5, 30, 22))]);
    assert.equal(monthly4.data.periodicMeterReads[0].amrProfileStatusCode, undefined);

    // An empty window (before the meter's first entry): OK with no entries.
    const empty = await call('PeriodicMeterReads', GW, 'INTERVAL', '2014-01-01T00:00:00Z', '2014-01-02T00:00:00Z');
    assert.equal(empty.status, 200, empty.xml);
    assert.deepEqual(xpathAll(empty.xml, '//mon:PeriodicMeterReads'), []);
    assert.deepEqual(xpathAll(empty.xml, '//mon:PeriodicMeterReadsResponse/mon:PeriodType'), ['INTERVAL']);

    // Gas INTERVAL (SOAP), SMR 5: hourly profile 0-1:24.3.0.255 of the gas meter's channel, M3, capture time = entry time.
    const g0 = Date.UTC(2026, 0, 15);
    const gas = await call('PeriodicMeterReadsGas', GAS, 'INTERVAL', iso(g0), iso(g0 + 5 * HOUR));
    assert.equal(gas.status, 200, gas.xml);
    const gasTimes = [0, 1, 2, 3, 4, 5].map((h) => g0 + h * HOUR);
    assert.deepEqual(xpathAll(gas.xml, '//mon:PeriodicMeterReadsGas/mon:LogTime').map((t) => Date.parse(t)), gasTimes);
    assert.deepEqual(xpathAll(gas.xml, '//mon:PeriodicMeterReadsGas/mon:CaptureTime').map((t) => Date.parse(t)), gasTimes);
    assert.deepEqual(xpathAll(gas.xml, '//mon:PeriodicMeterReadsGas/mon:Consumption'), gasTimes.map((t) => dec3(litres(12056731, t))));
    assert.deepEqual(new Set(xpathAll(gas.xml, '//mon:PeriodicMeterReadsGas/mon:Consumption/@unit')), new Set(['M3']));

    // Gas DAILY (REST) on DSMR 4.2.2 by gateway and channel: the channel's columns of the combined daily profile.
    const gasDaily = await restOperation(url, `/devices/${GW4}/meter-reads/periodic-gas`, ORG, { periodType: 'DAILY', beginDate: '2026-06-28T00:00:00Z', endDate: '2026-07-01T00:00:00Z', channel: 1 }, auth);
    assert.equal(gasDaily.result, 'OK', JSON.stringify(gasDaily.body));
    const gasDays = [28, 29, 30].map((d) => Date.UTC(2026, 5, d, 22));
    assert.deepEqual(gasDaily.data, {
      periodType: 'DAILY',
      periodicMeterReadsGas: gasDays.map((t) => ({ logTime: iso(t), consumption: { value: dec3(litres(12056742, t)), unit: 'M3' }, captureTime: iso(t), amrProfileStatusCode: amr(t) })),
    });
    // … and by the gas meter itself, with the same answer.
    const gasDailyG = await restOperation(url, `/devices/${GAS4}/meter-reads/periodic-gas`, ORG, { periodType: 'DAILY', beginDate: '2026-06-28T00:00:00Z', endDate: '2026-07-01T00:00:00Z' }, auth);
    assert.deepEqual(gasDailyG.data, gasDaily.data);

    // A meter refusing the buffer GET: NOT OK naming the profile.
    dsmr4.faults = { getError: { classId: 7, obis: '1-0:99.1.0.255', attributeId: 2, result: 1 } };
    const refused = await restOperation(url, `/devices/${GW4}/meter-reads/periodic`, ORG, { periodType: 'INTERVAL', beginDate: '2026-06-30T00:00:00Z', endDate: '2026-07-01T00:00:00Z' }, auth);
    assert.equal(refused.result, 'NOT_OK', JSON.stringify(refused.body));
    assert.match(refused.error?.message ?? '', /1-0:99\.1\.0\.255/, JSON.stringify(refused.body));
    // A meter answering the buffer GET (the third APDU after AARQ and HLS pass 3) with garbage: NOT OK, a fault on SOAP.
    dsmr4.faults = { garbageFrom: 3 };
    const garbage = await call('PeriodicMeterReads', GW4, 'INTERVAL', '2026-06-30T00:00:00Z', '2026-07-01T00:00:00Z');
    assert.equal(garbage.status, 500, garbage.xml);
    assert.match(garbage.xml, /Fault/);
    dsmr4.faults = {};
  });
});
