/**
 * GetActualPowerQuality and GetPowerQualityProfile end to end: GXF SOAP and REST over real HTTP, through the
 * operation catalogue, a real DLMS association over TCP, against simulated SMR 5 and DSMR 4.2.2 meters whose
 * power-quality values follow their clock (src/simulator/power-quality.ts). Expected values are computed here from
 * the simulator's published rule; only the object order comes from src/cosem/power-quality.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { setCommunicationSettings } from '../../src/platform/device-management.ts';
import { powerQualityObjects, type PqFamily } from '../../src/cosem/power-quality.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW = 'E0051004000000041';
const GW4 = 'E0051004000000042';
const EPOCH = Date.UTC(2015, 8, 1);
/** The simulated meters' system title ends in 00 01: seed 1. */
const SEED = 1;

const minutes = (t: number) => Math.floor((t - EPOCH) / 60_000);
const index = (f: PqFamily, tag: string) => {
  const i = powerQualityObjects(f).findIndex((o) => o.tag === tag);
  assert.ok(i >= 0, tag);
  return i;
};
const tenthsText = (v: number) => `${Math.floor(v / 10)}.${v % 10}`;
const hundredthsText = (v: number) => `${Math.floor(v / 100)}.${String(v % 100).padStart(2, '0')}`;
/** Voltage in tenths of a volt, current in hundredths of an ampere, power, count: the simulator's rule. */
const voltage = (f: PqFamily, tag: string, t: number) => 2250 + ((SEED + 13 * index(f, tag) + minutes(t)) % 100);
const current = (f: PqFamily, tag: string, t: number) => (7 * SEED + 31 * index(f, tag) + minutes(t)) % 1500;
const power = (f: PqFamily, tag: string, t: number) => (3 * SEED + 17 * index(f, tag) + 11 * minutes(t)) % 3000;
const count = (f: PqFamily, tag: string, t: number) => ((SEED + index(f, tag)) % 10) + Math.floor(minutes(t) / 1440);

const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';

