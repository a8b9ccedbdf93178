/**
 * Request metrics read from the database at scrape time, so that every API and worker process sharing one
 * PostgreSQL reports the same truth: requests by operation and state/result, errors by code, queue depth.
 * They come from the request counts the database keeps in the same transaction as each request change
 * (readRequestCounts, migration 0410), so a scrape costs the same whatever the number of requests kept, and the
 * counts are right after a restart. One read per scrape at most every `minIntervalMs` (a burst of scrapes shares it).
 */
import { Gauge } from 'prom-client';
import type { Db } from '../platform/db/db.ts';
import { readRequestCounts, type RequestCount } from '../platform/requests.ts';
import { registry } from '../observability/metrics.ts';

let installed: { db: Db } | undefined;

export function installRequestMetrics(db: Db, minIntervalMs = 1000): void {
  if (installed) {
    installed.db = db;
    return;
  }
  installed = { db };
  let last = 0;
  let rows: RequestCount[] = [];
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    if (Date.now() - last < minIntervalMs) return;
    pending ??= (async () => {
      try {
        rows = await readRequestCounts(installed!.db);
        last = Date.now();
      } finally {
        pending = undefined;
      }
    })();
    await pending;
  };
  new Gauge({
    name: 'meterfabric_requests',
    help: 'Device requests in the database (kept 7 days by default, METERFABRIC_RETENTION_REQUESTS_DAYS), by operation, state (QUEUED, RUNNING, RETRY, DONE) and result',
    labelNames: ['operation', 'state', 'result'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      this.reset();
      for (const r of rows) this.inc({ operation: r.messageType, state: r.status, result: r.result ?? '' }, r.n);
    },
  });
  new Gauge({
    name: 'meterfabric_request_errors',
    help: 'Requests that ended NOT_OK, by operation and GXF/meterfabric error code',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      this.reset();
      for (const r of rows) if (r.errorCode !== null) this.inc({ operation: r.messageType, code: String(r.errorCode) }, r.n);
    },
  });
  new Gauge({
    name: 'meterfabric_queue_depth',
    help: 'Requests accepted and not yet final',
    registers: [registry],
    async collect() {
      await refresh();
      this.set(rows.filter((r) => r.status !== 'DONE').reduce((a, r) => a + r.n, 0));
    },
  });
}
