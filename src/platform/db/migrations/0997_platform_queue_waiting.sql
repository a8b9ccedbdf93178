-- Jobs due far ahead wait outside the ready index. A claim walks request_job_ready in queue order and skips the jobs
-- that are not due yet, since "due" depends on the clock and cannot be an index condition. Requests scheduled for
-- tonight (a ScheduleTime) or retries with a long delay, accepted before today's requests, came first in that order:
-- 50,000 of them made every claim read them all (21–31 ms per claim on the embedded database). A job written due more
-- than src/platform/queue.ts's WAIT_AHEAD_MS ahead is marked waiting; each process's queue clears the mark of the jobs
-- that come due within that time, a few seconds before they are due (request_job_waiting keeps that cheap).
ALTER TABLE request_job ADD COLUMN waiting boolean NOT NULL DEFAULT false;
UPDATE request_job SET waiting = true WHERE lease_owner IS NULL AND run_after > now() + interval '10 seconds';
DROP INDEX request_job_ready;
CREATE INDEX request_job_ready ON request_job (priority DESC, submitted_at, id) WHERE NOT leased AND NOT waiting;
CREATE INDEX request_job_waiting ON request_job (run_after) WHERE waiting;
