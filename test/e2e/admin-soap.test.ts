/**
 * GXF's Admin web service end to end over real HTTP (the production composition, a simulated SMR5 gateway over
 * TCP): an ADMIN creates an organisation, the device's owner authorises it, and it then acts on the device through
 * the SmartMetering services while an organisation without the authorisation gets GXF's fault 301. Every one of the
 * fifteen operations is called; every request and every answer is checked against the admin XSDs (docs/gxf-admin.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { XmlDocument, XmlElement } from 'libxml2-wasm';
import { addOrganisation, findDevice, findOrganisation, listAuthorisations } from '../../src/platform/inventory.ts';
import { validateAdminElement, validateAdminEnvelopeXml, ADMIN_NS } from '../../src/api/soap/admin-wsdl.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { SOAP_BASE, SOAP_NS, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ADMIN_PATH = '/osgp-adapter-ws-admin/admin/deviceManagementService/';
const OWNER = 'grid-operator';
const NEW_ORG = 'field-contractor';
const STRANGER = 'other-operator';
const GW = 'E0051004000000071';
const GAS = 'G0051004000000072';
const NS = { ...SOAP_NS, a: ADMIN_NS };

function adminEnvelope(body: string, org: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:a="${ADMIN_NS}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification>` +
    `<c:UserName>admin-tool</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/** The request body itself is held to the admin XSDs before it is sent. */
function assertRequestValid(envelope: string): void {
  const doc = XmlDocument.fromString(envelope);
  try {
    const payload = doc.get('/s:Envelope/s:Body/*[1]', { s: SOAP_NS.s }) as XmlElement;
    assert.deepEqual(validateAdminElement(payload), [], `request ${payload.name} is XSD-valid`);
  } finally {
    doc.dispose();
  }
}

const texts = (xml: string, path: string): string[] => {
  const doc = XmlDocument.fromString(xml);
  try {
    return (doc.find(path, NS) as XmlElement[]).map((n) => n.content);
  } finally {
    doc.dispose();
  }
};

