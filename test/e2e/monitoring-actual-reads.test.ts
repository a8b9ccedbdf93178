/**
 * GetActualMeterReads and GetActualMeterReadsGas end to end: GXF SOAP and REST over real HTTP, through the operation
 * catalogue, a real DLMS association over TCP, against simulated SMR 5 and DSMR 4.2.2 meters whose registers follow
 * their clock (src/simulator/registers.ts). The expected values are computed here from the simulator's published rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { testGMeter } from '../../src/simulator/meter.ts';
import { restOperation, soapClient, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const GW = 'E0051004000000031';
const GW4 = 'E0051004000000032';
const GAS = 'G0051004000000031';
const GAS4 = 'G0051004000000032';
const LONELY = 'G0051004000000033';

const EPOCH = Date.UTC(2015, 8, 1);
/** The simulated meters' system title ends in 00 01: seed 1. */
const SEED = 1;

/** Wh → kWh text with three decimals, as GXF converts a register with scaler 0. */
const kwh = (wh: number) => `${Math.floor(wh / 1000)}.${String(wh % 1000).padStart(3, '0')}`;
/** litres (m³ with scaler −3) → m³ text. */
const m3 = (l: number) => `${Math.floor(l / 1000)}.${String(l % 1000).padStart(3, '0')}`;

function expectedEnergy(meterTime: number) {
  const m = Math.floor((meterTime - EPOCH) / 60_000);
  const i1 = 1_000_000 + 100 * SEED + 7 * m;
  const i2 = 500_000 + 100 * SEED + 3 * m;
  const e1 = 200_000 + 10 * SEED + 2 * m;
  const e2 = 100_000 + 10 * SEED + m;
  return {
    ActiveEnergyImport: kwh(i1 + i2), ActiveEnergyExport: kwh(e1 + e2),
    ActiveEnergyImportTariffOne: kwh(i1), ActiveEnergyImportTariffTwo: kwh(i2),
    ActiveEnergyExportTariffOne: kwh(e1), ActiveEnergyExportTariffTwo: kwh(e2),
  };
}

