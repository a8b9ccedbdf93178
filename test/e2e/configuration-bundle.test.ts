/**
 * The configuration object and special days operations in GXF's Bundle (SOAP, every message checked against GXF's
 * XSDs) over one association with a simulated SMR 5 meter: typed GetConfigurationObjectResponse, ActionResponses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { encodeData } from '../../src/dlms/axdr.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { soapClient, xpathAll, xpathText } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const GW = 'E0051004000000091';
const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';

test('Get/SetConfigurationObject and SetSpecialDays run in a Bundle', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    const soap = soapClient(url, authOf, ORG);
    const sim = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    const actions =
      '<b:GetConfigurationObjectRequest/>' +
      '<b:SetConfigurationObjectRequest><conf:ConfigurationObject><conf:ConfigurationFlags><conf:ConfigurationFlag><conf:ConfigurationFlagType>PO_ENABLE</conf:ConfigurationFlagType><conf:Enabled>false</conf:Enabled></conf:ConfigurationFlag></conf:ConfigurationFlags></conf:ConfigurationObject></b:SetConfigurationObjectRequest>' +
      '<b:SetSpecialDaysRequest><conf:SpecialDays><conf:specialDayDate>07EA0C19FF</conf:specialDayDate><conf:dayId>1</conf:dayId></conf:SpecialDays></b:SetSpecialDaysRequest>' +
      '<b:GetConfigurationObjectRequest/>';
    const accepted = await soap.post('bundleService', `<b:BundleRequest xmlns:b="${B}"><b:DeviceIdentification>${GW}</b:DeviceIdentification><b:Actions>${actions}</b:Actions></b:BundleRequest>`);
    assert.equal(accepted.status, 200, accepted.xml);
    const uid = xpathText(accepted.xml, '//c:CorrelationUid')!;
    let r = accepted;
    for (let i = 0; i < 600; i++) {
      r = await soap.post('bundleService', `<b:BundleAsyncRequest xmlns:b="${B}"><c:DeviceIdentification>${GW}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></b:BundleAsyncRequest>`);
      if (!(r.status === 500 && xpathText(r.xml, '//c:FunctionalFault/c:Code') === '405')) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(r.status, 200, r.xml);
    assert.deepEqual(validateEnvelopeXml(r.xml), [], r.xml);
    const results = xpathAll(r.xml, "//*[local-name()='AllResponses']/*/c:Result");
    assert.deepEqual(results, ['OK', 'OK', 'OK', 'OK'], r.xml);
    // the second read shows PO_ENABLE cleared; the meter holds 02 20 and the special day
    const poEnable = (n: number) => xpathText(r.xml, `(//*[local-name()='GetConfigurationObjectResponse'])[${n}]//conf:ConfigurationFlag[conf:ConfigurationFlagType='PO_ENABLE']/conf:Enabled`);
    assert.deepEqual([poEnable(1), poEnable(2)], ['true', 'false']);
    assert.equal(encodeData(sim.state.configurationObject!).toString('hex'), '04100220');
    assert.equal(sim.state.specialDays?.length, 1);
  });
});
