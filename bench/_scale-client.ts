/**
 * The operator's REST client of bench/scale.ts, in its own process, so that its CPU is not counted as the platform's.
 * It does what a GXF client does with an asynchronous request: submit (POST → 202 {correlationUid}), wait for the
 * notification (the organisation's JSON webhook, which this process serves on loopback) and then fetch the result
 * once (GET /api/v1/responses/{correlationUid}).
 *
 *   node --import tsx bench/_scale-client.ts --url URL --token TOKEN --org ORG --submitters 32
 *
 * Prints {"webhook":"http://127.0.0.1:PORT/notify"} once it listens. Then reads commands from stdin, one JSON line
 * each: {"run":[gateway ids…]} submits one SetMbusUserKeyByChannel per gateway (at most `--submitters` POSTs open at
 * a time) and answers, once every result was fetched, with one JSON line: wall time (first submit to last result
 * fetched), how long the POSTs took (p50, p90, max: the caller's wait for 202), results by outcome, notifications
 * received, result fetches, and this process's CPU during the run.
 */
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';

const arg = (name: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} is required`);
  return process.argv[i + 1]!;
};
const URL_BASE = arg('url');
const TOKEN = arg('token');
const ORG = arg('org');
const SUBMITTERS = Number(arg('submitters'));
const headers = { 'x-organisation-identification': ORG, authorization: `Bearer ${TOKEN}` };
// node:http with kept-alive connections, one per submitter (and as many for result fetches): it costs this process
// about half the CPU per request of fetch(), and this process shares the machine's cores with the platform.
const agent = new Agent({ keepAlive: true, maxSockets: SUBMITTERS * 2 });

/** One HTTP exchange with the head-end: status and parsed JSON body. */
function call(method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, URL_BASE);
    const req = request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The run in progress: correlation uids submitted, notified, fetched. */
interface Run {
  expected: number;
  fetched: Map<string, string>;
  notified: number;
  fetches: number;
  /** ms after the first submit: last notification received; slowest result fetch (notification to answer). */
  lastNotifiedMs: number;
  slowestFetchMs: number;
  t0: number;
  done: () => void;
}
let current: Run | undefined;

async function fetchResult(run: Run, correlationUid: string): Promise<void> {
  run.fetches++;
  const asked = performance.now();
  const res = await call('GET', `/api/v1/responses/${encodeURIComponent(correlationUid)}`);
  run.slowestFetchMs = Math.max(run.slowestFetchMs, performance.now() - asked);
  run.fetched.set(correlationUid, res.status === 200 ? String(res.json.result ?? 'NONE') : `HTTP ${res.status}`);
  if (run.fetched.size === run.expected) run.done();
}

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let s = '';
  req.on('data', (d: Buffer) => (s += d.toString()));
  req.on('end', () => resolve(s));
});

const server = createServer(async (req, res) => {
  const text = await body(req);
  res.writeHead(204).end();
  const run = current;
  if (!run) return;
  const n = JSON.parse(text) as { correlationUid: string };
  run.notified++;
  run.lastNotifiedMs = Math.max(run.lastNotifiedMs, performance.now() - run.t0);
  // One fetch per notification: the notification says the result is there.
  if (!run.fetched.has(n.correlationUid)) void fetchResult(run, n.correlationUid).catch((e) => process.stderr.write(`fetch failed: ${e}\n`));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;
process.stdout.write(JSON.stringify({ webhook: `http://127.0.0.1:${port}/notify` }) + '\n');

async function submit(gateway: string): Promise<string> {
  const res = await call('POST', `/api/v1/devices/${gateway}/mbus/channels/1/user-key`, '{}');
  if (res.status !== 202 || typeof res.json.correlationUid !== 'string') throw new Error(`submit ${gateway}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.correlationUid;
}

async function run(gateways: string[]): Promise<object> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const r: Run = { expected: gateways.length, fetched: new Map(), notified: 0, fetches: 0, lastNotifiedMs: 0, slowestFetchMs: 0, t0, done };
  current = r;
  let next = 0;
  const submitMs: number[] = [];
  await Promise.all(Array.from({ length: Math.min(SUBMITTERS, gateways.length) }, async () => {
    while (next < gateways.length) {
      const asked = performance.now();
      await submit(gateways[next++]!);
      submitMs.push(performance.now() - asked);
    }
  }));
  const submitted = performance.now() - t0;
  submitMs.sort((a, b) => a - b);
  const pct = (q: number) => submitMs[Math.min(submitMs.length - 1, Math.floor(q * submitMs.length))] ?? 0;
  await finished;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  current = undefined;
  const results: Record<string, number> = {};
  for (const v of r.fetched.values()) results[v] = (results[v] ?? 0) + 1;
  return { wallMs: wall, submittedMs: submitted, submitLatencyMs: { p50: pct(0.5), p90: pct(0.9), max: pct(1) }, results, notified: r.notified, fetches: r.fetches, lastNotifiedMs: r.lastNotifiedMs, slowestFetchMs: r.slowestFetchMs, correlationUids: [...r.fetched.keys()], cpuMs: (cpu.user + cpu.system) / 1000 };
}

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { run?: string[] };
  if (cmd.run) process.stdout.write(JSON.stringify(await run(cmd.run)) + '\n');
}
server.close();
