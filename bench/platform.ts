/**
 * Platform throughput: requests accepted per second (submit = checks + one transaction with the queue insert),
 * acceptance latency percentiles, and requests dispatched per second (queue -> executor -> response stored) with
 * a no-op executor. Runs on PGlite and, when TEST_DATABASE_URL or DATABASE_URL names a server, on PostgreSQL in a
 * throw-away database created there.
 *
 *   node --import tsx bench/platform.ts [--devices 100000] [--requests 5000] [--submitters 16] [--concurrency 16] [--engine pglite|postgres]
 */
import { randomBytes } from 'node:crypto';
import { openDb, migrate, type Db } from '../src/platform/db/db.ts';
import { Platform } from '../src/platform/platform.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const engineArg = (() => {
  const i = process.argv.indexOf('--engine');
  return i > 0 ? process.argv[i + 1] : undefined;
})();
const DEVICES = arg('devices', 100_000);
const REQUESTS = arg('requests', 5_000);
const SUBMITTERS = arg('submitters', 16);
const CONCURRENCY = arg('concurrency', 16);
process.env.METERFABRIC_LOG_LEVEL ??= 'silent';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function seed(db: Db): Promise<void> {
  await db.query(`INSERT INTO organisation (identification, name) VALUES ('bench-org', 'Bench') ON CONFLICT DO NOTHING`);
  for (let from = 1; from <= DEVICES; from += 50_000) {
    const to = Math.min(DEVICES, from + 49_999);
    await db.query(
      `INSERT INTO device (device_identification, device_type, protocol_name, protocol_version, host, port)
       SELECT 'E' || lpad(i::text, 16, '0'), 'SMART_METER_E', 'SMR', '5.1', '10.0.0.1', 4059 FROM generate_series($1::int, $2::int) i`,
      [from, to],
    );
    await db.query(
      `INSERT INTO device_authorisation (device_identification, organisation_identification, function_group)
       SELECT 'E' || lpad(i::text, 16, '0'), 'bench-org', 'OWNER' FROM generate_series($1::int, $2::int) i`,
      [from, to],
    );
  }
  await db.exec('ANALYZE');
}

async function run(engine: 'pglite' | 'postgres', db: Db): Promise<void> {
  const t0 = performance.now();
  await seed(db);
  console.log(`${engine}: ${DEVICES} devices registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const api = await Platform.start({ db, workers: false });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      for (;;) {
        const i = next++;
        if (i >= REQUESTS) return;
        const device = 'E' + String(1 + Math.floor(Math.random() * DEVICES)).padStart(16, '0');
        const s = performance.now();
        await api.requests.submit({
          organisationIdentification: 'bench-org', userName: 'bench', applicationName: 'bench', deviceIdentification: device,
          messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP', priority: i % 10,
        });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const acceptSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${engine}: accepted ${REQUESTS} requests in ${acceptSeconds.toFixed(2)} s = ${(REQUESTS / acceptSeconds).toFixed(0)}/s with ${SUBMITTERS} submitters; ` +
      `latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p95 ${percentile(latencies, 95).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );

  const workers = await Platform.start({ db, workers: true, concurrency: CONCURRENCY, pollingIntervalSeconds: 0.5, notifications: { pollMs: 60_000 } });
  workers.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', execute: async () => ({ channels: [] }) });
  const dispatchStart = performance.now();
  for (;;) {
    const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request WHERE status = 'DONE'`);
    if (r.rows[0]!.n >= REQUESTS) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const dispatchSeconds = (performance.now() - dispatchStart) / 1000;
  console.log(`${engine}: dispatched ${REQUESTS} requests in ${dispatchSeconds.toFixed(2)} s = ${(REQUESTS / dispatchSeconds).toFixed(0)}/s with ${CONCURRENCY} worker loops`);
  await workers.stop();
  await api.stop();
}

if (!engineArg || engineArg === 'pglite') {
  const db = await openDb({ dataDir: 'memory://' });
  await migrate(db);
  await run('pglite', db);
  await db.close();
}
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (serverUrl && (!engineArg || engineArg === 'postgres')) {
  const admin = await openDb({ url: serverUrl, poolSize: 1 });
  const name = `mf_bench_${randomBytes(4).toString('hex')}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  try {
    const db = await openDb({ url: serverUrl.replace(/\/[^/]*$/, `/${name}`), poolSize: 20 });
    await migrate(db);
    await run('postgres', db);
    await db.close();
  } finally {
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
} else if (engineArg === 'postgres') {
  console.log('postgres: set TEST_DATABASE_URL or DATABASE_URL to a server to measure it');
}
