-- Bulk jobs (src/platform/bulk-jobs.ts): one catalogue operation with one payload for a selected set of devices,
-- submitted device by device as ordinary requests of the organisation that started the job. The job and its items
-- are the durable record: progress is counted from the items and their requests, and a job whose items are not all
-- submitted yet is taken up again after a restart.
CREATE TABLE bulk_job (
  id text PRIMARY KEY,
  organisation_identification text NOT NULL REFERENCES organisation (identification),
  user_name text NOT NULL,
  message_type text NOT NULL,
  payload jsonb NOT NULL,
  -- What the devices were chosen by (a list, or a fleet filter), for the record.
  selection jsonb NOT NULL,
  total integer NOT NULL,
  -- SUBMITTING until every item has a request (or a refusal), then SUBMITTED; CANCELLED stops submitting.
  state text NOT NULL DEFAULT 'SUBMITTING' CHECK (state IN ('SUBMITTING', 'SUBMITTED', 'CANCELLED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz
);
CREATE INDEX bulk_job_org_created ON bulk_job (organisation_identification, created_at DESC);
CREATE INDEX bulk_job_open ON bulk_job (created_at) WHERE state = 'SUBMITTING';

CREATE TABLE bulk_job_item (
  job_id text NOT NULL REFERENCES bulk_job (id) ON DELETE CASCADE,
  -- Order of submission (the order the devices were chosen in).
  seq integer NOT NULL,
  device_identification text NOT NULL,
  correlation_uid text,
  -- Set when the platform refused the submission (no request then).
  error_code integer,
  PRIMARY KEY (job_id, seq)
);
CREATE UNIQUE INDEX bulk_job_item_device ON bulk_job_item (job_id, device_identification);
CREATE INDEX bulk_job_item_unsubmitted ON bulk_job_item (job_id, seq) WHERE correlation_uid IS NULL AND error_code IS NULL;
