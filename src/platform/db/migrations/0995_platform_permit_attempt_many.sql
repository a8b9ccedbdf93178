-- Several connection permits in one call (src/platform/permits.ts): a process asks once for all of its callers that
-- wait at that moment, instead of once per caller. The rules are those of connection_permit_attempt (0501): the lock
-- row first, then sweep, count and insert in one statement under READ COMMITTED; the permits are granted in array
-- order, as many as both limits leave room for (a prefix of the array), and the call answers with the counts before
-- the grant and how many were granted.
CREATE FUNCTION connection_permit_attempt_many(p_permits uuid[], p_holder text, p_devices text[], p_priorities smallint[], p_lease_ms float8, p_max_open int, p_per_second int)
RETURNS TABLE (open int, recent int, rate_free_in_ms float8, granted int) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'connection_permit_attempt_many needs READ COMMITTED, not %', current_setting('transaction_isolation') USING ERRCODE = '25001';
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
  wanted AS (
    SELECT w.permit_id, w.device, w.priority, w.n
      FROM unnest(p_permits, p_devices, p_priorities) WITH ORDINALITY AS w(permit_id, device, priority, n)
  ),
  inserted AS (
    INSERT INTO connection_permit (permit_id, holder, device_identification, priority, acquired_at, expires_at)
    SELECT w.permit_id, p_holder, w.device, w.priority, clock.t, clock.t + p_lease_ms * interval '1 millisecond'
      FROM wanted w, usage, clock
     WHERE w.n <= LEAST(p_max_open - usage.open, p_per_second - usage.recent)
    RETURNING 1
  )
  SELECT usage.open, usage.recent,
         -- When the window holds no permit yet, the first one granted now frees its slot a second from now.
         COALESCE(extract(epoch FROM usage.oldest + interval '1 second' - clock.t) * 1000, 1000)::float8,
         (SELECT count(*)::int FROM inserted)
    FROM usage, clock;
END;
$$;