function envelope(body: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:mon="${SOAP_NS.mon}" xmlns:b="${B}"><s:Header><c:OrganisationIdentification>${ORG}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

test('GetActualPowerQuality and GetPowerQualityProfile through SOAP and REST against simulated SMR 5 and DSMR 4.2.2 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const auth = await authOf(ORG);
    const soap = async (body: string) => {
      const res = await fetch(`${url}${SOAP_BASE}/monitoringService/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth }, body: envelope(body) });
      return { status: res.status, xml: await res.text() };
    };
    const call = async (request: string, poll: string, device: string) => {
      const accepted = await soap(request);
      assert.equal(accepted.status, 200, accepted.xml);
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(`<mon:${poll}><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></mon:${poll}>`);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${poll}`);
    };
    const pqProfileSoap = (device: string, type: string, from: string, to: string) =>
      call(
        `<mon:GetPowerQualityProfileRequest><mon:ProfileType>${type}</mon:ProfileType><mon:BeginDate>${from}</mon:BeginDate><mon:EndDate>${to}</mon:EndDate><mon:DeviceIdentification>${device}</mon:DeviceIdentification></mon:GetPowerQualityProfileRequest>`,
        'GetPowerQualityProfileAsyncRequest',
        device,
      );

    const smr5 = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    // The DSMR 4.2.2 meter is polyphase and selects columns (GXF's selective_access_supported); the SMR 5 one neither.
    await setCommunicationSettings(db, GW4, { challengeLength: 16, withListMax: 32, selectiveAccessSupported: true, ipAddressIsStatic: false, useSn: false, useHdlc: false, polyphase: true });

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

    // --- GetActualPowerQuality -------------------------------------------------------------------------------------
    // SOAP, SMR 5 single-phase, PUBLIC: CLOCK, then the L1 and total objects in GXF's order; voltages with scaler −1.
    const a5 = await call(`<mon:ActualPowerQualityRequest><mon:ProfileType>PUBLIC</mon:ProfileType><mon:DeviceIdentification>${GW}</mon:DeviceIdentification></mon:ActualPowerQualityRequest>`, 'ActualPowerQualityAsyncRequest', GW);
    assert.equal(a5.status, 200, a5.xml);
    const names = xpathAll(a5.xml, '//mon:PowerQualityObject/mon:Name');
    assert.deepEqual(names, ['CLOCK', 'INSTANTANEOUS_VOLTAGE_L1', 'AVERAGE_VOLTAGE_L1', 'NUMBER_OF_POWER_FAILURES', 'NUMBER_OF_LONG_POWER_FAILURES', 'NUMBER_OF_VOLTAGE_SAGS_FOR_L1', 'NUMBER_OF_VOLTAGE_SWELLS_FOR_L1']);
    assert.deepEqual(xpathAll(a5.xml, '//mon:PowerQualityObject/mon:unit'), ['UNDEFINED', 'V', 'V', 'UNDEFINED', 'UNDEFINED', 'UNDEFINED', 'UNDEFINED']);
    const clock5 = nearly(xpathAll(a5.xml, '//mon:PowerQualityValue/mon:DateValue')[0]!, T5, 'CLOCK');
    assert.deepEqual(xpathAll(a5.xml, '//mon:PowerQualityValue/mon:FloatValue'), [
      tenthsText(voltage('smr5', 'INSTANTANEOUS_VOLTAGE_L1', clock5)),
      tenthsText(voltage('smr5', 'AVERAGE_VOLTAGE_L1', clock5)),
    ]);
    assert.deepEqual(xpathAll(a5.xml, '//mon:PowerQualityValue/mon:LongValue'), ['NUMBER_OF_POWER_FAILURES', 'NUMBER_OF_LONG_POWER_FAILURES', 'NUMBER_OF_VOLTAGE_SAGS_FOR_L1', 'NUMBER_OF_VOLTAGE_SWELLS_FOR_L1'].map((t) => String(count('smr5', t, clock5))));

    // REST, DSMR 4.2.2 polyphase, PRIVATE: L1..L3 currents in whole amperes (scaler 0), powers in W and var.
    const a4 = await restOperation(url, `/devices/${GW4}/power-quality/actual`, ORG, { profileType: 'PRIVATE' }, auth);
    assert.equal(a4.result, 'OK', JSON.stringify(a4.body));
    const objs = a4.data.powerQualityObjects as { name: string; unit?: string }[];
    assert.equal(objs.length, 1 + 3 + 3 + 1 + 2 + 6 + 12);
    const clock4 = nearly(a4.data.powerQualityValues[0].dateValue, T4, 'CLOCK');
    const at = (name: string) => a4.data.powerQualityValues[objs.findIndex((o) => o.name === name)];
    const unitOf = (name: string) => objs.find((o) => o.name === name)?.unit;
    assert.deepEqual(at('INSTANTANEOUS_CURRENT_L3'), { floatValue: String(Math.floor(current('dsmr4', 'INSTANTANEOUS_CURRENT_L3', clock4) / 100)) });
    assert.equal(unitOf('INSTANTANEOUS_CURRENT_L3'), 'AMP');
    assert.deepEqual(at('AVERAGE_ACTIVE_POWER_IMPORT_L2'), { floatValue: String(power('dsmr4', 'AVERAGE_ACTIVE_POWER_IMPORT_L2', clock4)) });
    assert.equal(unitOf('AVERAGE_ACTIVE_POWER_IMPORT_L2'), 'W');
    assert.deepEqual(at('AVERAGE_REACTIVE_POWER_EXPORT_L1'), { floatValue: String(power('dsmr4', 'AVERAGE_REACTIVE_POWER_EXPORT_L1', clock4)) });
    assert.equal(unitOf('AVERAGE_REACTIVE_POWER_EXPORT_L1'), 'VAR');

    // REST, DSMR 4.2.2 PUBLIC: the instantaneous voltage's scaler_unit is read from the meter (−1, V).
    const p4 = await restOperation(url, `/devices/${GW4}/power-quality/actual`, ORG, { profileType: 'PUBLIC' }, auth);
    assert.equal(p4.result, 'OK', JSON.stringify(p4.body));
    const pObjs = p4.data.powerQualityObjects as { name: string; unit?: string }[];
    const pClock = Date.parse(p4.data.powerQualityValues[0].dateValue);
    const iv = pObjs.findIndex((o) => o.name === 'INSTANTANEOUS_VOLTAGE_L2');
    assert.deepEqual([pObjs[iv], p4.data.powerQualityValues[iv]], [{ name: 'INSTANTANEOUS_VOLTAGE_L2', unit: 'V' }, { floatValue: tenthsText(voltage('dsmr4', 'INSTANTANEOUS_VOLTAGE_L2', pClock)) }]);
    const av = pObjs.findIndex((o) => o.name === 'AVERAGE_VOLTAGE_L1');
    assert.deepEqual(p4.data.powerQualityValues[av], { floatValue: String(Math.floor(voltage('dsmr4', 'AVERAGE_VOLTAGE_L1', pClock) / 10)) });

    // An unknown profile type: refused as GXF refuses it; another organisation: refused.
    const bad = await soap(`<mon:ActualPowerQualityRequest><mon:ProfileType>SECRET</mon:ProfileType><mon:DeviceIdentification>${GW}</mon:DeviceIdentification></mon:ActualPowerQualityRequest>`);
    assert.equal(bad.status, 500, bad.xml);
    assert.match(bad.xml, /an unknown profileType was requested/);
    const stranger = await restOperation(url, `/devices/${GW}/power-quality/actual`, OTHER, { profileType: 'PUBLIC' }, await authOf(OTHER));
    assert.equal(stranger.status, 403, JSON.stringify(stranger.body));
    const strangerProfile = await restOperation(url, `/devices/${GW}/power-quality/profile`, OTHER, { profileType: 'PUBLIC', beginDate: '2026-01-15T09:00:00Z', endDate: '2026-01-15T09:30:00Z' }, await authOf(OTHER));
    assert.equal(strangerProfile.status, 403, JSON.stringify(strangerProfile.body));

    // --- GetPowerQualityProfile ------------------------------------------------------------------------------------
    // SOAP, SMR 5 single-phase, PRIVATE, 09:00..09:30Z: PQ1 (15 min: 3 entries, L1 powers) and PQ2 (10 min: 4 entries,
    // L1 currents with scaler −2); the definable load profile holds only PUBLIC objects and is skipped.
    const q5 = await pqProfileSoap(GW, 'PRIVATE', '2026-01-15T09:00:00Z', '2026-01-15T09:30:00Z');
    assert.equal(q5.status, 200, q5.xml);
    const datas = '//mon:GetPowerQualityProfileResponse/mon:PowerQualityProfileDatas';
    assert.deepEqual(xpathAll(q5.xml, `${datas}/mon:LogicalName/c:e`), ['1', '2']);
    assert.deepEqual(xpathAll(q5.xml, `${datas}/mon:ProfileType`), ['PRIVATE', 'PRIVATE']);
    const pq1 = `${datas}[1]`;
    assert.deepEqual(xpathAll(q5.xml, `${pq1}/mon:CaptureObjects/c:CaptureObject/c:LogicalName`), ['0.0.1.0.0.255', '1.0.21.4.0.255', '1.0.22.4.0.255', '1.0.23.4.0.255', '1.0.24.4.0.255']);
    assert.deepEqual(xpathAll(q5.xml, `${pq1}/mon:CaptureObjects/c:CaptureObject/c:unit`), ['UNDEFINED', 'W', 'W', 'VAR', 'VAR']);
    const t0 = Date.UTC(2026, 0, 15, 9, 0, 0);
    const q = (i: number) => t0 + i * 900_000;
    assert.deepEqual(xpathAll(q5.xml, `${pq1}/mon:ProfileEntries/c:ProfileEntry/c:ProfileEntryValue/c:DateValue`).map((d) => Date.parse(d)), [q(0), q(1), q(2)]);
    assert.deepEqual(
      xpathAll(q5.xml, `${pq1}/mon:ProfileEntries/c:ProfileEntry[2]/c:ProfileEntryValue/c:FloatValue`),
      ['AVERAGE_ACTIVE_POWER_IMPORT_L1', 'AVERAGE_ACTIVE_POWER_EXPORT_L1', 'AVERAGE_REACTIVE_POWER_IMPORT_L1', 'AVERAGE_REACTIVE_POWER_EXPORT_L1'].map((t) => String(power('smr5', t, q(1)))),
    );
    const pq2 = `${datas}[2]`;
    assert.deepEqual(xpathAll(q5.xml, `${pq2}/mon:CaptureObjects/c:CaptureObject/c:LogicalName`), ['0.0.1.0.0.255', '1.0.31.24.0.255', '1.0.31.7.0.255']);
    assert.deepEqual(xpathAll(q5.xml, `${pq2}/mon:CaptureObjects/c:CaptureObject/c:unit`), ['UNDEFINED', 'AMP', 'AMP']);
    const ten = (i: number) => t0 + i * 600_000;
    assert.deepEqual(xpathAll(q5.xml, `${pq2}/mon:ProfileEntries/c:ProfileEntry/c:ProfileEntryValue/c:DateValue`).map((d) => Date.parse(d)), [ten(0), ten(1), ten(2), ten(3)]);
    assert.deepEqual(xpathAll(q5.xml, `${pq2}/mon:ProfileEntries/c:ProfileEntry[4]/c:ProfileEntryValue/c:FloatValue`), [
      hundredthsText(current('smr5', 'AVERAGE_CURRENT_L1', ten(3))),
      hundredthsText(current('smr5', 'INSTANTANEOUS_CURRENT_L1', ten(3))),
    ]);

    // REST, DSMR 4.2.2 polyphase with column selection, PUBLIC: the definable load profile, L1..L3 counters.
    const q4 = await restOperation(url, `/devices/${GW4}/power-quality/profile`, ORG, { profileType: 'PUBLIC', beginDate: '2026-07-01T06:00:00Z', endDate: '2026-07-01T06:15:00Z' }, auth);
    assert.equal(q4.result, 'OK', JSON.stringify(q4.body));
    assert.equal(q4.data.powerQualityProfileDatas.length, 1);
    const dlp = q4.data.powerQualityProfileDatas[0];
    assert.deepEqual(dlp.logicalName, { a: 0, b: 1, c: 94, d: 31, e: 6, f: 255 });
    const tags = ['NUMBER_OF_VOLTAGE_SAGS_FOR_L1', 'NUMBER_OF_VOLTAGE_SAGS_FOR_L2', 'NUMBER_OF_VOLTAGE_SAGS_FOR_L3', 'NUMBER_OF_VOLTAGE_SWELLS_FOR_L1', 'NUMBER_OF_VOLTAGE_SWELLS_FOR_L2', 'NUMBER_OF_VOLTAGE_SWELLS_FOR_L3', 'NUMBER_OF_POWER_FAILURES', 'NUMBER_OF_LONG_POWER_FAILURES'];
    assert.deepEqual(dlp.captureObjects.map((c: { classId: number; logicalName: string }) => `${c.classId}/${c.logicalName}`), [
      '8/0.0.1.0.0.255', '1/1.0.32.32.0.255', '1/1.0.52.32.0.255', '1/1.0.72.32.0.255', '1/1.0.32.36.0.255', '1/1.0.52.36.0.255', '1/1.0.72.36.0.255', '1/0.0.96.7.21.255', '1/0.0.96.7.9.255',
    ]);
    const d0 = Date.UTC(2026, 6, 1, 6, 0, 0);
    assert.deepEqual(dlp.profileEntries, [d0, d0 + 900_000].map((t) => ({ profileEntryValues: [{ dateValue: new Date(t).toISOString() }, ...tags.map((tag) => ({ longValue: String(count('dsmr4', tag, t)) }))] })));

    // DSMR 4.2.2 has no PRIVATE power-quality profile: NOT OK, as GXF's "No PQ profile found".
    const none = await restOperation(url, `/devices/${GW4}/power-quality/profile`, ORG, { profileType: 'PRIVATE', beginDate: '2026-07-01T06:00:00Z', endDate: '2026-07-01T06:15:00Z' }, auth);
    assert.equal(none.result, 'NOT_OK', JSON.stringify(none.body));
    assert.match(none.error?.message ?? '', /No PQ profile found/);

    // An empty window (before the meter's first entry): the profile with its capture objects and no entries.
    const empty = await pqProfileSoap(GW4, 'PUBLIC', '2014-01-01T00:00:00Z', '2014-01-02T00:00:00Z');
    assert.equal(empty.status, 200, empty.xml);
    assert.equal(xpathAll(empty.xml, `${datas}/mon:CaptureObjects/c:CaptureObject`).length, 9);
    assert.equal(xpathAll(empty.xml, `${datas}/mon:ProfileEntries/c:ProfileEntry`).length, 0);

    // Both as bundle actions on the SMR 5 meter: typed, XSD-valid answers in request order.
    const bundleSoap = async (body: string) => {
      const res = await fetch(`${url}${SOAP_BASE}/bundleService/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth }, body: envelope(body) });
      const xml = await res.text();
      assert.deepEqual(validateEnvelopeXml(xml), [], xml);
      return { status: res.status, xml };
    };
    const acceptedBundle = await bundleSoap(`<b:BundleRequest><b:DeviceIdentification>${GW}</b:DeviceIdentification><b:Actions>` +
      '<b:GetActualPowerQualityRequest><mon:ProfileType>PRIVATE</mon:ProfileType></b:GetActualPowerQualityRequest>' +
      '<b:GetPowerQualityProfileRequest><mon:ProfileType>PUBLIC</mon:ProfileType><mon:BeginDate>2026-01-15T09:00:00Z</mon:BeginDate><mon:EndDate>2026-01-15T09:15:00Z</mon:EndDate></b:GetPowerQualityProfileRequest>' +
      '</b:Actions></b:BundleRequest>');
    assert.equal(acceptedBundle.status, 200, acceptedBundle.xml);
    const buid = xpathAll(acceptedBundle.xml, '//c:CorrelationUid')[0]!;
    let bundled = { status: 0, xml: '' };
    for (let i = 0; i < 600; i++) {
      bundled = await bundleSoap(`<b:BundleAsyncRequest><c:DeviceIdentification>${GW}</c:DeviceIdentification><c:CorrelationUid>${buid}</c:CorrelationUid></b:BundleAsyncRequest>`);
      if (!(bundled.status === 500 && xpathAll(bundled.xml, '//c:FunctionalFault/c:Code')[0] === '405')) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(bundled.status, 200, bundled.xml);
    const bundledNames = xpathAll(bundled.xml, '//mon:ActualPowerQualityData/mon:PowerQualityObjects/mon:PowerQualityObject/mon:Name');
    assert.deepEqual(bundledNames.slice(0, 3), ['CLOCK', 'INSTANTANEOUS_CURRENT_L1', 'AVERAGE_CURRENT_L1'], bundled.xml);
    // PUBLIC on SMR 5: the definable load profile (2 entries) and power-quality profile 2 (voltages, 2 entries).
    assert.deepEqual(xpathAll(bundled.xml, '//mon:PowerQualityProfileDatas/mon:LogicalName/mon:c'), [], 'LogicalName children are common:');
    assert.deepEqual(xpathAll(bundled.xml, '//mon:PowerQualityProfileDatas/mon:LogicalName/c:c'), ['94', '99']);
    assert.equal(xpathAll(bundled.xml, '//mon:PowerQualityProfileDatas[2]/mon:ProfileEntries/c:ProfileEntry').length, 2);
    assert.deepEqual(xpathAll(bundled.xml, '//mon:PowerQualityProfileDatas[2]/mon:ProfileEntries/c:ProfileEntry[1]/c:ProfileEntryValue/c:FloatValue'),
      ['AVERAGE_VOLTAGE_L1', 'INSTANTANEOUS_VOLTAGE_L1'].map((t) => tenthsText(voltage('smr5', t, t0))));

    // A meter answering the buffer GET with hardware-fault: NOT OK naming the profile; a fault on SOAP.
    dsmr4.faults = { getError: { classId: 7, obis: '0-1:94.31.6.255', attributeId: 2, result: 1 } };
    const refused = await restOperation(url, `/devices/${GW4}/power-quality/profile`, ORG, { profileType: 'PUBLIC', beginDate: '2026-07-01T06:00:00Z', endDate: '2026-07-01T06:15:00Z' }, auth);
    assert.equal(refused.result, 'NOT_OK', JSON.stringify(refused.body));
    assert.match(refused.error?.message ?? '', /0-1:94\.31\.6\.255/, JSON.stringify(refused.body));
    const refusedSoap = await pqProfileSoap(GW4, 'PUBLIC', '2026-07-01T06:00:00Z', '2026-07-01T06:15:00Z');
    assert.equal(refusedSoap.status, 500, refusedSoap.xml);
    assert.match(refusedSoap.xml, /Fault/);
    // A meter answering the profile reads with garbage: NOT OK.
    dsmr4.faults = { garbageFrom: 3 };
    const garbage = await restOperation(url, `/devices/${GW4}/power-quality/profile`, ORG, { profileType: 'PUBLIC', beginDate: '2026-07-01T06:00:00Z', endDate: '2026-07-01T06:15:00Z' }, auth);
    assert.equal(garbage.result, 'NOT_OK', JSON.stringify(garbage.body));
    dsmr4.faults = {};

    // A meter refusing one attribute of the actual read (instantaneous voltage L1): NOT OK naming it.
    smr5.faults = { getError: { classId: 3, obis: '1-0:32.7.0.255', attributeId: 2, result: 1 } };
    const refusedActual = await restOperation(url, `/devices/${GW}/power-quality/actual`, ORG, { profileType: 'PUBLIC' }, auth);
    assert.equal(refusedActual.result, 'NOT_OK', JSON.stringify(refusedActual.body));
    assert.match(refusedActual.error?.message ?? '', /1-0:32\.7\.0\.255/, JSON.stringify(refusedActual.body));
    smr5.faults = {};
  });
});
