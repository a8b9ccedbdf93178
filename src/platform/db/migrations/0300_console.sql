-- Web console (src/console): sign-in tokens, sessions and fleet rekey batches.
-- Tokens and session ids are stored only as SHA-256 hashes of 32 random bytes; the values themselves are
-- shown once (token) or live only in the visitor's HttpOnly cookie (session).
CREATE TABLE console_token (
  token_hash text PRIMARY KEY,
  organisation_identification text NOT NULL REFERENCES organisation (identification) ON DELETE CASCADE,
  -- Who issued it (an ADMIN organisation through the console, or the command line), for the record.
  issued_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX console_token_organisation ON console_token (organisation_identification);

CREATE TABLE console_session (
  session_hash text PRIMARY KEY,
  organisation_identification text NOT NULL REFERENCES organisation (identification) ON DELETE CASCADE,
  via text NOT NULL CHECK (via IN ('TOKEN', 'LOOPBACK')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX console_session_expires ON console_session (expires_at);

CREATE TABLE console_rekey (
  id text PRIMARY KEY,
  organisation_identification text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_rekey_item (
  rekey_id text NOT NULL REFERENCES console_rekey (id) ON DELETE CASCADE,
  correlation_uid text,
  gateway_device_identification text NOT NULL,
  channel smallint NOT NULL,
  -- Set when the platform refused the request synchronously (no correlation uid then).
  error_code integer,
  PRIMARY KEY (rekey_id, gateway_device_identification, channel)
);
