-- Organisation identifiers and the notification allowlist (README "Authorisation and notification targets").

-- New and renamed organisations: letters, digits, '.', '_' and '-', 1..40 characters. NOT VALID: rows that exist
-- already are not checked (an older database may hold other names; they keep working until renamed).
ALTER TABLE organisation ADD CONSTRAINT organisation_identification_format
  CHECK (identification ~ '^[A-Za-z0-9._-]{1,40}$') NOT VALID;

-- URL prefixes the organisation's notifications may go to (ResponseUrl, notification URL, webhook URL), set by an
-- administrator only (src/platform/outbound.ts). The URLs an administrator already configured are allowed.
ALTER TABLE organisation ADD COLUMN allowed_urls text[] NOT NULL DEFAULT '{}';
UPDATE organisation SET allowed_urls = ARRAY(
  SELECT DISTINCT u FROM unnest(ARRAY[notification_url, webhook_url]) AS u WHERE u IS NOT NULL AND u <> '' ORDER BY u
);
