/**
 * ClearMBusStatusOnAllChannels end to end against simulated SMR 5.1 meters over TCP: SOAP (both ways valid against
 * GXF's XSDs) clears the status of the channels that have one (status → clear mask → reset_alarm) and leaves the
 * others alone; REST and a Bundle action do the same; an SMR 5.0 gateway gets NOT OK (416 on REST) and is not contacted; another
 * organisation gets GXF's 301.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { TEST_GMETER, TEST_KEYS } from '../../src/simulator/meter.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW = 'E0051004000000051';
const GW50 = 'E0051004000000052';
const MAN = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-management/2014/10';
const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';

const gMeter = (identification: string, mbusStatus: number) => ({ ...TEST_GMETER, identification, defaultKey: Buffer.from(TEST_KEYS.gMeterDefaultKey, 'hex'), mbusStatus });

test('ClearMBusStatusOnAllChannels through SOAP, REST and a Bundle against SMR 5.1 meters; NOT OK (416) before SMR 5.1; 301 for another organisation', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    for (const identification of [ORG, OTHER]) await addOrganisation(db, { identification });
    const auth: Record<string, Record<string, string>> = { [ORG]: await authOf(ORG), [OTHER]: await authOf(OTHER) };
    const soap = async (org: string, service: 'managementService' | 'bundleService', body: string) => {
      const request = `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:man="${MAN}" xmlns:b="${B}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification>` +
        `<c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
      assert.deepEqual(validateEnvelopeXml(request), [], 'the request is valid against GXF\'s XSDs');
      const res = await fetch(`${url}${SOAP_BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] }, body: request });
      const xml = await res.text();
      assert.deepEqual(validateEnvelopeXml(xml), [], `the answer is valid against GXF's XSDs: ${xml}`);
      return { status: res.status, xml };
    };
    const xp = (xml: string, path: string) => xpathAll(xml.replaceAll(MAN, SOAP_NS.smc).replaceAll(B, SOAP_NS.inst), path.replaceAll('man:', 'smc:').replaceAll('b:', 'inst:'));
    const faultCode = (xml: string) => xpathAll(xml, '//c:FunctionalFault/c:Code')[0];
    const call = async (org: string, service: 'managementService' | 'bundleService', request: string, asyncRequest: string, device: string) => {
      const accepted = await soap(org, service, request);
      if (accepted.status !== 200) return accepted;
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      const p = service === 'bundleService' ? 'b' : 'man';
      for (let i = 0; i < 600; i++) {
        const r = await soap(org, service, `<${p}:${asyncRequest}><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></${p}:${asyncRequest}>`);
        if (!(r.status === 500 && faultCode(r.xml) === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('no response');
    };
    const clear = (org: string, device: string) => call(org, 'managementService',
      `<man:ClearMBusStatusOnAllChannelsRequest><man:DeviceIdentification>${device}</man:DeviceIdentification><man:ClearMBusStatusOnAllChannelsRequestData/></man:ClearMBusStatusOnAllChannelsRequest>`,
      'ClearMBusStatusOnAllChannelsAsyncRequest', device);

    // Channel 1: bits 0 and 2 set; channel 2 empty; channel 3: bit 31; channel 4: a G-meter without status.
    const sim = await gateway(GW, ORG, { protocol: 'SMR 5.1', channels: [gMeter('12056731', 0b101), undefined, gMeter('12056733', 0x8000_0000), gMeter('12056734', 0)] });
    const sim50 = await gateway(GW50, ORG, { protocol: 'SMR 5.0.0', channels: [gMeter('12056741', 3)] });

    // Another organisation: 301, nothing changes.
    assert.equal(faultCode((await clear(OTHER, GW)).xml), '301');
    assert.equal(sim.state.channels[0]?.mbusStatus, 0b101);

    const done = await clear(ORG, GW);
    assert.equal(done.status, 200, done.xml);
    assert.equal(xp(done.xml, '//man:ClearMBusStatusOnAllChannelsResponse/man:Result')[0], 'OK');
    assert.equal(xp(done.xml, '//man:ClearMBusStatusOnAllChannelsResponse/man:Description')[0],
      'channel 1: status 0x00000005 cleared; channel 3: status 0x80000000 cleared');
    assert.deepEqual(sim.state.channels.map((c) => c?.mbusStatus ?? null), [0, null, 0, 0], 'the statuses are cleared on the meter');
    assert.deepEqual(sim.state.mbusClearStatusMask, { 1: 5, 3: 0x8000_0000 }, 'only the channels with a status got a clear mask');

    // REST: nothing left to clear.
    sim.state.channels[3]!.mbusStatus = 0x10;
    const rest = await restOperation(url, `/devices/${GW}/mbus/status/clear`, ORG, {}, auth[ORG]);
    assert.equal(rest.result, 'OK', JSON.stringify(rest.body));
    assert.deepEqual(rest.data.channels, [
      { channel: 1, status: 0, cleared: false }, { channel: 2, status: 0, cleared: false }, { channel: 3, status: 0, cleared: false }, { channel: 4, status: 0x10, cleared: true },
    ]);
    assert.equal(sim.state.channels[3]!.mbusStatus, 0);

    // A Bundle action: GXF's ActionResponse text.
    sim.state.channels[0]!.mbusStatus = 1;
    const bundled = await call(ORG, 'bundleService',
      `<b:BundleRequest><b:DeviceIdentification>${GW}</b:DeviceIdentification><b:Actions><b:ClearMBusStatusOnAllChannelsRequest/></b:Actions></b:BundleRequest>`, 'BundleAsyncRequest', GW);
    assert.equal(bundled.status, 200, bundled.xml);
    assert.deepEqual(xp(bundled.xml, '//b:BundleResponse/b:AllResponses/b:ActionResponse/c:resultString'), ['Clear M-Bus status on all channels was successful']);
    assert.equal(sim.state.channels[0]!.mbusStatus, 0);

    // SMR 5.0: the objects do not exist → NOT OK (GXF's lenient answer; the error is 416), the meter is not contacted.
    const before = sim50.acceptedConnections;
    const refused = await clear(ORG, GW50);
    assert.equal(xp(refused.xml, '//man:ClearMBusStatusOnAllChannelsResponse/man:Result')[0], 'NOT OK', refused.xml);
    const refusedRest = await restOperation(url, `/devices/${GW50}/mbus/status/clear`, ORG, {}, auth[ORG]);
    assert.equal(refusedRest.result, 'NOT_OK');
    assert.equal(refusedRest.error!.code, 416, JSON.stringify(refusedRest.body));
    assert.equal(sim50.state.channels[0]?.mbusStatus, 3);
    assert.equal(sim50.acceptedConnections, before, 'not contacted');
  });
});
