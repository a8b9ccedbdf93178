/**
 * Platform throughput (issue 3): requests accepted per second (submit = GXF's checks + one transaction writing the
 * request, its audit row and its queue job), acceptance latency percentiles, and requests dispatched per second
 * (queue -> executor -> response stored) with a no-op executor — measured with `--devices` registered devices and a
 * backlog of `--backlog` queued requests present the whole time. Runs on PGlite and, when TEST_DATABASE_URL or
 * DATABASE_URL names a server, on PostgreSQL in a throw-away database created there.
 *
 *   node --import tsx bench/platform.ts [--engine pglite|postgres] [--devices 1000000] [--backlog 100000]
 *     [--requests 20000] [--dispatch 20000] [--submitters 16] [--concurrency 128] [--pool 20]
 *
 * Phases: seed devices (each owned by the bench organisation) -> write the backlog (queued requests, as submit
 * writes them) -> accept `--requests` more through RequestApi.submit with `--submitters` concurrent callers and no
 * workers running -> start workers and time the first `--dispatch` responses stored. Targets (PostgreSQL, 2 cores):
 * >= 2000 accepted/s, acceptance p99 < 10 ms, >= 1000 dispatched/s.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { openDb, migrate, type Db } from '../src/platform/db/db.ts';
import { Platform } from '../src/platform/platform.ts';
import { insertJobsSql } from '../src/platform/queue.ts';
import { makeCorrelationUid } from '../src/platform/correlation.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const engineArg = (() => {
  const i = process.argv.indexOf('--engine');
  return i > 0 ? process.argv[i + 1] : undefined;
})();
const DEVICES = arg('devices', 1_000_000);
const BACKLOG = arg('backlog', 100_000);
const REQUESTS = arg('requests', 20_000);
const DISPATCH = arg('dispatch', 20_000);
const SUBMITTERS = arg('submitters', 16);
const CONCURRENCY = arg('concurrency', 128);
const POOL = arg('pool', 20);
process.env.METERFABRIC_LOG_LEVEL ??= 'silent';

const TARGET = { acceptedPerSecond: 2000, p99Ms: 10, dispatchedPerSecond: 1000 };
const ORG = 'bench-org';
const MESSAGE_TYPE = 'SCAN_MBUS_CHANNELS';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const deviceId = (i: number) => 'E' + String(i).padStart(16, '0');
const randomDevice = () => deviceId(1 + Math.floor(Math.random() * DEVICES));

async function seedDevices(db: Db): Promise<void> {
  await db.query(`INSERT INTO organisation (identification, name) VALUES ($1, 'Bench') ON CONFLICT DO NOTHING`, [ORG]);
  for (let from = 1; from <= DEVICES; from += 50_000) {
    const to = Math.min(DEVICES, from + 49_999);
    await db.query(
      `INSERT INTO device (device_identification, device_type, protocol_name, protocol_version, host, port)
       SELECT 'E' || lpad(i::text, 16, '0'), 'SMART_METER_E', 'SMR', '5.1', '10.0.0.1', 4059 FROM generate_series($1::int, $2::int) i`,
      [from, to],
    );
    await db.query(
      `INSERT INTO device_authorisation (device_identification, organisation_identification, function_group)
       SELECT 'E' || lpad(i::text, 16, '0'), $3, 'OWNER' FROM generate_series($1::int, $2::int) i`,
      [from, to, ORG],
    );
  }
}

/** Queued requests written the way submit writes them (request row, ACCEPTED audit row, queue job), in chunks. */
async function writeBacklog(db: Db, platform: Platform): Promise<void> {
  for (let done = 0; done < BACKLOG; ) {
    const n = Math.min(10_000, BACKLOG - done);
    const rows = Array.from({ length: n }, (_, i) => {
      const device = randomDevice();
      return {
        correlation_uid: makeCorrelationUid(ORG, device), device_identification: device, priority: (done + i) % 10, job_id: randomUUID(),
      };
    });
    const json = JSON.stringify(rows);
    await db.tx(async (q) => {
      await q.query(
        `INSERT INTO request (correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type,
           payload, priority, channel, lock_key, job_id)
         SELECT correlation_uid, $2, 'bench', 'bench', device_identification, $3, '{}', priority, 'SOAP', device_identification, job_id
           FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, device_identification text, priority smallint, job_id uuid)`,
        [json, ORG, MESSAGE_TYPE],
      );
      await q.query(
        `INSERT INTO audit_log (event, correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, channel)
         SELECT 'ACCEPTED', correlation_uid, $2, 'bench', 'bench', device_identification, $3, 'SOAP'
           FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, device_identification text)`,
        [json, ORG, MESSAGE_TYPE],
      );
      await q.query(
        `${insertJobsSql(`(SELECT job_id, correlation_uid, device_identification AS lock_key, priority, now() AS submitted_at, now() AS run_after
           FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, device_identification text, priority smallint, job_id uuid))`)}`,
        [json],
      );
    });
    done += n;
  }
}

