-- The request queue in meterfabric's own schema (src/platform/queue.ts), replacing pg-boss.
-- A row is one request's turn to run: due from run_after, ordered by priority (high first) and the request's
-- acceptance time (submitted_at), leased by one worker at a time (lease_owner, lease_expires_at, renewed while the
-- job runs). Completing a job deletes its row.
CREATE TABLE request_job (
  id uuid PRIMARY KEY,
  correlation_uid text NOT NULL,
  -- The exchange lock key (the gateway): jobs of one key start one at a time, in order.
  lock_key text NOT NULL,
  priority smallint NOT NULL,
  submitted_at timestamptz NOT NULL,
  run_after timestamptz NOT NULL,
  deliveries int NOT NULL DEFAULT 0,
  lease_owner text,
  lease_expires_at timestamptz
);
CREATE INDEX request_job_ready ON request_job (priority DESC, submitted_at, id) WHERE lease_owner IS NULL;
CREATE INDEX request_job_gateway ON request_job (lock_key, priority DESC, submitted_at, id);
CREATE INDEX request_job_lease ON request_job (lease_expires_at) WHERE lease_owner IS NOT NULL;

-- Requests still open when this runs get a job in the new queue (their pg-boss jobs are dropped below).
UPDATE request SET job_id = gen_random_uuid(), status = CASE WHEN status = 'RUNNING' THEN 'QUEUED' ELSE status END
 WHERE status <> 'DONE';
INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after)
SELECT job_id, correlation_uid, lock_key, priority, created_at, COALESCE(schedule_time, now()) FROM request WHERE status <> 'DONE';

-- What meterfabric kept in pg-boss's schema: its index, its two queues and their jobs. The schema goes when nothing
-- else uses it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgboss') THEN
    DROP INDEX IF EXISTS pgboss.meterfabric_job_fetch;
    IF to_regclass('pgboss.queue') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pgboss.queue WHERE name NOT IN ('meterfabric.request', 'meterfabric.request.dead')) THEN
      DROP SCHEMA pgboss CASCADE;
    ELSIF to_regclass('pgboss.job') IS NOT NULL THEN
      DELETE FROM pgboss.job WHERE name IN ('meterfabric.request', 'meterfabric.request.dead');
      DELETE FROM pgboss.queue WHERE name IN ('meterfabric.request', 'meterfabric.request.dead');
    END IF;
  END IF;
END $$;
