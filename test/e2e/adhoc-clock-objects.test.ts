/**
 * The ad-hoc operations SynchronizeTime and GetAssociationLnObjects end to end: GXF SOAP and REST over real HTTP,
 * through the operation catalogue, a real DLMS association over TCP, against simulated SMR5 and DSMR4 meters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { getDeviceInstallation } from '../../src/platform/device-installation.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW = 'E0051004000000011';
const GW4 = 'E0051004000000012';

function envelope(body: string, org: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:ad="${SOAP_NS.adhoc}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

test('SynchronizeTime and GetAssociationLnObjects through SOAP and REST against simulated meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const auth: Record<string, Record<string, string>> = { [ORG]: await authOf(ORG), [OTHER]: await authOf(OTHER) };
    const soap = async (body: string, org = ORG) => {
      const res = await fetch(`${url}${SOAP_BASE}/adhocService/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] }, body: envelope(body, org) });
      return { status: res.status, xml: await res.text() };
    };
    const call = async (op: string, device: string, data = '', org = ORG) => {
      const accepted = await soap(`<ad:${op}Request><ad:DeviceIdentification>${device}</ad:DeviceIdentification>${data}</ad:${op}Request>`, org);
      if (accepted.status !== 200) return accepted;
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(`<ad:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></ad:${op}AsyncRequest>`, org);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${op}`);
    };

    const smr5 = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });

    // SynchronizeTime (SOAP): a meter three hours off is set to now; the zone is kept on the device.
    smr5.state.clockOffsetMs = 3 * 3600_000;
    const sync = await call('SynchronizeTime', GW, '<ad:SynchronizeTimeRequestData><ad:TimeZone>Europe/Amsterdam</ad:TimeZone></ad:SynchronizeTimeRequestData>');
    assert.equal(sync.status, 200, sync.xml);
    assert.equal(xpathAll(sync.xml, '//adhoc:SynchronizeTimeResponse/adhoc:Result')[0], 'OK', sync.xml);
    assert.ok(Math.abs(smr5.state.clockOffsetMs) < 10_000, `the meter clock follows the SET (offset ${smr5.state.clockOffsetMs} ms)`);
    assert.equal((await getDeviceInstallation(db, GW))?.timezone, 'Europe/Amsterdam');

    // an unknown zone is refused before anything is queued; another organisation may not act on the meter
    const unknownZone = await soap(`<ad:SynchronizeTimeRequest><ad:DeviceIdentification>${GW}</ad:DeviceIdentification><ad:SynchronizeTimeRequestData><ad:TimeZone>Mars/Olympus_Mons</ad:TimeZone></ad:SynchronizeTimeRequestData></ad:SynchronizeTimeRequest>`);
    assert.equal(unknownZone.status, 500, unknownZone.xml);
    assert.match(unknownZone.xml, /Mars\/Olympus_Mons/);
    const foreign = await call('SynchronizeTime', GW, '<ad:SynchronizeTimeRequestData><ad:TimeZone>UTC</ad:TimeZone></ad:SynchronizeTimeRequestData>', OTHER);
    assert.equal(foreign.status, 500, foreign.xml);
    assert.equal(xpathAll(foreign.xml, '//c:FunctionalFault/c:Code')[0], '301', foreign.xml);

    // SynchronizeTime (REST) on DSMR4, UTC by default
    dsmr4.state.clockOffsetMs = -7200_000;
    const restSync = await restOperation(url, `/devices/${GW4}/clock/synchronize`, ORG, {}, auth[ORG]);
    assert.equal(restSync.result, 'OK', JSON.stringify(restSync.body));
    assert.ok(Math.abs(dsmr4.state.clockOffsetMs) < 10_000, `DSMR4 clock follows the SET (offset ${dsmr4.state.clockOffsetMs} ms)`);
    assert.equal((await getDeviceInstallation(db, GW4))?.timezone, 'UTC');

    // GetAssociationLnObjects (SOAP): the object list the meter serves, one to one
    const objects = await call('GetAssociationLnObjects', GW);
    assert.equal(objects.status, 200, objects.xml);
    assert.equal(xpathAll(objects.xml, '//adhoc:GetAssociationLnObjectsResponse/adhoc:Result')[0], 'OK');
    const names = xpathAll(objects.xml, '//adhoc:AssociationLnListElement/adhoc:LogicalName');
    const classes = xpathAll(objects.xml, '//adhoc:AssociationLnListElement/adhoc:ClassId');
    const versions = xpathAll(objects.xml, '//adhoc:AssociationLnListElement/adhoc:Version');
    const at = (ln: string) => names.indexOf(ln);
    assert.ok(at('0000010000FF') >= 0, 'the clock is listed');
    assert.equal(classes[at('0000010000FF')], '8');
    assert.equal(classes[at('0000280000FF')], '15', 'the current association is listed');
    assert.equal(classes[at('0001180100FF')], '72', 'the M-Bus client setup of channel 1 is listed');
    assert.equal(versions[at('0001180100FF')], '1', 'SMR5 serves class 72 version 1');
    const clockTimeMode = xpathAll(objects.xml, "//adhoc:AssociationLnListElement[adhoc:LogicalName='0000010000FF']//adhoc:AttributeAccessItem[adhoc:AttributeId='2']/adhoc:AccessMode")[0];
    assert.match(clockTimeMode ?? '', /READ_AND_WRITE/);

    // GetAssociationLnObjects (REST) on DSMR4: class 72 version 0
    const restObjects = await restOperation(url, `/devices/${GW4}/association-ln-objects`, ORG, {}, auth[ORG]);
    assert.equal(restObjects.result, 'OK', JSON.stringify(restObjects.body));
    const list = restObjects.data.associationLnList as { classId: number; version: number; logicalName: string }[];
    const mbus = list.find((o) => o.logicalName.toUpperCase() === '0001180100FF');
    assert.deepEqual(mbus && { classId: mbus.classId, version: mbus.version }, { classId: 72, version: 0 });
  });
});
