-- Retention of retired keys and of the secret audit (src/secrets/retention.ts, src/secrets/README.md "Retention").
-- Secret rows and secret audit rows stay undeletable by ordinary statements. A retention pass sets the
-- transaction-local setting meterfabric.retention = 'on'; only then may it delete an EXPIRED or WITHDRAWN key
-- (never a NEW or ACTIVE one, whatever the statement says) or a secret audit row.

CREATE INDEX secret_retired ON secret ((COALESCE(expired_at, withdrawn_at))) WHERE status IN ('EXPIRED', 'WITHDRAWN');
CREATE INDEX secret_audit_at ON secret_audit (at);

CREATE OR REPLACE FUNCTION secret_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('meterfabric.retention', true) = 'on' AND OLD.status IN ('EXPIRED', 'WITHDRAWN') THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'secret rows are never deleted (only retired keys, by retention)';
  END IF;
  IF NEW.device_identification <> OLD.device_identification OR NEW.secret_type <> OLD.secret_type
     OR NEW.ciphertext <> OLD.ciphertext OR NEW.nonce <> OLD.nonce OR NEW.origin <> OLD.origin
     OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'secret identity and ciphertext are immutable';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
       (OLD.status = 'NEW' AND NEW.status IN ('ACTIVE', 'WITHDRAWN'))
    OR (OLD.status = 'ACTIVE' AND NEW.status = 'EXPIRED')) THEN
    RAISE EXCEPTION 'secret status % -> % is not allowed', OLD.status, NEW.status;
  END IF;
  RETURN NEW;
END;
$$;

CREATE FUNCTION secret_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('meterfabric.retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$;

DROP TRIGGER secret_audit_no_update ON secret_audit;
CREATE TRIGGER secret_audit_no_update BEFORE UPDATE OR DELETE ON secret_audit
  FOR EACH ROW EXECUTE FUNCTION secret_audit_guard();
