/**
 * SetSpecialDays end to end: GXF SOAP and REST over real HTTP, a real DLMS association over TCP, against simulated
 * DSMR 4.2.2 and SMR 5.0.0 meters (their special days table: src/simulator/calendar.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { encodeData, Data } from '../../src/dlms/axdr.ts';
import { restOperation, soapClient, xpathText } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW5 = 'E0051004000000081';
const GW4 = 'E0051004000000082';

const day = (date: string, dayId: number) => `<conf:SpecialDays><conf:specialDayDate>${date}</conf:specialDayDate><conf:dayId>${dayId}</conf:dayId></conf:SpecialDays>`;
const tableHex = (entries: unknown[] | undefined) => encodeData(Data.array((entries ?? []) as never)).toString('hex');

test('SetSpecialDays through SOAP and REST against simulated DSMR 4.2.2 and SMR 5 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const soap = soapClient(url, authOf, ORG);
    const setDays = (device: string, days: string, org = ORG) => soap.call('configurationService', 'conf', 'SetSpecialDays',
      `<conf:DeviceIdentification>${device}</conf:DeviceIdentification><conf:SpecialDaysRequestData>${days}</conf:SpecialDaysRequestData>`, { org });

    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    const smr5 = await gateway(GW5, ORG, { protocol: 'SMR 5.0.0' });

    for (const [id, meter] of [[GW4, dsmr4], [GW5, smr5]] as const) {
      const r = await setDays(id, day('07EA0C19FF', 1) + day('07EA0C1AFF', 2));
      assert.equal(r.status, 200, r.xml);
      assert.equal(xpathText(r.xml, '//conf:SetSpecialDaysResponse/conf:Result'), 'OK', r.xml);
      // array(2){structure{long-unsigned 0, octet-string 07EA0C19FF, unsigned 1}, structure{1, 07EA0C1AFF, 2}}
      assert.equal(tableHex(meter.state.specialDays), '01020203120000090507ea0c19ff11010203120001090507ea0c1aff1102', id);
    }

    // the whole table is replaced: one day remains, with index 0
    const again = await setDays(GW5, day('FFFF0101FF', 3));
    assert.equal(xpathText(again.xml, '//conf:SetSpecialDaysResponse/conf:Result'), 'OK', again.xml);
    assert.equal(tableHex(smr5.state.specialDays), '010102031200000905ffff0101ff1103');

    // a day id that does not fit the entry's unsigned is refused before anything is queued
    const big = await soap.post('configurationService', `<conf:SetSpecialDaysRequest><conf:DeviceIdentification>${GW5}</conf:DeviceIdentification><conf:SpecialDaysRequestData>${day('07EA0C19FF', 256)}</conf:SpecialDaysRequestData></conf:SetSpecialDaysRequest>`);
    assert.equal(big.status, 500, big.xml);
    assert.equal(xpathText(big.xml, '//c:FunctionalFault/c:Code'), '401', big.xml);

    // REST, and another organisation refused on both interfaces
    const auth = await authOf(ORG);
    const rest = await restOperation(url, `/devices/${GW4}/special-days`, ORG, { specialDays: [{ specialDayDate: '07ea0101ff', dayId: 4 }] }, auth);
    assert.equal(rest.result, 'OK', JSON.stringify(rest.body));
    assert.equal(tableHex(dsmr4.state.specialDays), '01010203120000090507ea0101ff1104');
    const foreign = await restOperation(url, `/devices/${GW4}/special-days`, OTHER, { specialDays: [{ specialDayDate: '07ea0101ff', dayId: 5 }] }, await authOf(OTHER));
    assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
    const foreignSoap = await setDays(GW4, day('07EA0101FF', 5), OTHER);
    assert.equal(xpathText(foreignSoap.xml, '//c:FunctionalFault/c:Code'), '301', foreignSoap.xml);
    assert.equal(tableHex(dsmr4.state.specialDays), '01010203120000090507ea0101ff1104', 'unchanged by the refused requests');
  });
});
