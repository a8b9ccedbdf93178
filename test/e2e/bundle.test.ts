/**
 * Bundle end to end: GXF SOAP (BundleRequest -> BundleAsyncResponse, BundleAsyncRequest -> BundleResponse, every
 * message checked against GXF's XSDs) and REST over real HTTP, real DLMS associations over TCP against the
 * simulator, which counts the connections it accepts (one association each).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XmlDocument, type XmlElement } from 'libxml2-wasm';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { getDeviceInstallation } from '../../src/platform/device-installation.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const GW = 'E0051004000000041';
const GAS = 'G0051004000000041';
const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';
const NSS = { ...SOAP_NS, b: B };

function envelope(body: string, headers = ''): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:b="${B}" xmlns:adhoc="${SOAP_NS.adhoc}" xmlns:conf="${SOAP_NS.conf}" xmlns:mon="${SOAP_NS.mon}">` +
    `<s:Header><c:OrganisationIdentification>${ORG}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName>${headers}</s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`;
}

/** The local names of the children of AllResponses, in order. */
function responseNames(xml: string): string[] {
  const doc = XmlDocument.fromString(xml);
  try {
    return (doc.find('//b:BundleResponse/b:AllResponses/*', NSS) as XmlElement[]).map((e) => e.name);
  } finally {
    doc.dispose();
  }
}

const text = (xml: string, path: string) => {
  const doc = XmlDocument.fromString(xml);
  try {
    return (doc.find(path, NSS) as XmlElement[]).map((n) => n.content);
  } finally {
    doc.dispose();
  }
};

