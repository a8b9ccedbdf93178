/**
 * The admin commands of GXF's Admin operations (`device owner|ownerless|protocol|remove|network --bts-id/--cell-id`,
 * `org remove`) against a running platform over HTTP, in process, with an ADMIN token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminApi } from '../support/admin-api.ts';
import { addDevice, addOrganisation, findDevice, findOrganisation, listAuthorisations } from '../../src/platform/inventory.ts';
import { buildProgram } from '../../src/cli/main.ts';

test('meterfabric device owner, ownerless, protocol, network --bts-id/--cell-id, remove and org remove', async (t) => {
  const { db, url, adminToken } = await startAdminApi(t, 'pglite');
  const client = ['--url', url, '--token', adminToken];
  const printed: string[] = [];
  t.mock.method(console, 'log', (...args: unknown[]) => printed.push(args.join(' ')));
  const run = async (...args: string[]) => {
    printed.length = 0;
    await (await buildProgram()).parseAsync(['node', 'meterfabric', ...args, ...client]);
    return printed.join('\n');
  };

  await addOrganisation(db, { identification: 'org-a' });
  await addOrganisation(db, { identification: 'org-b' });
  await addDevice(db, { deviceIdentification: 'E0000000000000081', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '10.0.0.1', port: 4059, ownerOrganisationIdentification: 'org-a' });

  assert.match(await run('device', 'protocol', 'E0000000000000081', 'SMR', '5.5'), /speaks SMR 5\.5/);
  assert.equal((await findDevice(db, 'E0000000000000081'))?.protocolVersion, '5.5');
  assert.match(await run('device', 'network', 'E0000000000000081', '--bts-id', '4', '--cell-id', '9'), /at 10\.0\.0\.1:4059 \(BTS 4, cell 9\)/);

  await db.query(`DELETE FROM device_authorisation WHERE device_identification = 'E0000000000000081'`);
  assert.match(await run('device', 'ownerless'), /E0000000000000081\s+SMART_METER_E\s+10\.0\.0\.1\s+false/);
  assert.match(await run('device', 'owner', 'E0000000000000081', 'org-b'), /org-b owns E0000000000000081/);
  assert.deepEqual((await listAuthorisations(db, 'E0000000000000081')).map((a) => `${a.organisationIdentification}:${a.functionGroup}`), ['org-b:OWNER']);
  assert.doesNotMatch(await run('device', 'ownerless'), /E0000000000000081/);

  await run('org', 'remove', 'org-a');
  assert.equal((await findOrganisation(db, 'org-a'))?.enabled, false);
  await assert.rejects(run('org', 'remove', 'org-b'), (e: unknown) => (e as { code?: number }).code === 302);
  assert.match(await run('device', 'remove', 'E0000000000000081'), /removed/);
  assert.equal(await findDevice(db, 'E0000000000000081'), undefined);
});
