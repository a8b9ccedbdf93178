/** `meterfabric request …`: look at requests, through the REST admin API of a running platform. */
import type { Command } from 'commander';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { channel } from './device.ts';
import { addClientOptions, adminCall, printTable, type ClientOptions } from '../admin-client.ts';

/**
 * The --payload of `request submit`, checked before anything is sent: a JSON object, an M-Bus channel 1..4, so a
 * mistake is an error here and not a failed request later.
 */
export function checkPayload(text: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--payload must be JSON', { component: 'SHARED' });
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, '--payload must be a JSON object', { component: 'SHARED' });
  const p = payload as Record<string, unknown>;
  if (p.channel !== undefined) channel(String(p.channel));
  return p;
}

export function register(program: Command): void {
  const request = program.command('request').description('submit, follow and inspect requests; rekey gateways (talks to a running platform)');

  addClientOptions(request.command('show <correlationUid>')).description('show a request, its response and its audit trail').action(async (id: string, o: ClientOptions) => {
    console.log(JSON.stringify(await adminCall(o, 'GET', `/requests/${encodeURIComponent(id)}`), null, 2));
  });

  addClientOptions(request.command('follow <correlationUid>'))
    .description('wait until the request has its final result, printing its state changes')
    .option('--timeout <seconds>', 'give up after this long', (v) => Number(v), 600)
    .action(async (id: string, o: ClientOptions & { timeout: number }) => {
      const deadline = Date.now() + o.timeout * 1000;
      let last = '';
      for (;;) {
        const r = await adminCall(o, 'GET', `/requests/${encodeURIComponent(id)}`);
        const state = `${r.request.status} attempts=${r.request.attempts} retries=${r.request.retries}`;
        if (state !== last) console.log(`${new Date().toISOString()} ${state}`);
        last = state;
        if (r.request.status === 'DONE') {
          console.log(JSON.stringify(r.response, null, 2));
          if (r.response?.result !== 'OK') process.exitCode = 2;
          return;
        }
        if (Date.now() > deadline) throw new Error(`no final result within ${o.timeout} s`);
        await new Promise((res) => setTimeout(res, 500));
      }
    });

  addClientOptions(request.command('list'))
    .description('list recent requests')
    .option('--organisation <org>', 'of this organisation')
    .option('--device <id>', 'for this device')
    .option('--status <s>', 'QUEUED, RUNNING, RETRY or DONE')
    .action(async (o: ClientOptions & { organisation?: string; device?: string; status?: string }) => {
      const q = new URLSearchParams();
      if (o.organisation) q.set('organisation', o.organisation);
      if (o.device) q.set('device', o.device);
      if (o.status) q.set('status', o.status);
      const { requests } = await adminCall(o, 'GET', `/requests?${q}`);
      printTable(requests, ['correlationUid', 'messageType', 'status', 'result', 'attempts', 'createdAt']);
    });

  addClientOptions(request.command('submit <messageType> <deviceIdentification>'))
    .description('submit a device request on behalf of an organisation (e.g. SET_MBUS_USER_KEY_BY_CHANNEL E0051004000000117 --payload \'{"channel":1}\' --for my-org)')
    .requiredOption('--for <organisation>', 'the organisation the request is made for (its authorisations apply)')
    .option('--payload <json>', 'operation data as JSON (src/platform/operations.ts)', '{}')
    .option('--priority <n>', 'message priority 0..9', (v) => Number(v))
    .option('--follow', 'wait for the final result')
    .action(async (messageType: string, device: string, o: ClientOptions & { for: string; payload: string; priority?: number; follow?: boolean }) => {
      const payload = checkPayload(o.payload);
      const r = await adminCall(o, 'POST', '/requests', {
        organisationIdentification: o.for, deviceIdentification: device, messageType, payload,
        ...(o.priority !== undefined ? { priority: o.priority } : {}),
      });
      console.log(r.correlationUid);
      if (o.follow) {
        const [final] = await waitAll(o, [r.correlationUid], () => undefined);
        console.log(JSON.stringify(final, null, 2));
        if (final?.result !== 'OK') process.exitCode = 2;
      }
    });

  addClientOptions(request.command('rekey <gateways...>'))
    .description('set a new M-Bus user key on every coupled gas meter of these gateways, with progress (bounded by the platform\'s throttling)')
    .requiredOption('--for <organisation>', 'the organisation the requests are made for')
    .action(async (gateways: string[], o: ClientOptions & { for: string }) => {
      const r = await adminCall(o, 'POST', '/rekey', { organisationIdentification: o.for, gateways });
      for (const x of r.refused) console.error(`${x.gateway}: refused ${x.code} ${x.message}`);
      const ids: string[] = r.submitted.map((s: { correlationUid: string }) => s.correlationUid);
      const results = await waitAll(o, ids, (done, failed) => process.stderr.write(`\rrekey: ${done + failed}/${ids.length} final (${failed} NOT OK)`));
      process.stderr.write('\n');
      const failed = results.filter((x) => x?.result !== 'OK').length;
      console.log(JSON.stringify({ requested: ids.length, ok: ids.length - failed, notOk: failed, refused: r.refused.length }));
      if (failed || r.refused.length) process.exitCode = 2;
    });
}

/** Polls the requests until every one is final, reporting progress. */
async function waitAll(o: ClientOptions, ids: string[], progress: (done: number, failed: number) => void): Promise<any[]> {
  const results = new Map<string, any>();
  while (results.size < ids.length) {
    for (const id of ids.filter((x) => !results.has(x)).slice(0, 200)) {
      const r = await adminCall(o, 'GET', `/requests/${encodeURIComponent(id)}`);
      if (r.request.status === 'DONE') results.set(id, r.response);
    }
    const failed = [...results.values()].filter((x) => x?.result !== 'OK').length;
    progress(results.size - failed, failed);
    if (results.size < ids.length) await new Promise((res) => setTimeout(res, 500));
  }
  return ids.map((id) => results.get(id));
}
