-- Secret store (src/secrets/README.md). Keys are stored only as envelope ciphertext: a fresh data key per secret
-- encrypts the secret (AES-256-GCM), and a key-encryption key (KEK) held by a provider wraps that data key.

-- KEK references: which KEKs have wrapped data keys here. The key itself is never stored in the database; only
-- a reference (a key check value for software KEKs, the token and object label for PKCS#11 KEKs).
CREATE TABLE secret_kek (
  id serial PRIMARY KEY,
  provider text NOT NULL CHECK (provider IN ('software', 'pkcs11')),
  reference text NOT NULL UNIQUE,
  status text NOT NULL CHECK (status IN ('CURRENT', 'RETIRING', 'RETIRED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
-- Exactly one KEK wraps new data keys at a time.
CREATE UNIQUE INDEX secret_kek_one_current ON secret_kek ((true)) WHERE status = 'CURRENT';

-- One row per key version. Rows are never deleted; status moves NEW -> ACTIVE -> EXPIRED or NEW -> WITHDRAWN
-- (docs/gxf.md#key-lifecycle). The id is the version and is bound into the AEAD associated data.
CREATE TABLE secret (
  id bigserial PRIMARY KEY,
  device_identification varchar(64) NOT NULL,
  secret_type text NOT NULL CHECK (secret_type IN (
    'E_METER_MASTER_KEY', 'E_METER_AUTHENTICATION_KEY', 'E_METER_ENCRYPTION_KEY_UNICAST',
    'E_METER_ENCRYPTION_KEY_BROADCAST', 'G_METER_MASTER_KEY', 'G_METER_ENCRYPTION_KEY',
    'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', 'G_METER_OPTICAL_PORT_KEY', 'PPP_PASSWORD', 'LLS_PASSWORD')),
  status text NOT NULL CHECK (status IN ('NEW', 'ACTIVE', 'EXPIRED', 'WITHDRAWN')),
  origin text NOT NULL CHECK (origin IN ('GENERATED', 'HSM_RANDOM', 'STORED', 'IMPORTED')),
  ciphertext bytea NOT NULL,
  nonce bytea NOT NULL CHECK (octet_length(nonce) = 12),
  wrapped_key bytea NOT NULL,
  kek_id integer NOT NULL REFERENCES secret_kek (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  activated_at timestamptz,
  expired_at timestamptz,
  withdrawn_at timestamptz,
  -- Set when a withdrawal of a sent key was backed by knowledge that the device does not hold it.
  withdrawn_confirmed boolean NOT NULL DEFAULT false,
  -- A key that may be on the device is never withdrawn unless the device was confirmed not to hold it.
  CHECK (status <> 'WITHDRAWN' OR sent_at IS NULL OR withdrawn_confirmed)
);
CREATE UNIQUE INDEX secret_one_active ON secret (device_identification, secret_type) WHERE status = 'ACTIVE';
CREATE UNIQUE INDEX secret_one_new ON secret (device_identification, secret_type) WHERE status = 'NEW';
CREATE INDEX secret_by_device ON secret (device_identification, secret_type, id);
CREATE INDEX secret_by_kek ON secret (kek_id);

-- The platform's own RSA key pairs (keys that GXF clients send are encrypted to the public key,
-- docs/gxf.md#key-transport, #adddevice, #replacekeys). The private key is enveloped like a secret.
CREATE TABLE secret_platform_keypair (
  name text PRIMARY KEY,
  public_key_pem text NOT NULL,
  ciphertext bytea NOT NULL,
  nonce bytea NOT NULL CHECK (octet_length(nonce) = 12),
  wrapped_key bytea NOT NULL,
  kek_id integer NOT NULL REFERENCES secret_kek (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secret_platform_keypair_by_kek ON secret_platform_keypair (kek_id);

-- Append-only audit of every transition: who, why, what, when.
CREATE TABLE secret_audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  device_identification varchar(64),
  secret_type text,
  secret_id bigint,
  action text NOT NULL,
  from_status text,
  to_status text,
  actor text NOT NULL CHECK (actor <> ''),
  reason text NOT NULL CHECK (reason <> '')
);
CREATE INDEX secret_audit_by_device ON secret_audit (device_identification, id);

CREATE FUNCTION secret_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$;
CREATE TRIGGER secret_audit_no_update BEFORE UPDATE OR DELETE ON secret_audit
  FOR EACH ROW EXECUTE FUNCTION secret_append_only();
CREATE TRIGGER secret_audit_no_truncate BEFORE TRUNCATE ON secret_audit
  FOR EACH STATEMENT EXECUTE FUNCTION secret_append_only();

-- Defence in depth below the store's code: rows are never deleted, the key identity never changes, and status
-- moves only along NEW -> ACTIVE -> EXPIRED or NEW -> WITHDRAWN. Re-wrapping (KEK rotation) changes only
-- wrapped_key and kek_id.
CREATE FUNCTION secret_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'secret rows are never deleted';
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
CREATE TRIGGER secret_guard BEFORE UPDATE OR DELETE ON secret
  FOR EACH ROW EXECUTE FUNCTION secret_guard();
CREATE TRIGGER secret_no_truncate BEFORE TRUNCATE ON secret
  FOR EACH STATEMENT EXECUTE FUNCTION secret_append_only();

