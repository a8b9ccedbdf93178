/** Shared fixtures for platform tests: an organisation with a gateway E-meter and an M-Bus device on it. */
import type { TestContext } from 'node:test';
import type { Db } from '../../src/platform/db/db.ts';
import { Platform, type PlatformOptions } from '../../src/platform/platform.ts';
import { freshDb, type Engine } from '../support/db.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';

export const ORG = 'org-a';
export const GATEWAY = 'E0000000000000001';
export const GATEWAY2 = 'E0000000000000002';
export const MBUS = 'G0000000000000001';

export async function seedInventory(db: Db): Promise<void> {
  await addOrganisation(db, { identification: ORG, name: 'Organisation A' });
  await addOrganisation(db, { identification: 'org-b', name: 'Organisation B' });
  await addOrganisation(db, { identification: 'org-off', name: 'Disabled', enabled: false });
  for (const id of [GATEWAY, GATEWAY2]) {
    await addDevice(db, { deviceIdentification: id, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.1', host: '127.0.0.1', port: 4059, ownerOrganisationIdentification: ORG });
  }
  await addDevice(db, {
    deviceIdentification: MBUS, deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12345678', mbusManufacturerIdentification: 'ITG',
    gatewayDeviceIdentification: GATEWAY, channel: 1, ownerOrganisationIdentification: ORG,
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh database with the seeded inventory and a platform on it; both are stopped when the test ends. */
export async function seededPlatform(t: TestContext, engine: Engine, options: Omit<PlatformOptions, 'db'> = {}): Promise<{ db: Db; platform: Platform }> {
  const { db, dispose } = await freshDb(engine);
  let platform: Platform | undefined;
  t.after(async () => {
    await platform?.stop();
    await dispose();
  });
  await seedInventory(db);
  platform = await Platform.start({ db, ...options });
  return { db, platform };
}