async function count(db: Db, sql: string): Promise<number> {
  return (await db.query<{ n: number }>(sql)).rows[0]!.n;
}

async function run(engine: 'pglite' | 'postgres', db: Db): Promise<void> {
  const line = (s: string) => console.log(`${engine}: ${s}`);
  if (engine === 'postgres') {
    const s = await db.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_wal_size', 'full_page_writes')
        ORDER BY name`,
    );
    line(`server ${s.rows.map((r) => `${r.name}=${r.setting}${r.unit ? ' ' + r.unit : ''}`).join(', ')}; pool ${POOL} connections`);
  }
  // The floor under any acceptance latency on this machine: one round trip, and one committed single-row insert.
  await db.exec('CREATE TABLE bench_commit (x int)');
  const floor = async (sql: string) => {
    const t: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      await db.query(sql);
      t.push(performance.now() - s);
    }
    t.sort((a, b) => a - b);
    return `p50 ${percentile(t, 50).toFixed(2)} ms, p99 ${percentile(t, 99).toFixed(2)} ms`;
  };
  line(`floor: SELECT 1 ${await floor('SELECT 1')}; committed one-row INSERT ${await floor('INSERT INTO bench_commit VALUES (1)')}`);
  await db.exec('DROP TABLE bench_commit');
  let t0 = performance.now();
  await seedDevices(db);
  await db.exec('ANALYZE');
  line(`${DEVICES} devices registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const api = await Platform.start({ db, workers: false });
  t0 = performance.now();
  await writeBacklog(db, api);
  await db.exec('ANALYZE');
  const queued = await count(db, `SELECT count(*)::int AS n FROM request WHERE status <> 'DONE'`);
  line(`backlog of ${queued} queued requests written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Acceptance, no workers running: the backlog stays queued and grows.
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      for (;;) {
        const i = next++;
        if (i >= REQUESTS) return;
        const s = performance.now();
        await api.requests.submit({
          organisationIdentification: ORG, userName: 'bench', applicationName: 'bench', deviceIdentification: randomDevice(),
          messageType: MESSAGE_TYPE, payload: {}, channel: 'SOAP', priority: i % 10,
        });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const acceptSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const accepted = REQUESTS / acceptSeconds;
  const p = (x: number) => percentile(latencies, x);
  line(
    `accepted ${REQUESTS} requests in ${acceptSeconds.toFixed(2)} s = ${accepted.toFixed(0)}/s with ${SUBMITTERS} submitters; ` +
      `latency p50 ${p(50).toFixed(2)} ms, p95 ${p(95).toFixed(2)} ms, p99 ${p(99).toFixed(2)} ms, max ${latencies[latencies.length - 1]!.toFixed(2)} ms`,
  );
  const backlogNow = await count(db, `SELECT count(*)::int AS n FROM request WHERE status <> 'DONE'`);

  // Dispatch: workers take jobs from the whole queue (backlog and new requests, highest priority first).
  const workers = await Platform.start({ db, workers: true, concurrency: CONCURRENCY, pollingIntervalSeconds: 0.5, notifications: { pollMs: 60_000 } });
  workers.executors.register({ messageType: MESSAGE_TYPE, execute: async () => ({ channels: [] }) });
  const dispatchStart = performance.now();
  for (;;) {
    if ((await count(db, 'SELECT count(*)::int AS n FROM response_data')) >= DISPATCH) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const dispatchSeconds = (performance.now() - dispatchStart) / 1000;
  await workers.stop();
  const dispatched = await count(db, 'SELECT count(*)::int AS n FROM response_data');
  const dispatchedPerSecond = DISPATCH / dispatchSeconds;
  line(`dispatched ${DISPATCH} requests in ${dispatchSeconds.toFixed(2)} s = ${dispatchedPerSecond.toFixed(0)}/s with concurrency ${CONCURRENCY} (queue ${backlogNow} at start, ${dispatched} done at stop)`);
  await api.stop();

  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `${engine}: SUMMARY devices ${DEVICES}, backlog ${BACKLOG} (+${REQUESTS} accepted) | accepted/s ${accepted.toFixed(0)} ` +
      `[>= ${TARGET.acceptedPerSecond}: ${met(accepted >= TARGET.acceptedPerSecond)}] | p50/p95/p99 ${p(50).toFixed(1)}/${p(95).toFixed(1)}/${p(99).toFixed(1)} ms ` +
      `[p99 < ${TARGET.p99Ms} ms: ${met(p(99) < TARGET.p99Ms)}] | dispatched/s ${dispatchedPerSecond.toFixed(0)} ` +
      `[>= ${TARGET.dispatchedPerSecond}: ${met(dispatchedPerSecond >= TARGET.dispatchedPerSecond)}]`,
  );
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
    const db = await openDb({ url: serverUrl.replace(/\/[^/]*$/, `/${name}`), poolSize: POOL });
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