test('Admin SOAP: create an organisation, authorise it on a device as the owner, use it; every operation with GXF\'s rules', async () => {
  await withHttpHeadend(async ({ db, url, gateway, gMeter, auth: authOf }) => {
    await addOrganisation(db, { identification: OWNER });
    await addOrganisation(db, { identification: STRANGER });
    await gateway(GW, OWNER);
    await gMeter(GAS, OWNER);
    const auth: Record<string, Record<string, string>> = { OSGP: await authOf('OSGP'), [OWNER]: await authOf(OWNER), [STRANGER]: await authOf(STRANGER) };

    /** One Admin call; the answer is XSD-valid unless GXF's empty list, which `emptyList` expects. */
    const admin = async (org: string, body: string, opts: { emptyList?: string } = {}) => {
      const envelope = adminEnvelope(body, org);
      assertRequestValid(envelope);
      const res = await fetch(`${url}${ADMIN_PATH}`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] }, body: envelope });
      const xml = await res.text();
      const issues = validateAdminEnvelopeXml(xml);
      if (opts.emptyList) {
        assert.equal(issues.length, 1, xml);
        assert.match(issues[0]!.message, new RegExp(`Missing child element\\(s\\). Expected is \\( \\{${ADMIN_NS.replace(/[./]/g, '\\$&')}\\}${opts.emptyList} \\)`), xml);
      } else {
        assert.deepEqual(issues, [], xml);
      }
      return { status: res.status, xml, code: texts(xml, '//c:FunctionalFault/c:Code')[0] };
    };
    const ok = async (org: string, body: string, response: string, opts: { emptyList?: string } = {}) => {
      const r = await admin(org, body, opts);
      assert.equal(r.status, 200, r.xml);
      assert.equal(texts(r.xml, `/s:Envelope/s:Body/a:${response}`).length, 1, r.xml);
      return r.xml;
    };
    const refused = async (org: string, body: string, code: string) => {
      const r = await admin(org, body);
      assert.equal(r.status, 500, r.xml);
      assert.equal(r.code, code, r.xml);
      return r.xml;
    };
    const grant = (device: string, org: string, group: string, revoked?: boolean) =>
      `<a:DeviceAuthorisations><a:deviceIdentification>${device}</a:deviceIdentification><a:organisationIdentification>${org}</a:organisationIdentification>` +
      `<a:functionGroup>${group}</a:functionGroup>${revoked === undefined ? '' : `<a:revoked>${revoked}</a:revoked>`}</a:DeviceAuthorisations>`;

    /** SynchronizeTime through the SmartMetering adhoc service, polled to its outcome (or its synchronous fault). */
    const synchronizeTime = async (org: string) => {
      const soap = async (body: string) => {
        const res = await fetch(`${url}${SOAP_BASE}/adhocService/`, {
          method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] },
          body: `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:ad="${SOAP_NS.adhoc}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>u</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`,
        });
        const xml = await res.text();
        assert.deepEqual(validateEnvelopeXml(xml), [], xml);
        return { status: res.status, xml };
      };
      const accepted = await soap(`<ad:SynchronizeTimeRequest><ad:DeviceIdentification>${GW}</ad:DeviceIdentification><ad:SynchronizeTimeRequestData><ad:TimeZone>UTC</ad:TimeZone></ad:SynchronizeTimeRequestData></ad:SynchronizeTimeRequest>`);
      if (accepted.status !== 200) return accepted;
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(`<ad:SynchronizeTimeAsyncRequest><c:DeviceIdentification>${GW}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></ad:SynchronizeTimeAsyncRequest>`);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('no SynchronizeTime response');
    };

    // ---- CreateOrganisation by the ADMIN organisation
    const createNewOrg = `<a:CreateOrganisationRequest><a:Organisation><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification><a:Name>Field contractor</a:Name>` +
      `<a:Prefix>FCO</a:Prefix><a:FunctionGroup>USER</a:FunctionGroup><a:Enabled>true</a:Enabled><a:Domains>COMMON</a:Domains></a:Organisation></a:CreateOrganisationRequest>`;
    await ok('OSGP', createNewOrg, 'CreateOrganisationResponse');
    const created = await findOrganisation(db, NEW_ORG);
    assert.equal(created?.name, 'Field contractor');
    assert.equal(created?.platformFunctionGroup, 'USER');
    assert.equal(created?.enabled, true);
    await refused('OSGP', createNewOrg, '102');
    auth[NEW_ORG] = await authOf(NEW_ORG);

    // ---- the new organisation is not authorised on the gateway yet: GXF's 301, synchronously
    const before = await synchronizeTime(NEW_ORG);
    assert.equal(before.status, 500, before.xml);
    assert.equal(xpathAll(before.xml, '//c:FunctionalFault/c:Code')[0], '301', before.xml);

    // ---- only the owner grants: an ADMIN that is not the owner, and an organisation that is not, get 301
    await refused('OSGP', `<a:UpdateDeviceAuthorisationsRequest>${grant(GW, NEW_ORG, 'OWNER')}</a:UpdateDeviceAuthorisationsRequest>`, '301');
    await refused(STRANGER, `<a:UpdateDeviceAuthorisationsRequest>${grant(GW, STRANGER, 'OWNER')}</a:UpdateDeviceAuthorisationsRequest>`, '301');
    await refused(OWNER, `<a:UpdateDeviceAuthorisationsRequest>${grant(GW, 'nobody-here', 'OWNER')}</a:UpdateDeviceAuthorisationsRequest>`, '101');
    await refused(OWNER, `<a:UpdateDeviceAuthorisationsRequest>${grant('E0000000000009999', NEW_ORG, 'OWNER')}</a:UpdateDeviceAuthorisationsRequest>`, '201');

    // ---- the owner authorises the new organisation (OWNER: every SmartMetering function) and another one for AD_HOC
    await ok(OWNER, `<a:UpdateDeviceAuthorisationsRequest>${grant(GW, NEW_ORG, 'OWNER')}${grant(GW, STRANGER, 'AD_HOC', false)}</a:UpdateDeviceAuthorisationsRequest>`, 'UpdateDeviceAuthorisationsResponse');
    assert.deepEqual((await listAuthorisations(db, GW)).map((a) => `${a.organisationIdentification}:${a.functionGroup}`), [`${NEW_ORG}:OWNER`, `${OWNER}:OWNER`, `${STRANGER}:AD_HOC`]);

    // ---- and the new organisation uses it: SynchronizeTime on the simulated meter succeeds
    const after = await synchronizeTime(NEW_ORG);
    assert.equal(after.status, 200, after.xml);
    assert.equal(xpathAll(after.xml, '//adhoc:SynchronizeTimeResponse/adhoc:Result')[0], 'OK', after.xml);
    // AD_HOC does not hold SYNCHRONIZE_TIME: still GXF's 301
    const adhocOnly = await synchronizeTime(STRANGER);
    assert.equal(xpathAll(adhocOnly.xml, '//c:FunctionalFault/c:Code')[0], '301', adhocOnly.xml);

    // ---- FindDeviceAuthorisations: an owner sees all, another authorised organisation only its own, others 301
    const find = `<a:FindDeviceAuthorisationsRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification></a:FindDeviceAuthorisationsRequest>`;
    const rows = (xml: string) => {
      const orgs = texts(xml, '//a:DeviceAuthorisations/a:organisationIdentification');
      const groups = texts(xml, '//a:DeviceAuthorisations/a:functionGroup');
      return orgs.map((o, i) => `${o}:${groups[i]}`);
    };
    assert.deepEqual(rows(await ok(NEW_ORG, find, 'FindDeviceAuthorisationsResponse')), [`${NEW_ORG}:OWNER`, `${OWNER}:OWNER`, `${STRANGER}:AD_HOC`]);
    assert.deepEqual(rows(await ok(STRANGER, find, 'FindDeviceAuthorisationsResponse')), [`${STRANGER}:AD_HOC`]);
    await refused('OSGP', find, '301');

    // ---- withdrawing: the owner's own OWNER row is kept (GXF ignores it); the new organisation's goes, and with it the access
    await ok(OWNER, `<a:UpdateDeviceAuthorisationsRequest>${grant(GW, OWNER, 'OWNER', true)}${grant(GW, NEW_ORG, 'OWNER', true)}</a:UpdateDeviceAuthorisationsRequest>`, 'UpdateDeviceAuthorisationsResponse');
    assert.deepEqual((await listAuthorisations(db, GW)).map((a) => `${a.organisationIdentification}:${a.functionGroup}`), [`${OWNER}:OWNER`, `${STRANGER}:AD_HOC`]);
    const revoked = await synchronizeTime(NEW_ORG);
    assert.equal(xpathAll(revoked.xml, '//c:FunctionalFault/c:Code')[0], '301', revoked.xml);

    // ---- ADMIN operations refuse every non-ADMIN caller with 301, the owner of devices included
    const adminOnly: string[] = [
      createNewOrg.replace(NEW_ORG, 'yet-another'),
      `<a:ChangeOrganisationRequest><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification><a:NewOrganisationName>x</a:NewOrganisationName><a:NewOrganisationPlatformFunctionGroup>ADMIN</a:NewOrganisationPlatformFunctionGroup><a:NewOrganisationPlatformDomains>COMMON</a:NewOrganisationPlatformDomains></a:ChangeOrganisationRequest>`,
      `<a:ActivateOrganisationRequest><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification></a:ActivateOrganisationRequest>`,
      `<a:RemoveOrganisationRequest><a:OrganisationIdentification>${STRANGER}</a:OrganisationIdentification></a:RemoveOrganisationRequest>`,
      '<a:FindDevicesWhichHaveNoOwnerRequest/>',
      `<a:SetOwnerRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification><a:OrganisationIdentification>${OWNER}</a:OrganisationIdentification></a:SetOwnerRequest>`,
      `<a:UpdateKeyRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification><a:PublicKey>AAAA</a:PublicKey><a:ProtocolInfoId>4</a:ProtocolInfoId></a:UpdateKeyRequest>`,
      `<a:RevokeKeyRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification></a:RevokeKeyRequest>`,
      '<a:GetProtocolInfosRequest/>',
      `<a:UpdateDeviceProtocolRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification><a:ProtocolInfo><a:Id>2</a:Id><a:Protocol>DSMR</a:Protocol><a:ProtocolVersion>4.2.2</a:ProtocolVersion></a:ProtocolInfo></a:UpdateDeviceProtocolRequest>`,
      '<a:FindMessageLogsRequest><a:MessageLogFilter><a:Page>0</a:Page></a:MessageLogFilter></a:FindMessageLogsRequest>',
    ];
    for (const body of adminOnly) {
      const xml = await refused(OWNER, body, '301');
      assert.equal(texts(xml, '//c:FunctionalFault/c:Message')[0], 'UNAUTHORIZED');
      await refused(STRANGER, body, '301');
    }
    assert.equal((await findDevice(db, GW))?.protocolVersion, '5.0.0', 'nothing changed');

    // ---- SetCommunicationNetworkInformation: the owner sets address, BTS and cell; an ADMIN is not the owner
    const network = `<a:SetCommunicationNetworkInformationRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification><a:IpAddress>127.0.0.1</a:IpAddress><a:BtsId>12</a:BtsId><a:CellId>3</a:CellId></a:SetCommunicationNetworkInformationRequest>`;
    const set = await ok(OWNER, network, 'SetCommunicationNetworkInformationResponse');
    assert.deepEqual([texts(set, '//a:Result')[0], texts(set, '//a:IpAddress')[0], texts(set, '//a:BtsId')[0], texts(set, '//a:CellId')[0]], ['OK', '127.0.0.1', '12', '3']);
    await refused('OSGP', network, '301');
    await refused(OWNER, network.replace('127.0.0.1', 'not an address!'), '212');

    // ---- GetProtocolInfos and UpdateDeviceProtocol (ADMIN); an unknown protocol is 206
    const infos = await ok('OSGP', '<a:GetProtocolInfosRequest/>', 'GetProtocolInfosResponse');
    assert.deepEqual(texts(infos, '//a:ProtocolInfos/a:Protocol').map((p, i) => `${p} ${texts(infos, '//a:ProtocolInfos/a:ProtocolVersion')[i]}`),
      ['DSMR 2.2', 'DSMR 4.2.2', 'SMR 4.3', 'SMR 5.0.0', 'SMR 5.1', 'SMR 5.2', 'SMR 5.5']);
    const protocol = (p: string, v: string, variant = '') =>
      `<a:UpdateDeviceProtocolRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification><a:ProtocolInfo><a:Id>1</a:Id><a:Protocol>${p}</a:Protocol><a:ProtocolVersion>${v}</a:ProtocolVersion>${variant}</a:ProtocolInfo></a:UpdateDeviceProtocolRequest>`;
    await ok('OSGP', protocol('SMR', '5.1'), 'UpdateDeviceProtocolResponse');
    assert.equal((await findDevice(db, GAS))?.protocolVersion, '5.1');
    await refused('OSGP', protocol('SMR', '9.9'), '206');
    await refused('OSGP', protocol('SMR', '5.1', '<a:ProtocolVariant>X</a:ProtocolVariant>'), '206');

    // ---- FindDevicesWhichHaveNoOwner, UpdateKey/RevokeKey and SetOwner (ADMIN)
    await ok('OSGP', '<a:FindDevicesWhichHaveNoOwnerRequest/>', 'FindDevicesWhichHaveNoOwnerResponse', { emptyList: 'Devices' });
    await db.query(`DELETE FROM device_authorisation WHERE device_identification = $1`, [GAS]);
    await ok(OWNER, `<a:UpdateDeviceAuthorisationsRequest>${grant(GW, STRANGER, 'AD_HOC', true)}</a:UpdateDeviceAuthorisationsRequest>`, 'UpdateDeviceAuthorisationsResponse');
    const publicKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    await ok('OSGP', `<a:UpdateKeyRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification><a:PublicKey>${publicKey}</a:PublicKey><a:ProtocolInfoId>4</a:ProtocolInfoId></a:UpdateKeyRequest>`, 'UpdateKeyResponse');
    await refused('OSGP', `<a:UpdateKeyRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification><a:PublicKey>bm90IGEga2V5</a:PublicKey><a:ProtocolInfoId>4</a:ProtocolInfoId></a:UpdateKeyRequest>`, '401');
    await refused('OSGP', `<a:UpdateKeyRequest><a:DeviceIdentification>E0000000000009999</a:DeviceIdentification><a:PublicKey>${publicKey}</a:PublicKey><a:ProtocolInfoId>4</a:ProtocolInfoId></a:UpdateKeyRequest>`, '201');
    let ownerless = await ok('OSGP', '<a:FindDevicesWhichHaveNoOwnerRequest/>', 'FindDevicesWhichHaveNoOwnerResponse');
    assert.deepEqual(texts(ownerless, '//a:Devices/a:DeviceIdentification'), [GAS]);
    assert.deepEqual(texts(ownerless, '//a:Devices/a:DeviceType'), ['SMART_METER_G']);
    assert.deepEqual(texts(ownerless, '//a:Devices/a:PublicKeyPresent'), ['true']);
    await ok('OSGP', `<a:RevokeKeyRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification></a:RevokeKeyRequest>`, 'RevokeKeyResponse');
    ownerless = await ok('OSGP', '<a:FindDevicesWhichHaveNoOwnerRequest/>', 'FindDevicesWhichHaveNoOwnerResponse');
    assert.deepEqual(texts(ownerless, '//a:Devices/a:PublicKeyPresent'), ['false']);
    await refused('OSGP', `<a:SetOwnerRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification><a:OrganisationIdentification>nobody-here</a:OrganisationIdentification></a:SetOwnerRequest>`, '101');
    await ok('OSGP', `<a:SetOwnerRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification></a:SetOwnerRequest>`, 'SetOwnerResponse');
    assert.deepEqual((await listAuthorisations(db, GAS)).map((a) => `${a.organisationIdentification}:${a.functionGroup}`), [`${NEW_ORG}:OWNER`]);
    await ok('OSGP', '<a:FindDevicesWhichHaveNoOwnerRequest/>', 'FindDevicesWhichHaveNoOwnerResponse', { emptyList: 'Devices' });

    // ---- RemoveOrganisation: refused while it holds authorisations (302), then disabled; ActivateOrganisation, ChangeOrganisation
    const removeNewOrg = `<a:RemoveOrganisationRequest><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification></a:RemoveOrganisationRequest>`;
    await refused('OSGP', removeNewOrg, '302');
    // RemoveDevice: by its owner (the new organisation now); a gateway with a coupled gas meter is refused first
    await db.query('UPDATE device SET gateway_device_identification = $1, channel = 1 WHERE device_identification = $2', [GW, GAS]);
    await refused(OWNER, `<a:RemoveDeviceRequest><a:DeviceIdentification>${GW}</a:DeviceIdentification></a:RemoveDeviceRequest>`, '401');
    await refused(OWNER, `<a:RemoveDeviceRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification></a:RemoveDeviceRequest>`, '301');
    await ok(NEW_ORG, `<a:RemoveDeviceRequest><a:DeviceIdentification>${GAS}</a:DeviceIdentification></a:RemoveDeviceRequest>`, 'RemoveDeviceResponse');
    assert.equal(await findDevice(db, GAS), undefined);
    await ok('OSGP', removeNewOrg, 'RemoveOrganisationResponse');
    assert.equal((await findOrganisation(db, NEW_ORG))?.enabled, false);
    await refused(NEW_ORG, find, '104');
    await ok('OSGP', `<a:ActivateOrganisationRequest><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification></a:ActivateOrganisationRequest>`, 'ActivateOrganisationResponse');
    assert.equal((await findOrganisation(db, NEW_ORG))?.enabled, true);
    await ok('OSGP', `<a:ChangeOrganisationRequest><a:OrganisationIdentification>${NEW_ORG}</a:OrganisationIdentification><a:NewOrganisationName>Contractor B.V.</a:NewOrganisationName><a:NewOrganisationPlatformFunctionGroup>USER</a:NewOrganisationPlatformFunctionGroup><a:NewOrganisationPlatformDomains>COMMON</a:NewOrganisationPlatformDomains><a:NewOrganisationPlatformDomains>TARIFF_SWITCHING</a:NewOrganisationPlatformDomains></a:ChangeOrganisationRequest>`, 'ChangeOrganisationResponse');
    assert.equal((await findOrganisation(db, NEW_ORG))?.name, 'Contractor B.V.');
    await refused('OSGP', `<a:ActivateOrganisationRequest><a:OrganisationIdentification>nobody-here</a:OrganisationIdentification></a:ActivateOrganisationRequest>`, '101');

    // ---- FindMessageLogs: no per-device message log is kept yet, so an empty page without a next one
    const logs = await ok('OSGP', `<a:FindMessageLogsRequest><a:MessageLogFilter><a:DeviceIdentification>${GW}</a:DeviceIdentification><a:Page>0</a:Page></a:MessageLogFilter></a:FindMessageLogsRequest>`, 'FindMessageLogsResponse', { emptyList: 'MessageLogs' });
    assert.deepEqual(texts(logs, '//a:MessageLogPage/a:NextPageAvailable'), ['false']);

    // ---- the envelope rules of the SmartMetering services hold here too
    const wrongOrg = await fetch(`${url}${ADMIN_PATH}`, { method: 'POST', headers: { 'content-type': 'text/xml', ...auth[STRANGER] }, body: adminEnvelope('<a:GetProtocolInfosRequest/>', 'OSGP') });
    assert.equal(wrongOrg.status, 500);
    assert.equal(texts(await wrongOrg.text(), '//c:FunctionalFault/c:Code')[0], '301', 'a header naming another organisation than the credentials is 301');
    const anonymous = await fetch(`${url}${ADMIN_PATH}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: adminEnvelope('<a:GetProtocolInfosRequest/>', 'OSGP') });
    assert.equal(anonymous.status, 401, 'no credentials, no identity: not even from loopback');
    const noHeader = await fetch(`${url}${ADMIN_PATH}`, { method: 'POST', headers: { 'content-type': 'text/xml', ...auth.OSGP }, body: adminEnvelope('<a:GetProtocolInfosRequest/>', 'OSGP').replace(/<c:UserName>.*<\/c:UserName>/, '') });
    assert.equal(noHeader.status, 500);
    assert.match(await noHeader.text(), /UserName Soap Header is &quot;&quot;/);
    const invalid = await fetch(`${url}${ADMIN_PATH}`, { method: 'POST', headers: { 'content-type': 'text/xml', ...auth.OSGP }, body: adminEnvelope('<a:SetOwnerRequest><a:DeviceIdentification>x</a:DeviceIdentification></a:SetOwnerRequest>', 'OSGP') });
    assert.equal(invalid.status, 500);
    const invalidXml = await invalid.text();
    assert.match(invalidXml, /<faultcode>SOAP-ENV:Client<\/faultcode><faultstring xml:lang="en">Validation error<\/faultstring>/);
  });
});
