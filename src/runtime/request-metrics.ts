/**
 * Request metrics read from the database at scrape time, so that every API and worker process sharing one
 * PostgreSQL reports the same truth: requests by operation and state/result, errors by code, queue depth.
 * One query per scrape at most every `minIntervalMs` (a burst of scrapes shares it).
 */
import { Gauge } from 'prom-client';
import type { Db } from '../platform/db/db.ts';
import { registry } from '../observability/metrics.ts';

interface Row {
  message_type: string;
  status: string;
  result: string | null;
  error_code: number | null;
  n: number;
}

let installed: { db: Db } | undefined;

export function installRequestMetrics(db: Db, minIntervalMs = 1000): void {
  if (installed) {
    installed.db = db;
    return;
  }
  installed = { db };
  let last = 0;
  let rows: Row[] = [];
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    if (Date.now() - last < minIntervalMs) return;
    pending ??= (async () => {
      try {
        const r = await installed!.db.query<Row>(
          `SELECT message_type, status, result, error_code, count(*)::int AS n FROM request GROUP BY message_type, status, result, error_code`,
        );
        rows = r.rows;
        last = Date.now();
      } finally {
        pending = undefined;
      }
    })();
    await pending;
  };
  new Gauge({
    name: 'meterfabric_requests',
    help: 'Device requests in the database (kept 7 days), by operation, state (QUEUED, RUNNING, RETRY, DONE) and result',
    labelNames: ['operation', 'state', 'result'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      this.reset();
      for (const r of rows) this.inc({ operation: r.message_type, state: r.status, result: r.result ?? '' }, r.n);
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
      for (const r of rows) if (r.error_code !== null) this.inc({ operation: r.message_type, code: String(r.error_code) }, r.n);
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
