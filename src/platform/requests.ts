/**
 * Reads of the request table outside the request flow of platform.ts (which owns its writes), and the request
 * counts that /metrics shows.
 */
import type { Db, Queryable } from './db/db.ts';

/**
 * Whether a request of this message type, by this user, for this channel of the device was accepted within the
 * last `withinMs` (the payload's `channel`).
 */
export async function hasRecentChannelRequest(
  q: Queryable,
  r: { deviceIdentification: string; messageType: string; userName: string; channel: number; withinMs: number },
): Promise<boolean> {
  const x = await q.query(
    `SELECT 1 FROM request WHERE device_identification = $1 AND message_type = $2 AND user_name = $5
        AND (payload->>'channel')::int = $3 AND created_at > now() - ($4::int * interval '1 millisecond') LIMIT 1`,
    [r.deviceIdentification, r.messageType, r.channel, r.withinMs, r.userName],
  );
  return x.rowCount > 0;
}

/** Requests in the database now, per operation, state, result and error code (groups with none left out). */
export interface RequestCount {
  messageType: string;
  status: string;
  result: string | null;
  errorCode: number | null;
  n: number;
}

/** Any number; one transaction-scoped advisory lock key, so that only one reader folds at a time. */
const FOLD_LOCK = 7431410;

/**
 * Folds the appended count deltas (migration 0410) into request_count, when no other process is folding them
 * right now. Its cost is the number of deltas since the last fold, not the number of requests kept.
 */
export async function foldRequestCounts(q: Queryable): Promise<void> {
  const locked = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [FOLD_LOCK]);
  if (!locked.rows[0]?.locked) return;
  await q.query(
    `WITH moved AS (DELETE FROM request_count_delta RETURNING message_type, status, result, error_code, n)
     INSERT INTO request_count (message_type, status, result, error_code, n)
     SELECT message_type, status, result, error_code, sum(n) FROM moved GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
     ON CONFLICT (message_type, status, result, error_code) DO UPDATE SET n = request_count.n + EXCLUDED.n`,
  );
  await q.query('DELETE FROM request_count WHERE n = 0');
}

/**
 * The request counts: folds what it may (foldRequestCounts), then reads the counts plus the deltas still
 * unfolded in one statement. Never reads the request table.
 */
export async function readRequestCounts(db: Db): Promise<RequestCount[]> {
  return db.tx(async (q) => {
    await foldRequestCounts(q);
    const r = await q.query<{ message_type: string; status: string; result: string | null; error_code: number | null; n: number }>(
      `SELECT message_type, status, result, error_code, sum(n)::int AS n FROM (
         SELECT message_type, status, result, error_code, n FROM request_count
         UNION ALL
         SELECT message_type, status, result, error_code, n FROM request_count_delta
       ) c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4`,
    );
    return r.rows.map((x) => ({ messageType: x.message_type, status: x.status, result: x.result, errorCode: x.error_code, n: Number(x.n) }));
  });
}
