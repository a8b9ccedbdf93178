/**
 * Secret store throughput with the software KEK provider: store (storeNew), activate, get (getActive).
 *
 *   node --import tsx bench/secrets.ts                      # embedded PGlite, in memory
 *   node --import tsx bench/secrets.ts --url postgres://…   # a PostgreSQL server (a scratch database!)
 *   options: --devices N (default 1000) --gets N (default 50000) --concurrency N (default 1 on PGlite, 16 on PostgreSQL)
 *            --cache on|off (read cache of sealed rows; default on for PGlite, off for PostgreSQL)
 * With --url the benchmark creates a scratch database next to the one named and drops it afterwards.
 *
 * Target (issue 4): >= 5,000 gets/s with the software provider.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { openDb, migrate } from '../src/platform/db/db.ts';
import { SecretStore } from '../src/secrets/store.ts';
import { SoftwareKekProvider } from '../src/secrets/kek.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    devices: { type: 'string', default: '1000' },
    gets: { type: 'string', default: '50000' },
    concurrency: { type: 'string' },
    cache: { type: 'string' },
  },
});
const devices = Number(values.devices);
const gets = Number(values.gets);
const concurrency = Number(values.concurrency ?? (values.url ? 16 : 1));

let url = values.url;
let dropScratch = async () => {};
if (url) {
  const admin = await openDb({ url, poolSize: 1 });
  const name = `mf_bench_${randomBytes(4).toString('hex')}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  url = url.replace(/\/[^/]*$/, `/${name}`);
  dropScratch = async () => {
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  };
}
const db = await openDb(url ? { url, poolSize: Math.max(concurrency, 2) } : { dataDir: 'memory://' });
await migrate(db);
const kek = SoftwareKekProvider.generate();
const cache = values.cache === undefined ? undefined : values.cache === 'on';
const store = await SecretStore.open(db, kek, { cache });
const ctx = { actor: 'bench', reason: 'throughput benchmark' };
const run = `B${Date.now().toString(36)}`;
const ids = Array.from({ length: devices }, (_, i) => `${run}-${i}`);

async function measure(name: string, total: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await op(next++);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  console.log(`${name.padEnd(10)} ${String(total).padStart(7)} ops  ${(total / s).toFixed(0).padStart(8)} ops/s`);
}

console.log(
  `# secret store, software KEK, ${db.engine}, concurrency ${concurrency}, ${devices} devices, read cache ${(cache ?? db.engine === 'pglite') ? 'on' : 'off'}`,
);
const newIds: number[] = [];
await measure('store', devices, async (i) => {
  newIds[i] = (await store.storeNew(ids[i], 'E_METER_AUTHENTICATION_KEY', Buffer.alloc(16, i & 0xff), ctx)).secretId;
});
await measure('activate', devices, async (i) => {
  await store.activate(ids[i], 'E_METER_AUTHENTICATION_KEY', newIds[i], ctx);
});
await measure('get', gets, async (i) => {
  const got = await store.getActive(ids[i % devices], 'E_METER_AUTHENTICATION_KEY');
  if (!got) throw new Error('missing key');
});
await kek.close();
await db.close();
await dropScratch();
