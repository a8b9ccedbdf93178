-- The secret store's lifecycle writes of the M-Bus key operations (src/secrets/store.ts: getOrGeneratePending,
-- markSent, activate), each one statement instead of a transaction of five to seven round trips (BEGIN, advisory
-- lock, row select, change, audit, COMMIT). The function runs the same steps in the same order inside the
-- statement's transaction: it takes the (device, type) advisory lock first, then reads the row, so the row is
-- read after the lock is held exactly as before. The store sends the writes of concurrent operations as one
-- statement (group commit: one transaction, one WAL flush for all of them), each item with its own outcome.
--
-- Functional refusals are returned as an outcome, never raised, so one caller's refusal never fails another
-- caller's write in the same statement. Anything raised (a constraint, a guard trigger) fails the statement; the
-- store then runs its items one by one, so only the caller at fault gets the error.
--
-- item: {op: 'pending'|'sent'|'activate', d: device, t: type, id: secret id, actor, reason}
--       'pending' also: origin, action, kek (KEK id), ct, nonce, wk (hex; sealed in the process under that KEK and id)
-- result: {outcome: 'ok'|'reused'|'state'|'absent'|'fenced', status?, id?, kek?, ct?, nonce?, wk? (the reused row)}
CREATE FUNCTION secret_write(item jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  op text := item->>'op';
  d text := item->>'d';
  t text := item->>'t';
  sid bigint := (item->>'id')::bigint;
  r record;
  previous bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(d || '/' || t, 7431100));
  IF op = 'pending' THEN
    SELECT s.id, s.ciphertext, s.nonce, s.wrapped_key, s.kek_id INTO r FROM secret s
     WHERE s.device_identification = d AND s.secret_type = t AND s.status = 'NEW';
    IF FOUND THEN
      INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
      VALUES (d, t, r.id, 'REUSE', 'NEW', 'NEW', item->>'actor', item->>'reason');
      RETURN jsonb_build_object('outcome', 'reused', 'id', r.id, 'kek', r.kek_id,
        'ct', encode(r.ciphertext, 'hex'), 'nonce', encode(r.nonce, 'hex'), 'wk', encode(r.wrapped_key, 'hex'));
    END IF;
    -- Holds the KEK row FOR SHARE until commit, so a rotation cannot retire it under this insert.
    PERFORM 1 FROM secret_kek WHERE id = (item->>'kek')::int AND status = 'CURRENT' FOR SHARE;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'fenced');
    END IF;
    INSERT INTO secret (id, device_identification, secret_type, status, origin, ciphertext, nonce, wrapped_key, kek_id)
    VALUES (sid, d, t, 'NEW', item->>'origin', decode(item->>'ct', 'hex'), decode(item->>'nonce', 'hex'), decode(item->>'wk', 'hex'), (item->>'kek')::int);
    INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
    VALUES (d, t, sid, item->>'action', NULL, 'NEW', item->>'actor', item->>'reason');
    RETURN jsonb_build_object('outcome', 'ok', 'id', sid);
  END IF;

  SELECT s.status, s.sent_at INTO r FROM secret s
   WHERE s.id = sid AND s.device_identification = d AND s.secret_type = t FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'absent');
  END IF;

  IF op = 'sent' THEN
    IF r.status = 'ACTIVE' OR (r.status = 'NEW' AND r.sent_at IS NOT NULL) THEN
      RETURN jsonb_build_object('outcome', 'ok');
    END IF;
    IF r.status <> 'NEW' THEN
      RETURN jsonb_build_object('outcome', 'state', 'status', r.status);
    END IF;
    UPDATE secret SET sent_at = now() WHERE id = sid;
    INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
    VALUES (d, t, sid, 'MARK_SENT', 'NEW', 'NEW', item->>'actor', item->>'reason');
    RETURN jsonb_build_object('outcome', 'ok');
  END IF;

  IF op = 'activate' THEN
    IF r.status = 'ACTIVE' THEN
      RETURN jsonb_build_object('outcome', 'ok');
    END IF;
    IF r.status <> 'NEW' THEN
      RETURN jsonb_build_object('outcome', 'state', 'status', r.status);
    END IF;
    -- Expire first: the one-ACTIVE index must hold after every statement.
    UPDATE secret SET status = 'EXPIRED', expired_at = now()
     WHERE device_identification = d AND secret_type = t AND status = 'ACTIVE'
    RETURNING id INTO previous;
    IF previous IS NOT NULL THEN
      INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
      VALUES (d, t, previous, 'EXPIRE', 'ACTIVE', 'EXPIRED', item->>'actor', item->>'reason');
    END IF;
    UPDATE secret SET status = 'ACTIVE', activated_at = now() WHERE id = sid;
    INSERT INTO secret_audit (device_identification, secret_type, secret_id, action, from_status, to_status, actor, reason)
    VALUES (d, t, sid, 'ACTIVATE', 'NEW', 'ACTIVE', item->>'actor', item->>'reason');
    RETURN jsonb_build_object('outcome', 'ok');
  END IF;

  RAISE EXCEPTION 'secret_write: unknown op %', op;
END;
$$;
