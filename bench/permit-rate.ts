/**
 * The shared connection throttle's rate as delivered (`npm run bench -- permit-rate`): N callers wait for a permit at
 * once, with METERFABRIC_NEW_CONNECTIONS_PER_SECOND-style pacing of `--rate` per sliding second, through one or more
 * SharedThrottle instances on one database (each instance stands for a process). Each permit is held for a few
 * seconds, as a meter session holds its connection. Prints when the last permit was granted against the limit's own
 * bound (a full second per `rate` permits after the first batch) and the rate achieved.
 *
 *   node --import tsx bench/permit-rate.ts [--n 300] [--rate 30] [--instances 1]
 *
 * PostgreSQL: the server of TEST_DATABASE_URL (a fresh database); otherwise the embedded database in memory.
 */
import { openDb, migrate, type Db } from '../src/platform/db/db.ts';
import { SharedThrottle } from '../src/platform/permits.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '300'));
const RATE = Number(arg('rate', '30'));
const INSTANCES = Number(arg('instances', '1'));
const HOLD_MS = 4000;

async function open(): Promise<{ db: Db; engine: string; drop?: () => Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    return { db, engine: 'embedded' };
  }
  const admin = await openDb({ url, poolSize: 1 });
  const name = `mf_permit_rate_${process.pid}`;
  await admin.exec(`DROP DATABASE IF EXISTS ${name}`);
  await admin.exec(`CREATE DATABASE ${name}`);
  await admin.close();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openDb({ url: u.toString(), poolSize: 10 });
  await migrate(db);
  const drop = async () => {
    const a = await openDb({ url, poolSize: 1 });
    await a.exec(`DROP DATABASE IF EXISTS ${name}`);
    await a.close();
  };
  return { db, engine: 'PostgreSQL', drop };
}

const { db, engine, drop } = await open();
const throttles = Array.from({ length: INSTANCES }, (_, i) => new SharedThrottle(db, { maxOpen: N + 1, newPerSecond: RATE, holder: `bench-${i}` }));
const t0 = Date.now();
const granted: number[] = [];
const releases: Array<() => Promise<void>> = [];
await Promise.all(Array.from({ length: N }, async (_, i) => {
  const release = await throttles[i % INSTANCES]!.acquire();
  granted.push(Date.now() - t0);
  releases.push(release);
}));
const last = Math.max(...granted);
const bound = Math.floor((N - 1) / RATE) * 1000;
console.log(`permit-rate ${engine}, ${INSTANCES} instance(s), ${N} callers at ${RATE}/s: last permit after ${last} ms,`
  + ` the limit's bound ${bound} ms (${(last / Math.max(1, bound)).toFixed(3)}×); ${(N / (last / 1000)).toFixed(1)} permits/s`);
await new Promise((r) => setTimeout(r, Math.max(0, HOLD_MS - (Date.now() - t0 - last))));
await Promise.all(releases.map((r) => r()));
for (const t of throttles) await t.close();
await db.close();
await drop?.();
