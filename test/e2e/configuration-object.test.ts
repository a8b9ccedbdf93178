/**
 * GetConfigurationObject and SetConfigurationObject end to end: GXF SOAP and REST over real HTTP, a real DLMS
 * association over TCP, against simulated DSMR 4.2.2 (structure layout) and SMR 5.0.0 (bit-string layout) meters
 * whose initial configuration objects are documented in src/simulator/configuration-object.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import { restOperation, soapClient, xpathAll, xpathText } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW5 = 'E0051004000000071';
const GW4 = 'E0051004000000072';

const flagXml = (type: string, enabled: boolean) => `<conf:ConfigurationFlag><conf:ConfigurationFlagType>${type}</conf:ConfigurationFlagType><conf:Enabled>${enabled}</conf:Enabled></conf:ConfigurationFlag>`;

test('Get/SetConfigurationObject through SOAP and REST against simulated DSMR 4.2.2 and SMR 5 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const soap = soapClient(url, authOf, ORG);
    const get = (device: string) => soap.call('configurationService', 'conf', 'GetConfigurationObject', `<conf:DeviceIdentification>${device}</conf:DeviceIdentification>`);
    const set = (device: string, object: string) => soap.call('configurationService', 'conf', 'SetConfigurationObject',
      `<conf:DeviceIdentification>${device}</conf:DeviceIdentification><conf:SetConfigurationObjectRequestData><conf:ConfigurationObject>${object}</conf:ConfigurationObject></conf:SetConfigurationObjectRequestData>`);
    const enabledFlags = (xml: string) => xpathAll(xml, "//conf:GetConfigurationObjectResponse//conf:ConfigurationFlag[conf:Enabled='true']/conf:ConfigurationFlagType");

    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    const smr5 = await gateway(GW5, ORG, { protocol: 'SMR 5.0.0' });

    // DSMR 4.2.2: structure{ALWAYS_ON, 52 00}: flags 1, 3, 6; all ten DSMR 4 flags listed
    const g4 = await get(GW4);
    assert.equal(g4.status, 200, g4.xml);
    assert.equal(xpathText(g4.xml, '//conf:GetConfigurationObjectResponse/conf:Result'), 'OK', g4.xml);
    assert.equal(xpathText(g4.xml, '//conf:ConfigurationObject/conf:GprsOperationMode'), 'ALWAYS_ON');
    assert.deepEqual(enabledFlags(g4.xml), ['DISCOVER_ON_POWER_ON', 'PO_ENABLE', 'HLS_5_ON_P3_ENABLE']);
    assert.equal(xpathAll(g4.xml, '//conf:ConfigurationFlag').length, 10);

    // Set: TRIGGERED, PO_ENABLE off, DISCOVER_ON_OPEN_COVER on; the other flags keep the meter's value
    const s4 = await set(GW4, `<conf:GprsOperationMode>TRIGGERED</conf:GprsOperationMode><conf:ConfigurationFlags>${flagXml('PO_ENABLE', false)}${flagXml('DISCOVER_ON_OPEN_COVER', true)}</conf:ConfigurationFlags>`);
    assert.equal(xpathText(s4.xml, '//conf:SetConfigurationObjectResponse/conf:Result'), 'OK', s4.xml);
    // structure{enum 2, bit-string(16) 0xC2 0x00}: flags 0, 1, 6
    assert.equal(encodeData(dsmr4.state.configurationObject!).toString('hex'), '020216020410c200');
    const g4b = await get(GW4);
    assert.equal(xpathText(g4b.xml, '//conf:ConfigurationObject/conf:GprsOperationMode'), 'TRIGGERED');
    assert.deepEqual(enabledFlags(g4b.xml), ['DISCOVER_ON_OPEN_COVER', 'DISCOVER_ON_POWER_ON', 'HLS_5_ON_P3_ENABLE']);

    // an enabled flag DSMR 4.2.2 does not have is refused and nothing is written; a disabled one is ignored
    const refused = await set(GW4, `<conf:ConfigurationFlags>${flagXml('DIRECT_ATTACH_AT_POWER_ON', true)}</conf:ConfigurationFlags>`);
    assert.equal(refused.status, 500, refused.xml);
    assert.match(refused.xml, /DIRECT_ATTACH_AT_POWER_ON not known for protocol/);
    const ignored = await set(GW4, `<conf:ConfigurationFlags>${flagXml('DIRECT_ATTACH_AT_POWER_ON', false)}</conf:ConfigurationFlags>`);
    assert.equal(xpathText(ignored.xml, '//conf:SetConfigurationObjectResponse/conf:Result'), 'OK', ignored.xml);
    assert.equal(encodeData(dsmr4.state.configurationObject!).toString('hex'), '020216020410c200');

    // SMR 5: bit-string(16) 12 20 (flags 3, 6, 10), no GPRS operation mode; a requested mode is dropped
    const g5 = await get(GW5);
    assert.equal(xpathText(g5.xml, '//conf:GetConfigurationObjectResponse/conf:Result'), 'OK', g5.xml);
    assert.deepEqual(xpathAll(g5.xml, '//conf:ConfigurationObject/conf:GprsOperationMode'), []);
    assert.deepEqual(enabledFlags(g5.xml), ['PO_ENABLE', 'HLS_5_ON_P3_ENABLE', 'DIRECT_ATTACH_AT_POWER_ON']);
    assert.equal(xpathAll(g5.xml, '//conf:ConfigurationFlag').length, 8);
    const s5 = await set(GW5, `<conf:GprsOperationMode>TRIGGERED</conf:GprsOperationMode><conf:ConfigurationFlags>${flagXml('DIRECT_ATTACH_AT_POWER_ON', false)}${flagXml('HLS_7_ON_P0_ENABLE', true)}</conf:ConfigurationFlags>`);
    assert.equal(xpathText(s5.xml, '//conf:SetConfigurationObjectResponse/conf:Result'), 'OK', s5.xml);
    assert.equal(encodeData(smr5.state.configurationObject!).toString('hex'), '04101202');

    // REST: the same operations; another organisation is refused
    const auth = await authOf(ORG);
    const r5 = await restOperation(url, `/devices/${GW5}/configuration-object/set`, ORG, { configurationFlags: [{ configurationFlagType: 'PO_ENABLE', enabled: false }] }, auth);
    assert.equal(r5.result, 'OK', JSON.stringify(r5.body));
    assert.equal(encodeData(smr5.state.configurationObject!).toString('hex'), '04100202');
    const rg = await restOperation(url, `/devices/${GW5}/configuration-object`, ORG, {}, auth);
    assert.equal(rg.result, 'OK', JSON.stringify(rg.body));
    assert.deepEqual(rg.data.configurationFlags.filter((f: { enabled: boolean }) => f.enabled).map((f: { configurationFlagType: string }) => f.configurationFlagType), ['HLS_5_ON_P3_ENABLE', 'HLS_7_ON_P0_ENABLE']);
    const foreign = await restOperation(url, `/devices/${GW5}/configuration-object`, OTHER, {}, await authOf(OTHER));
    assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
    const foreignSoap = await soap.call('configurationService', 'conf', 'GetConfigurationObject', `<conf:DeviceIdentification>${GW5}</conf:DeviceIdentification>`, { org: OTHER });
    assert.equal(xpathText(foreignSoap.xml, '//c:FunctionalFault/c:Code'), '301', foreignSoap.xml);

    // HLS flags: after GetConfigurationObject (and a successful Set) the device's stored hls3/4/5 active follow the
    // meter's HLS_3/4/5_ON_P3_ENABLE, with a DEVICE_UPDATED audit row naming the change (docs/gxf.md#hls-flags-after-the-configuration-object).
    const hls = async (device: string) => (await db.query<{ hls3: boolean | null; hls4: boolean | null; hls5: boolean }>(
      `SELECT i.hls3_active AS hls3, i.hls4_active AS hls4, d.hls5_active AS hls5 FROM device d
         LEFT JOIN device_installation i ON i.device_identification = d.device_identification WHERE d.device_identification = $1`, [device])).rows[0];
    const audits = async (device: string) => (await db.query<{ correlation_uid: string; message_type: string; detail: string }>(
      `SELECT correlation_uid, message_type, detail FROM audit_log WHERE event = 'DEVICE_UPDATED' AND device_identification = $1 ORDER BY id`, [device])).rows;
    assert.deepEqual(await hls(GW4), { hls3: false, hls4: false, hls5: true }, 'the GETs above recorded the DSMR 4.2.2 meter: HLS 5 only');
    // The meter's object changes behind the platform's back: HLS 3 and 4 on P3, HLS 5 off (flags 3, 4, 5: 1C 00).
    dsmr4.state.configurationObject = decodeDataExact(Buffer.from('02021601041' + '01C00', 'hex'));
    const before4 = (await audits(GW4)).length;
    const gh = await get(GW4);
    assert.deepEqual(enabledFlags(gh.xml), ['PO_ENABLE', 'HLS_3_ON_P3_ENABLE', 'HLS_4_ON_P3_ENABLE'], gh.xml);
    assert.deepEqual(await hls(GW4), { hls3: true, hls4: true, hls5: false });
    const rows4 = (await audits(GW4)).slice(before4);
    assert.equal(rows4.length, 1, JSON.stringify(rows4));
    assert.equal(rows4[0]!.correlation_uid, gh.correlationUid);
    assert.equal(rows4[0]!.message_type, 'GET_CONFIGURATION_OBJECT');
    assert.match(rows4[0]!.detail, /hls3Active false -> true, hls4Active false -> true, hls5Active true -> false/);
    const same = await get(GW4);
    assert.equal(xpathText(same.xml, '//conf:GetConfigurationObjectResponse/conf:Result'), 'OK', same.xml);
    assert.equal((await audits(GW4)).length, before4 + 1, 'nothing changed: no audit row');
    // SMR 5 defines only HLS_5_ON_P3: a Set that clears it clears hls5Active; hls3/4 stay as stored (never stated).
    const off5 = await set(GW5, `<conf:ConfigurationFlags>${flagXml('HLS_5_ON_P3_ENABLE', false)}</conf:ConfigurationFlags>`);
    assert.equal(xpathText(off5.xml, '//conf:SetConfigurationObjectResponse/conf:Result'), 'OK', off5.xml);
    assert.deepEqual(await hls(GW5), { hls3: null, hls4: null, hls5: false });
    assert.deepEqual((await audits(GW5)).map((r) => [r.message_type, r.detail]), [['SET_CONFIGURATION_OBJECT', 'from the configuration object: hls5Active true -> false']]);
    // A refused Set (an enabled flag SMR 5 lacks) changes nothing.
    const refused5 = await set(GW5, `<conf:ConfigurationFlags>${flagXml('HLS_5_ON_P3_ENABLE', true)}${flagXml('HLS_3_ON_P3_ENABLE', true)}</conf:ConfigurationFlags>`);
    assert.equal(refused5.status, 500, refused5.xml);
    assert.equal((await hls(GW5))!.hls5, false);
  });
});