test('Bundle through SOAP and REST against the simulator: one association, request order, per-action faults, retry after a drop, 417', async () => {
  await withHttpHeadend(async ({ db, url, gateway, gMeter, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    const auth = await authOf(ORG);
    const soap = async (body: string, headers = '') => {
      const request = envelope(body, headers);
      assert.deepEqual(validateEnvelopeXml(request), [], 'the request is valid against GXF\'s XSD');
      const res = await fetch(`${url}${SOAP_BASE}/bundleService/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth }, body: request });
      const xml = await res.text();
      assert.deepEqual(validateEnvelopeXml(xml), [], `the answer is valid against GXF's XSD: ${xml}`);
      return { status: res.status, xml };
    };
    const bundle = async (actions: string, headers = '') => {
      const accepted = await soap(`<b:BundleRequest><b:DeviceIdentification>${GW}</b:DeviceIdentification><b:Actions>${actions}</b:Actions></b:BundleRequest>`, headers);
      assert.equal(accepted.status, 200, accepted.xml);
      assert.equal(xpathAll(accepted.xml, '//c:DeviceIdentification')[0], GW);
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(`<b:BundleAsyncRequest><c:DeviceIdentification>${GW}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></b:BundleAsyncRequest>`);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('no bundle response');
    };

    const sim = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    await gMeter(GAS, ORG, { coupled: { gateway: GW, channel: 1 } });

    // The first contact with a meter also reads its invocation counter over a public association: done here, so
    // that the counts below are the bundles' own.
    assert.equal((await restOperation(url, `/devices/${GW}/clock/synchronize`, ORG, {}, auth)).result, 'OK');

    // 1. The implemented actions and one that is not (GetOutages), in one association, answered in request order.
    let before = sim.acceptedConnections;
    const all = await bundle(
      '<b:GetActualMeterReadsRequest/>' +
      '<b:SynchronizeTimeRequest><adhoc:TimeZone>Europe/Amsterdam</adhoc:TimeZone></b:SynchronizeTimeRequest>' +
      '<b:GetOutagesRequest/>' +
      '<b:GetAssociationLnObjectsRequest/>' +
      '<b:GetMbusEncryptionKeyStatusByChannelRequest><conf:Channel>1</conf:Channel></b:GetMbusEncryptionKeyStatusByChannelRequest>' +
      `<b:GetMbusEncryptionKeyStatusRequest><conf:MbusDeviceIdentification>${GAS}</conf:MbusDeviceIdentification></b:GetMbusEncryptionKeyStatusRequest>`,
    );
    assert.equal(all.status, 200, all.xml);
    assert.deepEqual(responseNames(all.xml), [
      'ActualMeterReadsResponse', 'ActionResponse', 'FaultResponse', 'AssociationLnObjectsResponse',
      'GetMbusEncryptionKeyStatusByChannelResponse', 'GetMbusEncryptionKeyStatusResponse',
    ]);
    assert.equal(sim.acceptedConnections - before, 1, 'one association for the whole bundle');
    const r = '//b:BundleResponse/b:AllResponses';
    assert.deepEqual(text(all.xml, `${r}/*/c:Result`), ['OK', 'OK', 'NOT OK', 'OK', 'OK', 'OK']);
    assert.ok(Date.parse(text(all.xml, `${r}/b:ActualMeterReadsResponse/mon:LogTime`)[0]!) > 0, all.xml);
    assert.deepEqual(text(all.xml, `${r}/b:ActualMeterReadsResponse/mon:ActiveEnergyImport/@unit`), ['KWH']);
    assert.deepEqual(text(all.xml, `${r}/b:ActionResponse/c:resultString`), ['Synchronizing time was successful']);
    assert.deepEqual(text(all.xml, `${r}/b:FaultResponse/c:Code`), ['407']);
    assert.deepEqual(text(all.xml, `${r}/b:FaultResponse/c:Message`), ['Unable to handle request']);
    assert.deepEqual(text(all.xml, `${r}/b:FaultResponse/c:Parameters/c:Parameter/c:Value`), [GW]);
    assert.ok(text(all.xml, `${r}/b:AssociationLnObjectsResponse/adhoc:AssociationLnList/adhoc:AssociationLnListElement`).length > 5, all.xml);
    assert.deepEqual(text(all.xml, `${r}/b:GetMbusEncryptionKeyStatusByChannelResponse/conf:GatewayDeviceIdentification`), [GW]);
    assert.deepEqual(text(all.xml, `${r}/b:GetMbusEncryptionKeyStatusByChannelResponse/conf:Channel`), ['1']);
    assert.equal(text(all.xml, `${r}/b:GetMbusEncryptionKeyStatusByChannelResponse/conf:EncryptionKeyStatus`).length, 1);
    assert.deepEqual(text(all.xml, `${r}/b:GetMbusEncryptionKeyStatusResponse/conf:MbusDeviceIdentification`), [GAS]);
    assert.equal((await getDeviceInstallation(db, GW))?.timezone, 'Europe/Amsterdam', 'SynchronizeTime ran');

    // 2. A failing middle action (the meter refuses a register of GetActualMeterReads): its own fault, the actions
    //    after it still run, on the same association.
    sim.faults = { getError: { classId: 3, obis: '1-0:1.8.1.255', attributeId: 2, result: 1 } };
    before = sim.acceptedConnections;
    const middle = await bundle(
      '<b:SynchronizeTimeRequest><adhoc:TimeZone>UTC</adhoc:TimeZone></b:SynchronizeTimeRequest>' +
      '<b:GetActualMeterReadsRequest/>' +
      '<b:GetAssociationLnObjectsRequest/>',
    );
    sim.faults = {};
    assert.equal(middle.status, 200, middle.xml);
    assert.deepEqual(responseNames(middle.xml), ['ActionResponse', 'FaultResponse', 'AssociationLnObjectsResponse']);
    assert.deepEqual(text(middle.xml, `${r}/*/c:Result`), ['OK', 'NOT OK', 'OK']);
    assert.match(text(middle.xml, `${r}/b:FaultResponse/c:InnerMessage`)[0] ?? '', /1-0:1\.8\.1\.255/, middle.xml);
    assert.equal(sim.acceptedConnections - before, 1);

    // 3. The connection drops during the second action: the bundle is retried, and the retry does not run the first
    //    action again (its second connection refuses the register the first action reads, which would fault it).
    before = sim.acceptedConnections;
    const dropped = sim.faultNextConnection({ dropAfterApdus: 4 });
    void sim.faultNextConnection({ getError: { classId: 3, obis: '1-0:1.8.1.255', attributeId: 2, result: 1 } });
    const retried = await bundle(
      '<b:GetActualMeterReadsRequest/>' +
      '<b:SynchronizeTimeRequest><adhoc:TimeZone>UTC</adhoc:TimeZone></b:SynchronizeTimeRequest>' +
      '<b:GetAssociationLnObjectsRequest/>',
    );
    await dropped;
    assert.equal(retried.status, 200, retried.xml);
    assert.deepEqual(responseNames(retried.xml), ['ActualMeterReadsResponse', 'ActionResponse', 'AssociationLnObjectsResponse']);
    assert.deepEqual(text(retried.xml, `${r}/*/c:Result`), ['OK', 'OK', 'OK']);
    assert.equal(sim.acceptedConnections - before, 2, 'the first association dropped, the retry made the second');
    const audit = await db.query<{ event: string }>(`SELECT event FROM audit_log WHERE message_type = 'HANDLE_BUNDLED_ACTIONS' AND event = 'RETRY'`);
    assert.equal(audit.rows.length, 1, 'one retry of the bundle');

    // 4. MaxScheduleTime in the past: GXF's 417 for the whole bundle, the meter never contacted.
    before = sim.acceptedConnections;
    const late = await bundle('<b:GetActualMeterReadsRequest/>', `<c:MaxScheduleTime>${Date.now() - 60_000}</c:MaxScheduleTime>`);
    assert.equal(late.status, 500, late.xml);
    assert.equal(xpathAll(late.xml, '//c:FunctionalFault/c:Code')[0], '417', late.xml);
    assert.equal(xpathAll(late.xml, '//c:FunctionalFault/c:Message')[0], 'MAX_SCHEDULE_TIME_EXCEEDED');
    assert.equal(sim.acceptedConnections, before);

    // 5. REST: the same through POST /api/v1/devices/{id}/bundle, actions named by operationId, message type or element.
    before = sim.acceptedConnections;
    const rest = await restOperation(url, `/devices/${GW}/bundle`, ORG, {
      actions: [
        { action: 'getActualMeterReads' },
        { action: 'SYNCHRONIZE_TIME', timeZone: 'Europe/Amsterdam' },
        { action: 'GetOutagesRequest' },
        { action: 'getMbusEncryptionKeyStatusByChannel', channel: 1 },
      ],
    }, auth);
    assert.equal(rest.result, 'OK', JSON.stringify(rest.body));
    const responses = rest.data.responses as { action: string; result: string; data?: any; fault?: { code: number } }[];
    assert.deepEqual(responses.map((x) => [x.action, x.result]), [
      ['GetActualMeterReadsRequest', 'OK'], ['SynchronizeTimeRequest', 'OK'], ['GetOutagesRequest', 'NOT_OK'], ['GetMbusEncryptionKeyStatusByChannelRequest', 'OK'],
    ]);
    assert.equal(responses[0]!.data.activeEnergyImport.unit, 'KWH');
    assert.equal(responses[2]!.fault?.code, 407);
    assert.equal(responses[3]!.data.channel, 1);
    assert.equal(sim.acceptedConnections - before, 1);

    // A name that is no bundleable operation: 400, nothing queued.
    const bad = await restOperation(url, `/devices/${GW}/bundle`, ORG, { actions: [{ action: 'addDevice' }] }, auth);
    assert.equal(bad.status, 400, JSON.stringify(bad.body));

    // A bundle for a gas meter: refused (401) as GXF does.
    const gas = await restOperation(url, `/devices/${GAS}/bundle`, ORG, { actions: [{ action: 'getActualMeterReads' }] }, auth);
    assert.equal(gas.result, 'NOT_OK', JSON.stringify(gas.body));
    assert.equal(gas.error?.code, 401);
  });
});
