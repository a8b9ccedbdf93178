/**
 * Retention of keys and of the secret audit (src/secrets/README.md "Retention"); run by the platform's retention
 * task (src/platform/retention.ts) with its batches, pauses and lease.
 *
 * A key is deleted only when all of these hold:
 * - it is retired: EXPIRED (replaced by a newer ACTIVE key) or WITHDRAWN (never activated; a key marked sent is
 *   withdrawn only once it is known not to be on the device) — NEW and ACTIVE keys are never deleted, and the
 *   database refuses it too (migration 0412);
 * - it was retired longer ago than the period (METERFABRIC_RETENTION_RETIRED_KEYS_DAYS, default 365 days);
 * - it is not the newest key of its device and type, and an EXPIRED key is not the most recent EXPIRED one: the key
 *   a device had just before its current one is kept for recovery (SecretStore.getById) however old it is.
 * Each deletion is audited (action PURGE, actor `retention`). A secret audit row is deleted when older than its period (METERFABRIC_RETENTION_SECRET_AUDIT_DAYS, default 365
 * days) and the key it names is no longer kept (or it names none): the history of every kept key stays whole.
 */
import type { Db } from '../platform/db/db.ts';
import { cutoff, type RetentionStep } from '../platform/retention.ts';

/** Both statements run with meterfabric.retention = 'on' in their own transaction, which the guards of migration 0412 require. */
async function asRetention(db: Db, sql: string, params: unknown[]): Promise<number> {
  return db.tx(async (q) => {
    await q.query(`SELECT set_config('meterfabric.retention', 'on', true)`);
    return (await q.query(sql, params)).rowCount;
  });
}

export const SECRET_RETENTION_STEPS: readonly RetentionStep[] = [
  {
    name: 'retired keys',
    async purge(db, ctx) {
      const before = cutoff(ctx, ctx.policy.retiredSecretsMs);
      if (!before) return 0;
      return asRetention(
        db,
        `WITH gone AS (
           DELETE FROM secret WHERE id IN (
             SELECT s.id FROM secret s
              WHERE s.status IN ('EXPIRED', 'WITHDRAWN') AND COALESCE(s.expired_at, s.withdrawn_at) < $1
                AND EXISTS (SELECT 1 FROM secret n WHERE n.device_identification = s.device_identification AND n.secret_type = s.secret_type
                              AND n.id > s.id AND (s.status = 'WITHDRAWN' OR n.status = 'EXPIRED'))
              ORDER BY COALESCE(s.expired_at, s.withdrawn_at) LIMIT $2)
             AND status IN ('EXPIRED', 'WITHDRAWN')
           RETURNING id, device_identification, secret_type, status)
         INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, actor, reason)
         SELECT device_identification, secret_type, id, 'PURGE', status, 'retention', 'retired key past its retention period' FROM gone`,
        [before, ctx.policy.batchSize],
      );
    },
  },
  {
    name: 'secret audit',
    async purge(db, ctx) {
      const before = cutoff(ctx, ctx.policy.secretAuditMs);
      if (!before) return 0;
      return asRetention(
        db,
        `DELETE FROM secret_audit WHERE id IN (
           SELECT a.id FROM secret_audit a
            WHERE a.at < $1 AND (a.secret_id IS NULL OR NOT EXISTS (SELECT 1 FROM secret s WHERE s.id = a.secret_id))
            ORDER BY a.at LIMIT $2)`,
        [before, ctx.policy.batchSize],
      );
    },
  },
];