test('GetActualMeterReads and GetActualMeterReadsGas through SOAP and REST against simulated SMR 5 and DSMR 4.2.2 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, gMeter, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    const auth = await authOf(ORG);
    const soap = soapClient(url, authOf, ORG);
    const call = (op: string, device: string) => soap.call('monitoringService', 'mon', op, `<mon:DeviceIdentification>${device}</mon:DeviceIdentification>`);

    const smr5 = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2', channels: [{ ...testGMeter(), identification: '12056732' }] });
    await gMeter(GAS, ORG, { coupled: { gateway: GW, channel: 1 } });
    await gMeter(GAS4, ORG, { identification: '12056732', coupled: { gateway: GW4, channel: 1 } });
    await gMeter(LONELY, ORG, { identification: '12056733' });

    // SMR 5 meter clock at 2026-01-15 10:30:01 UTC (winter), DSMR 4.2.2 at 2026-07-01 08:20:01 UTC (summer).
    const T5 = Date.UTC(2026, 0, 15, 10, 30, 1);
    const T4 = Date.UTC(2026, 6, 1, 8, 20, 1);
    smr5.state.clockOffsetMs = T5 - Date.now();
    dsmr4.state.clockOffsetMs = T4 - Date.now();
    const nearly = (iso: string, from: number, what: string) => {
      const t = Date.parse(iso);
      assert.ok(t >= from && t < from + 59_000, `${what} ${iso} follows the meter clock set to ${new Date(from).toISOString()}`);
      return t;
    };

    // GetActualMeterReads (SOAP), SMR 5: LogTime is the meter's clock, values in KWH, totals = sum of the tariffs.
    const e5 = await call('ActualMeterReads', GW);
    assert.equal(e5.status, 200, e5.xml);
    const logTime = nearly(xpathAll(e5.xml, '//mon:ActualMeterReadsResponse/mon:LogTime')[0]!, T5, 'LogTime');
    for (const [element, value] of Object.entries(expectedEnergy(logTime))) {
      assert.equal(xpathAll(e5.xml, `//mon:ActualMeterReadsResponse/mon:${element}`)[0], value, `${element}: ${e5.xml}`);
      assert.deepEqual(xpathAll(e5.xml, `//mon:ActualMeterReadsResponse/mon:${element}/@unit`), ['KWH'], element);
    }

    // GetActualMeterReads (REST), DSMR 4.2.2
    const e4 = await restOperation(url, `/devices/${GW4}/meter-reads/actual`, ORG, {}, auth);
    assert.equal(e4.result, 'OK', JSON.stringify(e4.body));
    const logTime4 = nearly(e4.data.logTime, T4, 'logTime');
    const expected4 = expectedEnergy(logTime4);
    assert.deepEqual(e4.data.activeEnergyImport, { value: expected4.ActiveEnergyImport, unit: 'KWH' });
    assert.deepEqual(e4.data.activeEnergyExportTariffTwo, { value: expected4.ActiveEnergyExportTariffTwo, unit: 'KWH' });
    assert.deepEqual(e4.data.activeEnergyImportTariffOne, { value: expected4.ActiveEnergyImportTariffOne, unit: 'KWH' });

    // GetActualMeterReadsGas (SOAP), SMR 5: 5-minute capture at 10:30:00Z (sent as 11:30 local, deviation −60).
    const before = Date.now();
    const g5 = await call('ActualMeterReadsGas', GAS);
    assert.equal(g5.status, 200, g5.xml);
    const capture5 = Date.UTC(2026, 0, 15, 10, 30, 0);
    assert.equal(Date.parse(xpathAll(g5.xml, '//mon:ActualMeterReadsGasResponse/mon:CaptureTime')[0]!), capture5, g5.xml);
    assert.equal(xpathAll(g5.xml, '//mon:ActualMeterReadsGasResponse/mon:Consumption')[0], m3(100_000 + 1000 * 731 + 10 * ((capture5 - EPOCH) / 300_000)));
    assert.deepEqual(xpathAll(g5.xml, '//mon:ActualMeterReadsGasResponse/mon:Consumption/@unit'), ['M3']);
    const gasLogTime = Date.parse(xpathAll(g5.xml, '//mon:ActualMeterReadsGasResponse/mon:LogTime')[0]!);
    assert.ok(gasLogTime >= before - 1000 && gasLogTime <= Date.now() + 1000, 'the gas LogTime is the head-end\'s time, not the meter\'s');

    // GetActualMeterReadsGas (REST), DSMR 4.2.2: hourly capture at 08:00:00Z (sent as 10:00 local, deviation −120).
    const g4 = await restOperation(url, `/devices/${GAS4}/meter-reads/actual-gas`, ORG, {}, auth);
    assert.equal(g4.result, 'OK', JSON.stringify(g4.body));
    const capture4 = Date.UTC(2026, 6, 1, 8, 0, 0);
    assert.equal(Date.parse(g4.data.captureTime), capture4);
    assert.deepEqual(g4.data.consumption, { value: m3(100_000 + 1000 * 732 + 10 * ((capture4 - EPOCH) / 300_000)), unit: 'M3' });

    // A gas meter without a gateway: GXF's fault 220.
    const lonely = await call('ActualMeterReadsGas', LONELY);
    assert.equal(lonely.status, 500, lonely.xml);
    assert.equal(xpathAll(lonely.xml, '//c:FunctionalFault/c:Code')[0], '220', lonely.xml);
    const lonelyRest = await restOperation(url, `/devices/${LONELY}/meter-reads/actual-gas`, ORG, {}, auth);
    assert.equal(lonelyRest.result, 'NOT_OK', JSON.stringify(lonelyRest.body));
    assert.equal(lonelyRest.error?.code, 220, JSON.stringify(lonelyRest.body));

    // A meter answering the read of 1-0:1.8.1.255 with hardware-fault: NOT OK, the fault on the poll.
    dsmr4.faults = { getError: { classId: 3, obis: '1-0:1.8.1.255', attributeId: 2, result: 1 } };
    const refused = await restOperation(url, `/devices/${GW4}/meter-reads/actual`, ORG, {}, auth);
    assert.equal(refused.result, 'NOT_OK', JSON.stringify(refused.body));
    assert.match(refused.error?.message ?? '', /1-0:1\.8\.1\.255/, JSON.stringify(refused.body));
    const refusedSoap = await call('ActualMeterReads', GW4);
    assert.equal(refusedSoap.status, 500, refusedSoap.xml);
    assert.match(refusedSoap.xml, /Fault/);
    dsmr4.faults = {};
  });
});
