/** `meterfabric request …`: look at requests, through the REST admin API of a running platform. */
import type { Command } from 'commander';
import { addClientOptions, adminCall, printTable, type ClientOptions } from '../admin-client.ts';

export function register(program: Command): void {
  const request = program.command('request').description('inspect requests (talks to a running platform)');

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
}
