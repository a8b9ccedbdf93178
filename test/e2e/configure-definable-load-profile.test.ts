/**
 * ConfigureDefinableLoadProfile end to end: GXF SOAP and REST over real HTTP, a real DLMS association over TCP,
 * against simulated SMR 5.0.0 and DSMR 4.2.2 meters (GXF writes the same object on both). The meter keeps the capture
 * objects and period it was given (src/simulator/power-quality.ts) and answers them on GET of attributes 3 and 4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { restOperation, soapClient, xpathAll, xpathText } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW5 = 'E0051004000000081';
const GW4 = 'E0051004000000082';
const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';

const captureObject = (classId: number, [a, b, c, d, e, f]: number[], attribute = 2) =>
  `<c:CaptureObject><c:ClassId>${classId}</c:ClassId><c:LogicalName><c:a>${a}</c:a><c:b>${b}</c:b><c:c>${c}</c:c><c:d>${d}</c:d><c:e>${e}</c:e><c:f>${f}</c:f></c:LogicalName><c:AttributeIndex>${attribute}</c:AttributeIndex><c:DataIndex>0</c:DataIndex></c:CaptureObject>`;
const obisOf = (o: { logicalName: { toString(): string } }) => o.logicalName.toString();

test('ConfigureDefinableLoadProfile through SOAP and REST against simulated SMR 5 and DSMR 4.2.2 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const soap = soapClient(url, authOf, ORG);
    const configure = (device: string, data: string, org = ORG) => soap.call('configurationService', 'conf', 'ConfigureDefinableLoadProfile',
      `<conf:DeviceIdentification>${device}</conf:DeviceIdentification><conf:DefinableLoadProfileConfigurationData>${data}</conf:DefinableLoadProfileConfigurationData>`, { org });
    const smr5 = await gateway(GW5, ORG, { protocol: 'SMR 5.0.0' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    const auth = await authOf(ORG);
    const readAttribute = async (device: string, attribute: number) => {
      const r = await restOperation(url, `/devices/${device}/attributes/get`, ORG, { classId: 7, attribute, obisCode: '0-1:94.31.6.255' }, auth);
      assert.equal(r.result, 'OK', JSON.stringify(r.body));
      return String(r.data.attributeValueData);
    };
    const before = await readAttribute(GW5, 4);
    const objectsBefore = await readAttribute(GW5, 3);

    // SMR 5: two objects and the clock time (dropped: the clock stays first, once), period 300 s
    const s5 = await configure(GW5, `<conf:CaptureObjects>${captureObject(1, [0, 0, 96, 7, 21, 255])}${captureObject(8, [0, 0, 1, 0, 0, 255])}${captureObject(3, [1, 0, 32, 7, 0, 255])}</conf:CaptureObjects><conf:CapturePeriod>300</conf:CapturePeriod>`);
    assert.equal(s5.status, 200, s5.xml);
    assert.equal(xpathText(s5.xml, '//conf:ConfigureDefinableLoadProfileResponse/conf:Result'), 'OK', s5.xml);
    const w5 = smr5.state.definableLoadProfile!;
    assert.deepEqual(w5.captureObjects!.map((o) => [o.classId, obisOf(o), o.attributeIndex, o.dataIndex]), [
      [8, '0-0:1.0.0.255', 2, 0], [1, '0-0:96.7.21.255', 2, 0], [3, '1-0:32.7.0.255', 2, 0],
    ]);
    assert.equal(w5.capturePeriod, 300);
    // GET of attributes 3 and 4 answers what was written
    const period = await readAttribute(GW5, 4);
    assert.notEqual(period, before);
    assert.match(period, /\b300\b/);
    const objectsAfter = await readAttribute(GW5, 3);
    assert.notEqual(objectsAfter, objectsBefore);
    // GXF's print of the OBIS code 1-0:32.7.0.255 (signed bytes)
    assert.match(objectsAfter, /bytes\[1, 0, 32, 7, 0, -1\]/);
    assert.doesNotMatch(objectsBefore, /bytes\[1, 0, 32, 7, 0, -1\]/);

    // CapturePeriod alone: the capture objects stay
    const p5 = await configure(GW5, '<conf:CapturePeriod>900</conf:CapturePeriod>');
    assert.equal(xpathText(p5.xml, '//conf:ConfigureDefinableLoadProfileResponse/conf:Result'), 'OK', p5.xml);
    assert.equal(smr5.state.definableLoadProfile!.capturePeriod, 900);
    assert.equal(smr5.state.definableLoadProfile!.captureObjects!.length, 3);

    // DSMR 4.2.2: the same object, written the same way (GXF does not check the protocol); CaptureObjects alone
    assert.equal(dsmr4.state.definableLoadProfile, undefined);
    const s4 = await configure(GW4, `<conf:CaptureObjects>${captureObject(1, [0, 0, 96, 7, 9, 255])}</conf:CaptureObjects>`);
    assert.equal(xpathText(s4.xml, '//conf:ConfigureDefinableLoadProfileResponse/conf:Result'), 'OK', s4.xml);
    assert.deepEqual(dsmr4.state.definableLoadProfile!.captureObjects!.map(obisOf), ['0-0:1.0.0.255', '0-0:96.7.9.255']);
    assert.equal(dsmr4.state.definableLoadProfile!.capturePeriod, undefined);

    // Bundle action ConfigureDefinableLoadProfileRequest (GXF's bundle schema has it)
    const accepted = await soap.post('bundleService', `<b:BundleRequest xmlns:b="${B}"><b:DeviceIdentification>${GW4}</b:DeviceIdentification><b:Actions><b:ConfigureDefinableLoadProfileRequest><conf:CaptureObjects>${captureObject(1, [0, 0, 96, 7, 21, 255])}</conf:CaptureObjects><conf:CapturePeriod>120</conf:CapturePeriod></b:ConfigureDefinableLoadProfileRequest></b:Actions></b:BundleRequest>`);
    assert.equal(accepted.status, 200, accepted.xml);
    const uid = xpathText(accepted.xml, '//c:CorrelationUid')!;
    let b = accepted;
    for (let i = 0; i < 600; i++) {
      b = await soap.post('bundleService', `<b:BundleAsyncRequest xmlns:b="${B}"><c:DeviceIdentification>${GW4}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></b:BundleAsyncRequest>`);
      if (!(b.status === 500 && xpathText(b.xml, '//c:FunctionalFault/c:Code') === '405')) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(b.status, 200, b.xml);
    assert.deepEqual(validateEnvelopeXml(b.xml), [], b.xml);
    assert.deepEqual(xpathAll(b.xml, "//*[local-name()='AllResponses']/*/c:Result"), ['OK'], b.xml);
    assert.deepEqual(dsmr4.state.definableLoadProfile!.captureObjects!.map(obisOf), ['0-0:1.0.0.255', '0-0:96.7.21.255']);
    assert.equal(dsmr4.state.definableLoadProfile!.capturePeriod, 120);

    // REST: the same operation; another organisation is refused (REST 403, SOAP fault 301)
    const r5 = await restOperation(url, `/devices/${GW5}/definable-load-profile`, ORG, { capturePeriod: 600, captureObjects: [{ classId: 1, obisCode: '0-0:96.7.9.255', attributeIndex: 2 }] }, auth);
    assert.equal(r5.result, 'OK', JSON.stringify(r5.body));
    assert.deepEqual(smr5.state.definableLoadProfile!.captureObjects!.map(obisOf), ['0-0:1.0.0.255', '0-0:96.7.9.255']);
    assert.equal(smr5.state.definableLoadProfile!.capturePeriod, 600);
    const foreign = await restOperation(url, `/devices/${GW5}/definable-load-profile`, OTHER, { capturePeriod: 60 }, await authOf(OTHER));
    assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
    const foreignSoap = await configure(GW5, '<conf:CapturePeriod>60</conf:CapturePeriod>', OTHER);
    assert.equal(xpathText(foreignSoap.xml, '//c:FunctionalFault/c:Code'), '301', foreignSoap.xml);
    assert.equal(smr5.state.definableLoadProfile!.capturePeriod, 600);
  });
});
