-- Request counts for /metrics without counting the request table on every scrape (docs: src/platform/README.md
-- "Retention and metrics"). Statement-level triggers on request append one aggregated delta row per changed
-- (message_type, status, result, error_code) group to request_count_delta, in the same transaction as the change:
-- the counts are exactly as durable as the requests and the same for every process sharing the database. Deltas
-- are only appended (no row of the hot path is ever updated, so concurrent writers never wait on each other);
-- readers fold them into request_count now and then, so a read costs the number of groups plus the deltas since
-- the last fold, whatever the number of requests kept.

CREATE TABLE request_count (
  message_type text NOT NULL,
  status text NOT NULL,
  result text,
  error_code integer,
  n bigint NOT NULL
);
CREATE UNIQUE INDEX request_count_key ON request_count (message_type, status, result, error_code) NULLS NOT DISTINCT;

CREATE TABLE request_count_delta (
  message_type text NOT NULL,
  status text NOT NULL,
  result text,
  error_code integer,
  n integer NOT NULL
);

CREATE FUNCTION request_count_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO request_count_delta (message_type, status, result, error_code, n)
    SELECT message_type, status, result, error_code, count(*) FROM request_count_new GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END;
$$;

CREATE FUNCTION request_count_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO request_count_delta (message_type, status, result, error_code, n)
    SELECT message_type, status, result, error_code, sum(d) FROM (
      SELECT message_type, status, result, error_code, 1 AS d FROM request_count_new
      UNION ALL
      SELECT message_type, status, result, error_code, -1 AS d FROM request_count_old
    ) c GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0;
  RETURN NULL;
END;
$$;

CREATE FUNCTION request_count_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO request_count_delta (message_type, status, result, error_code, n)
    SELECT message_type, status, result, error_code, -count(*) FROM request_count_old GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END;
$$;

CREATE FUNCTION request_count_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM request_count;
  DELETE FROM request_count_delta;
  RETURN NULL;
END;
$$;

CREATE TRIGGER request_count_insert AFTER INSERT ON request REFERENCING NEW TABLE AS request_count_new
  FOR EACH STATEMENT EXECUTE FUNCTION request_count_on_insert();
CREATE TRIGGER request_count_update AFTER UPDATE ON request REFERENCING OLD TABLE AS request_count_old NEW TABLE AS request_count_new
  FOR EACH STATEMENT EXECUTE FUNCTION request_count_on_update();
CREATE TRIGGER request_count_delete AFTER DELETE ON request REFERENCING OLD TABLE AS request_count_old
  FOR EACH STATEMENT EXECUTE FUNCTION request_count_on_delete();
CREATE TRIGGER request_count_truncate AFTER TRUNCATE ON request
  FOR EACH STATEMENT EXECUTE FUNCTION request_count_on_truncate();

-- The requests already there, counted once.
INSERT INTO request_count (message_type, status, result, error_code, n)
  SELECT message_type, status, result, error_code, count(*) FROM request GROUP BY 1, 2, 3, 4;
