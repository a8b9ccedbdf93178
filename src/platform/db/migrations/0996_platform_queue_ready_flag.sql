-- The claim of src/platform/queue.ts must cost what it claims, not what is queued. It walks the ready jobs in queue
-- order through request_job_ready and stops at its LIMIT; the other plan, reading every ready job, checking each
-- against its gateway's earlier jobs and sorting them all, took 1 s per claim on the embedded database with 50,000
-- jobs queued, and 0.9 s on PostgreSQL before its first ANALYZE of the table. The planner took that plan whenever it
-- estimated the ready jobs from `lease_owner IS NULL` without column statistics: it assumes 0.5 % of the rows are
-- NULL, so a queue of thousands looked like a handful of rows. A queue table has no lasting statistics on the embedded
-- database (src/platform/db/upkeep.ts), so the ready condition is a boolean column, estimated at half the rows
-- without statistics, and the ready index is keyed on it.
ALTER TABLE request_job ADD COLUMN leased boolean GENERATED ALWAYS AS (lease_owner IS NOT NULL) STORED;
DROP INDEX request_job_ready;
CREATE INDEX request_job_ready ON request_job (priority DESC, submitted_at, id) WHERE NOT leased;
