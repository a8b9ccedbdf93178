-- The console's fleet view (src/platform/fleet.ts): searching and paging 100,000 devices on the server, the last
-- contact and last result of every device, each attempt of a request, and requests per minute by result.

-- Search by identification prefix (LIKE 'E005%') whatever the database's collation; keyset paging uses the key.
CREATE INDEX device_identification_prefix ON device (device_identification text_pattern_ops);
-- Filters by type and protocol walk the key order within the filter.
CREATE INDEX device_type_identification ON device (device_type, device_identification);
CREATE INDEX device_protocol_identification ON device (protocol_name, protocol_version, device_identification);
-- An organisation's devices in key order (the fleet of a USER organisation; owner filter).
CREATE INDEX device_authorisation_org_device ON device_authorisation (organisation_identification, device_identification);

-- Last contact (a successful association, written by the link) and last result (the latest finished request) of a
-- device. One row per device that has either; rows go with the device.
CREATE TABLE device_activity (
  device_identification text PRIMARY KEY REFERENCES device (device_identification) ON DELETE CASCADE,
  last_contact_at timestamptz,
  last_request_at timestamptz,
  last_result text CHECK (last_result IN ('OK', 'NOT_OK', 'NOT_FOUND')),
  last_error_code integer,
  last_message_type text,
  last_correlation_uid text
);
CREATE INDEX device_activity_result ON device_activity (last_result, device_identification);

-- Each execution of a request: when it started (the request was claimed, attempts + 1) and ended, and how
-- (OK / NOT_OK / NOT_FOUND when it finished the request, RETRY when a retry was scheduled, REQUEUED when the
-- request was handed back without counting as a retry, e.g. a denied connection permit), with the time its next
-- execution was due. Written by triggers on request and request_job, so every writer of the request flow records
-- them in its own statement.
CREATE TABLE request_attempt (
  correlation_uid text NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  outcome text CHECK (outcome IN ('OK', 'NOT_OK', 'NOT_FOUND', 'RETRY', 'REQUEUED')),
  error_code integer,
  next_attempt_at timestamptz,
  PRIMARY KEY (correlation_uid, attempt)
);
CREATE INDEX request_attempt_started ON request_attempt (started_at);

CREATE FUNCTION request_fleet_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.attempts > OLD.attempts THEN
    INSERT INTO request_attempt (correlation_uid, attempt, started_at) VALUES (NEW.correlation_uid, NEW.attempts, now())
      ON CONFLICT (correlation_uid, attempt) DO UPDATE SET started_at = EXCLUDED.started_at, ended_at = NULL, outcome = NULL, error_code = NULL, next_attempt_at = NULL;
  END IF;
  IF OLD.status = 'RUNNING' AND NEW.status <> 'RUNNING' THEN
    UPDATE request_attempt SET ended_at = now(),
        outcome = CASE WHEN NEW.status = 'DONE' THEN NEW.result WHEN NEW.status = 'RETRY' AND NEW.retries > OLD.retries THEN 'RETRY' ELSE 'REQUEUED' END,
        error_code = NEW.error_code,
        next_attempt_at = CASE WHEN NEW.status = 'DONE' THEN NULL ELSE (SELECT run_after FROM request_job WHERE id = NEW.job_id) END
      WHERE correlation_uid = NEW.correlation_uid AND attempt = OLD.attempts AND ended_at IS NULL;
  END IF;
  IF NEW.status = 'DONE' AND OLD.status <> 'DONE' THEN
    INSERT INTO device_activity (device_identification, last_request_at, last_result, last_error_code, last_message_type, last_correlation_uid)
      SELECT NEW.device_identification, now(), NEW.result, NEW.error_code, NEW.message_type, NEW.correlation_uid
       WHERE EXISTS (SELECT 1 FROM device WHERE device_identification = NEW.device_identification)
      ON CONFLICT (device_identification) DO UPDATE SET last_request_at = EXCLUDED.last_request_at, last_result = EXCLUDED.last_result,
        last_error_code = EXCLUDED.last_error_code, last_message_type = EXCLUDED.last_message_type, last_correlation_uid = EXCLUDED.last_correlation_uid;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER request_fleet_update AFTER UPDATE ON request FOR EACH ROW
  WHEN (NEW.attempts <> OLD.attempts OR NEW.status IS DISTINCT FROM OLD.status)
  EXECUTE FUNCTION request_fleet_on_update();

-- The job of a retry may be written after the request in the same statement: it then fills in the due time.
CREATE FUNCTION request_job_fleet_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE request_attempt a SET next_attempt_at = NEW.run_after
    FROM request r
   WHERE r.correlation_uid = NEW.correlation_uid AND r.job_id = NEW.id
     AND a.correlation_uid = NEW.correlation_uid AND a.attempt = r.attempts AND a.ended_at IS NOT NULL AND a.next_attempt_at IS NULL
     AND a.outcome IN ('RETRY', 'REQUEUED');
  RETURN NULL;
END;
$$;

CREATE TRIGGER request_job_fleet_insert AFTER INSERT ON request_job FOR EACH ROW EXECUTE FUNCTION request_job_fleet_on_insert();

-- The request list: every organisation's newest first (ADMIN), filtered by result; requests per minute.
CREATE INDEX request_created ON request (created_at DESC, correlation_uid DESC);
CREATE INDEX request_completed ON request (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX request_org_completed ON request (organisation_identification, completed_at) WHERE completed_at IS NOT NULL;
