-- One kind of credential for SOAP, REST, the admin API and the console: API tokens (src/platform/tokens.ts).
-- The console's sign-in tokens become API tokens; only SHA-256 hashes of the token values are stored.
-- A SIGN_IN token is a one-time console sign-in link: used once (used_at), then worthless, and it expires.
ALTER TABLE console_token RENAME TO api_token;
ALTER INDEX console_token_organisation RENAME TO api_token_organisation;
ALTER TABLE api_token ADD COLUMN purpose text NOT NULL DEFAULT 'API' CHECK (purpose IN ('API', 'SIGN_IN'));
ALTER TABLE api_token ADD COLUMN expires_at timestamptz;
ALTER TABLE api_token ADD COLUMN used_at timestamptz;

-- No network location signs anybody in: sessions made without a token end now.
DELETE FROM console_session WHERE via <> 'TOKEN';
ALTER TABLE console_session DROP CONSTRAINT console_session_via_check;
ALTER TABLE console_session ADD CONSTRAINT console_session_via_check CHECK (via IN ('TOKEN', 'SIGN_IN_LINK', 'CERTIFICATE'));
