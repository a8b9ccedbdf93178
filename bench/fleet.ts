/**
 * The fleet view at 100,000 devices (`npm run bench -- fleet`): the head-end in this process on the embedded database
 * (or PostgreSQL with DATABASE_URL), N devices (`--n`, default 100,000; one in five a G-meter, half SMR 5.1, every
 * tenth with a last result) owned by one organisation, 1,000 by a second, and `--requests` finished requests (default
 * 100,000) spread over the last hour. Times each REST call of the fleet page and the request list over HTTP
 * (`GET /api/v1/fleet/...` with a token; 5 runs each, after one warm-up) for the big organisation, the small one and
 * ADMIN: first page, a page deep in the fleet, the previous page, prefix search, filters, the request list, an older
 * page of it, and requests per minute. Prints the median and worst wall time and the process CPU per call.
 *
 *   node --import tsx bench/fleet.ts [--n 100000] [--requests 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend } from '../src/runtime/headend.ts';
import { logFileDestination, setRootLogDestination } from '../src/observability/logger.ts';
import { addOrganisation } from '../src/platform/inventory.ts';
import { issueApiToken } from '../src/platform/tokens.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '100000'));
const REQUESTS = Number(arg('requests', '100000'));
const BIG = 'fleet-big';
const SMALL = 'fleet-small';
const id = (p: string, i: number) => `${p}${String(i).padStart(7, '0')}`;

const dir = mkdtempSync(join(tmpdir(), 'mf-fleet-'));
setRootLogDestination(logFileDestination(join(dir, 'meterfabric.log')));
const h = await startHeadend({ dataDir: join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, push: false, workers: false });
const line = (s: string) => console.log(`fleet N=${N}: ${s}`);
try {
  await addOrganisation(h.db, { identification: BIG });
  await addOrganisation(h.db, { identification: SMALL });
  let t = performance.now();
  await h.db.query(
    `INSERT INTO device (device_identification, device_type, protocol_name, protocol_version)
     SELECT 'E' || lpad(i::text, 7, '0'), CASE WHEN i % 5 = 0 THEN 'SMART_METER_G' ELSE 'SMART_METER_E' END, 'SMR', CASE WHEN i % 2 = 0 THEN '5.1' ELSE '5.0.0' END
       FROM generate_series(1, $1::int) i`, [N]);
  await h.db.query(
    `INSERT INTO device_authorisation (device_identification, organisation_identification, function_group)
     SELECT 'E' || lpad(i::text, 7, '0'), CASE WHEN i <= $1::int - 1000 THEN $2 ELSE $3 END, 'OWNER' FROM generate_series(1, $1::int) i`, [N, BIG, SMALL]);
  await h.db.query(
    `INSERT INTO device_activity (device_identification, last_contact_at, last_request_at, last_result, last_message_type)
     SELECT 'E' || lpad(i::text, 7, '0'), now() - i * interval '1 second', now() - i * interval '1 second', CASE WHEN i % 30 = 0 THEN 'NOT_OK' ELSE 'OK' END, 'SYNCHRONIZE_TIME'
       FROM generate_series(10, $1::int, 10) i`, [N]);
  await h.db.query(
    `INSERT INTO request (correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, payload, priority, channel,
                          lock_key, status, attempts, result, created_at, updated_at, completed_at)
     SELECT 'bench-' || i, CASE WHEN i % 100 = 0 THEN $3 ELSE $2 END, 'bench', 'bench', 'E' || lpad((1 + i % $4::int)::text, 7, '0'), 'SYNCHRONIZE_TIME', '{}'::jsonb, 4, 'REST',
            'E' || lpad((1 + i % $4::int)::text, 7, '0'), 'DONE', 1, CASE WHEN i % 30 = 0 THEN 'NOT_OK' ELSE 'OK' END,
            now() - (i * 3600.0 / $1::int) * interval '1 second', now(), now() - (i * 3600.0 / $1::int) * interval '1 second' + interval '1 second'
       FROM generate_series(1, $1::int) i`, [REQUESTS, BIG, SMALL, N]);
  await h.db.query('ANALYZE');
  line(`seeded ${N} devices and ${REQUESTS} requests in ${((performance.now() - t) / 1000).toFixed(1)} s (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'})`);

  const tokens: Record<string, string> = {
    [BIG]: (await issueApiToken(h.db, BIG, 'bench')).token,
    [SMALL]: (await issueApiToken(h.db, SMALL, 'bench')).token,
    ADMIN: (await issueApiToken(h.db, 'OSGP', 'bench')).token,
  };
  const get = async (who: string, path: string): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${h.url!}/api/v1${path}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const measure = async (who: string, label: string, path: string) => {
    await get(who, path);
    const walls: number[] = [];
    const cpu0 = process.cpuUsage();
    let body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      body = await get(who, path);
      walls.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    walls.sort((a, b) => a - b);
    const size = body.devices?.length ?? body.requests?.length ?? body.points?.length ?? 0;
    line(`${who.padEnd(11)} ${label.padEnd(34)} median ${walls[2]!.toFixed(1).padStart(6)} ms, worst ${walls[4]!.toFixed(1).padStart(6)} ms, CPU ${((cpu.user + cpu.system) / 1000 / 5).toFixed(1).padStart(5)} ms/call  (${size} rows${body.total !== undefined ? `, total ${body.total}${body.totalCapped ? '+' : ''}` : ''})`);
    return body;
  };
  const middle = id('E', Math.floor(N / 2));
  for (const who of [BIG, 'ADMIN', SMALL]) {
    const first = await measure(who, 'first page (50)', '/fleet/devices?limit=50');
    const deep = await measure(who, 'page after the middle device', `/fleet/devices?limit=50&after=${middle}`);
    if (deep.previous) await measure(who, 'previous page (before)', `/fleet/devices?limit=50&before=${deep.previous}`);
    void first;
    await measure(who, 'prefix search E00499', '/fleet/devices?q=E00499');
    await measure(who, 'G-meters, SMR 5.1, uncoupled', '/fleet/devices?type=SMART_METER_G&protocol=SMR%205.1&coupled=false');
    await measure(who, 'last result NOT_OK', '/fleet/devices?lastResult=NOT_OK');
    await measure(who, 'no request yet, E-meters', '/fleet/devices?lastResult=NONE&type=SMART_METER_E');
    const requests = await measure(who, 'requests, newest 50', '/fleet/requests?limit=50');
    if (requests.next) await measure(who, 'requests, older page', `/fleet/requests?limit=50&before=${encodeURIComponent(requests.next)}`);
    await measure(who, 'requests NOT_OK', '/fleet/requests?result=NOT_OK&limit=50');
    await measure(who, 'requests per minute, 60 min', '/fleet/requests-per-minute?minutes=60');
  }
  line(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (shared and loaded: wall times are noisy)`);
} finally {
  await h.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
