/**
 * GetConfigurationObject and SetConfigurationObject end to end: GXF SOAP and REST over real HTTP, a real DLMS
 * association over TCP, against simulated DSMR 4.2.2 (structure layout) and SMR 5.0.0 (bit-string layout) meters
 * whose initial configuration objects are documented in src/simulator/configuration-object.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { encodeData } from '../../src/dlms/axdr.ts';
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
  });
});
