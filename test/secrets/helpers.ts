/** Shared fixtures of the secret-store tests. */
import type { Db } from '../../src/platform/db/db.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { freshDb, type Engine } from '../support/db.ts';

export const ctx = { actor: 'test', reason: 'unit test' };

export async function freshStore(engine: Engine): Promise<{ db: Db; store: SecretStore; kek: SoftwareKekProvider; dispose: () => Promise<void> }> {
  const { db, dispose } = await freshDb(engine);
  const kek = SoftwareKekProvider.generate();
  const store = await SecretStore.open(db, kek);
  return { db, store, kek, dispose: async () => { await kek.close(); await dispose(); } };
}

/** Runs `fn` and returns the MeterfabricError code it throws. */
export async function codeOf(fn: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await fn();
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
}
