/**
 * The REST admin routes of GXF's Admin operations (docs/gxf-admin.md): the same platform functions as the SOAP
 * Admin service, for an ADMIN organisation (every /api/v1/admin route is ADMIN only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { engines, engineOptions } from '../../support/db.ts';
import { startAdminApi } from '../../support/admin-api.ts';
import { issueApiToken } from '../../../src/platform/tokens.ts';
import { findDevice, findOrganisation, listAuthorisations } from '../../../src/platform/inventory.ts';

for (const engine of engines) {
  test(`REST admin: owner, ownerless devices, removal, protocol, public key, network cell, organisation removal on ${engine}`, engineOptions(engine), async (t) => {
    const { db, call } = await startAdminApi(t, engine);

    assert.equal((await call('POST', '/organisations', { identification: 'org-a' })).status, 201);
    assert.equal((await call('POST', '/organisations', { identification: 'org-b' })).status, 201);
    assert.equal((await call('POST', '/devices', { deviceIdentification: 'E0000000000000071', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '10.0.0.1', port: 4059, ownerOrganisationIdentification: 'org-a' })).status, 201);
    assert.equal((await call('POST', '/devices', { deviceIdentification: 'G0000000000000071', deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12345671', mbusManufacturerIdentification: 'ITG', gatewayDeviceIdentification: 'E0000000000000071', channel: 1, ownerOrganisationIdentification: 'org-a' })).status, 201);

    // A USER organisation may use none of them.
    const user = { authorization: `Bearer ${(await issueApiToken(db, 'org-a')).token}` };
    for (const [method, path, body] of [['GET', '/devices/without-owner'], ['GET', '/protocols'], ['PUT', '/devices/E0000000000000071/owner', { organisationIdentification: 'org-a' }], ['DELETE', '/devices/G0000000000000071']] as const) {
      const r = await call(method, path, body, user);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.code, 301);
    }

    // protocols, with the ids GetProtocolInfos gives; a device's protocol
    const protocols = (await call('GET', '/protocols')).body.protocols;
    assert.deepEqual(protocols[3], { id: 4, protocol: 'SMR', protocolVersion: '5.0.0' });
    assert.equal((await call('PUT', '/devices/E0000000000000071/protocol', { protocolName: 'SMR', protocolVersion: '5.5' })).body.protocolVersion, '5.5');
    assert.equal((await call('PUT', '/devices/E0000000000000071/protocol', { protocolName: 'SMR', protocolVersion: '6' })).body.code, 206);

    // network address with the mobile cell; the port stays unless given
    let r = await call('PUT', '/devices/E0000000000000071/network', { host: '10.0.0.9', btsId: 7, cellId: 2 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.host, r.body.port, r.body.btsId, r.body.cellId], ['10.0.0.9', 4059, 7, 2]);
    r = await call('PUT', '/devices/E0000000000000071/network', { cellId: 5 });
    assert.deepEqual([r.body.host, r.body.btsId, r.body.cellId], ['10.0.0.9', 7, 5]);

    // ownerless devices, SetOwner
    assert.deepEqual((await call('GET', '/devices/without-owner')).body.devices, []);
    await db.query(`DELETE FROM device_authorisation WHERE device_identification = 'G0000000000000071'`);
    const ownerless = (await call('GET', '/devices/without-owner')).body.devices;
    assert.deepEqual(ownerless.map((d: { deviceIdentification: string }) => d.deviceIdentification), ['G0000000000000071']);
    assert.equal((await call('PUT', '/devices/G0000000000000071/owner', { organisationIdentification: 'nobody' })).body.code, 101);
    r = await call('PUT', '/devices/G0000000000000071/owner', { organisationIdentification: 'org-b' });
    assert.deepEqual(r.body.authorisations.map((a: { organisationIdentification: string; functionGroup: string }) => `${a.organisationIdentification}:${a.functionGroup}`), ['org-b:OWNER']);

    // public key: recorded when it is one, withdrawn
    const spki = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    assert.equal((await call('PUT', '/devices/G0000000000000071/public-key', { publicKey: 'bm90IGEga2V5' })).body.code, 401);
    assert.equal((await call('PUT', '/devices/G0000000000000071/public-key', { publicKey: spki })).body.publicKeyPresent, true);
    assert.equal((await db.query<{ public_key: string }>(`SELECT public_key FROM device WHERE device_identification = 'G0000000000000071'`)).rows[0]?.public_key, spki);
    assert.equal((await call('DELETE', '/devices/G0000000000000071/public-key')).body.publicKeyPresent, false);

    // organisation removal: 409 (302) while it holds an authorisation, then disabled
    r = await call('POST', '/organisations/org-b/remove');
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 302);

    // device removal: a gateway with a coupled gas meter is refused; the gas meter, then the gateway go
    assert.equal((await call('DELETE', '/devices/E0000000000000071')).body.code, 401);
    assert.equal((await call('DELETE', '/devices/G0000000000000071')).status, 200);
    assert.equal(await findDevice(db, 'G0000000000000071'), undefined);
    assert.deepEqual(await listAuthorisations(db, 'G0000000000000071'), []);
    assert.equal((await call('DELETE', '/devices/E0000000000000071')).status, 200);
    assert.equal((await call('DELETE', '/devices/E0000000000000071')).body.code, 201);

    r = await call('POST', '/organisations/org-b/remove');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await findOrganisation(db, 'org-b'))?.enabled, false);
  });
}
