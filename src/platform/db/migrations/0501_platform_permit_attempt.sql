-- One attempt at a connection permit (src/platform/permits.ts) as one statement instead of a transaction of four
-- (BEGIN ISOLATION LEVEL READ COMMITTED, lock row, attempt, COMMIT). The function takes the lock row first and
-- then counts in a statement of its own: under READ COMMITTED every statement of a function takes a new snapshot,
-- so the count sees every permit committed by earlier lock holders, exactly as the two-statement transaction did.
-- Under any other isolation level that would not hold, so the function refuses (SQLSTATE 25001) and the caller
-- falls back to the explicit transaction.
CREATE FUNCTION connection_permit_attempt(p_permit uuid, p_holder text, p_device text, p_priority smallint, p_lease_ms float8, p_max_open int, p_per_second int)
RETURNS TABLE (open int, recent int, rate_free_in_ms float8, permit_id text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'connection_permit_attempt needs READ COMMITTED, not %', current_setting('transaction_isolation') USING ERRCODE = '25001';
  END IF;
  PERFORM 1 FROM connection_permit_lock WHERE id = 1 FOR UPDATE;
  RETURN QUERY
  WITH clock AS (SELECT clock_timestamp() AS t),
  swept AS (
    DELETE FROM connection_permit p USING clock
     WHERE (p.released_at IS NOT NULL OR p.expires_at <= clock.t) AND p.acquired_at <= clock.t - interval '1 second'
  ),
  usage AS (
    SELECT count(*) FILTER (WHERE p.released_at IS NULL AND p.expires_at > clock.t)::int AS open,
           count(*) FILTER (WHERE p.acquired_at > clock.t - interval '1 second')::int AS recent,
           min(p.acquired_at) FILTER (WHERE p.acquired_at > clock.t - interval '1 second') AS oldest
      FROM connection_permit p CROSS JOIN clock
  ),
  granted AS (
    INSERT INTO connection_permit (permit_id, holder, device_identification, priority, acquired_at, expires_at)
    SELECT p_permit, p_holder, p_device, p_priority, clock.t, clock.t + p_lease_ms * interval '1 millisecond'
      FROM usage, clock
     WHERE usage.open < p_max_open AND usage.recent < p_per_second
    RETURNING connection_permit.permit_id
  )
  SELECT usage.open, usage.recent,
         (extract(epoch FROM usage.oldest + interval '1 second' - clock.t) * 1000)::float8,
         (SELECT g.permit_id::text FROM granted g)
    FROM usage, clock;
END;
$$;
