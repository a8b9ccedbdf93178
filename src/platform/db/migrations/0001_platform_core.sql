-- Platform core: organisations, devices, GXF's logical authorisation model, durable requests, responses,
-- notifications, audit log, invocation counters and per-gateway exchange locks.

-- docs/gxf.md#function-groups: organisations with a platform function group (ADMIN | USER).
CREATE TABLE organisation (
  identification text PRIMARY KEY CHECK (length(identification) BETWEEN 1 AND 40 AND identification !~ ' '),
  name text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  platform_function_group text NOT NULL DEFAULT 'USER' CHECK (platform_function_group IN ('ADMIN', 'USER')),
  -- SendNotification target when a request names no ResponseUrl (docs/gxf.md#notifications).
  notification_url text,
  -- JSON webhook target for requests that came in over REST.
  webhook_url text,
  auto_rekey_on_alarm boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The built-in ADMIN organisation (also the OrganisationIdentification of outgoing notifications, GXF default OSGP).
INSERT INTO organisation (identification, name, platform_function_group) VALUES ('OSGP', 'Platform administration', 'ADMIN');

-- Gateway E-meters and M-Bus devices; an M-Bus device is coupled to a gateway channel 1..4.
CREATE TABLE device (
  device_identification text PRIMARY KEY,
  device_type text NOT NULL CHECK (device_type IN ('SMART_METER_E', 'SMART_METER_G')),
  protocol_name text,
  protocol_version text,
  host text,
  port integer CHECK (port BETWEEN 1 AND 65535),
  transport text NOT NULL DEFAULT 'WRAPPER' CHECK (transport IN ('WRAPPER', 'HDLC')),
  hls5_active boolean NOT NULL DEFAULT true,
  challenge_length integer CHECK (challenge_length BETWEEN 8 AND 64),
  with_list_max integer,
  mbus_identification_number text,
  mbus_manufacturer_identification text,
  mbus_version integer,
  mbus_device_type_identification integer,
  mbus_primary_address integer,
  gateway_device_identification text REFERENCES device (device_identification),
  channel smallint CHECK (channel BETWEEN 1 AND 4),
  lifecycle_status text NOT NULL DEFAULT 'NEW_IN_INVENTORY',
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX device_gateway_channel ON device (gateway_device_identification, channel)
  WHERE gateway_device_identification IS NOT NULL AND channel IS NOT NULL;

-- docs/gxf.md#function-groups: device authorisations by function group (stored by name, not ordinal).
CREATE TABLE device_authorisation (
  device_identification text NOT NULL REFERENCES device (device_identification) ON DELETE CASCADE,
  organisation_identification text NOT NULL REFERENCES organisation (identification),
  function_group text NOT NULL CHECK (function_group IN ('OWNER', 'INSTALLATION', 'AD_HOC', 'MANAGEMENT', 'FIRMWARE',
    'SCHEDULING', 'TARIFF_SCHEDULING', 'CONFIGURATION', 'MONITORING', 'METADATA_MANAGEMENT')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_identification, organisation_identification, function_group)
);
CREATE INDEX device_authorisation_org ON device_authorisation (organisation_identification);

-- docs/gxf.md#device-functions: function group -> DeviceFunction. OWNER holds every function (also enforced in the check).
CREATE TABLE device_function_mapping (
  function_group text NOT NULL,
  device_function text NOT NULL,
  PRIMARY KEY (function_group, device_function)
);
INSERT INTO device_function_mapping (function_group, device_function) VALUES
  ('OWNER', 'SET_MBUS_USER_KEY_BY_CHANNEL'),
  ('OWNER', 'SET_KEY_ON_G_METER'),
  ('OWNER', 'GET_MBUS_ENCRYPTION_KEY_STATUS'),
  ('OWNER', 'GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL'),
  ('OWNER', 'SCAN_MBUS_CHANNELS'),
  ('OWNER', 'COUPLE_MBUS_DEVICE'),
  ('OWNER', 'DECOUPLE_MBUS_DEVICE'),
  ('OWNER', 'COUPLE_MBUS_DEVICE_BY_CHANNEL'),
  ('OWNER', 'DECOUPLE_MBUS_DEVICE_BY_CHANNEL'),
  ('OWNER', 'DECOUPLE_MBUS_DEVICE_ADMINISTRATIVE'),
  ('OWNER', 'REPLACE_KEYS'),
  ('OWNER', 'GENERATE_AND_REPLACE_KEYS'),
  ('OWNER', 'GET_KEYS'),
  ('OWNER', 'HANDLE_BUNDLED_ACTIONS'),
  ('OWNER', 'ADD_METER'),
  ('INSTALLATION', 'ADD_METER');

-- Every accepted request; the durable source of truth that the queue jobs point at.
CREATE TABLE request (
  correlation_uid text PRIMARY KEY,
  organisation_identification text NOT NULL,
  user_name text NOT NULL,
  application_name text NOT NULL,
  device_identification text NOT NULL,
  message_type text NOT NULL,
  payload jsonb NOT NULL,
  priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 9),
  schedule_time timestamptz,
  max_schedule_time timestamptz,
  bypass_retry boolean NOT NULL DEFAULT false,
  channel text NOT NULL CHECK (channel IN ('SOAP', 'REST')),
  lock_key text NOT NULL,
  -- QUEUED -> RUNNING -> (RETRY -> RUNNING)* -> DONE
  status text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'RETRY', 'DONE')),
  -- The queue job that currently owns the request; a job with another id is stale and does nothing.
  job_id uuid,
  attempts integer NOT NULL DEFAULT 0,
  retries integer NOT NULL DEFAULT 0,
  result text CHECK (result IN ('OK', 'NOT_OK', 'NOT_FOUND')),
  error_code integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX request_org_created ON request (organisation_identification, created_at DESC);
CREATE INDEX request_device_created ON request (device_identification, created_at DESC);
CREATE INDEX request_open ON request (status) WHERE status <> 'DONE';

-- response_data (docs/gxf.md#response-storage): one row per correlationUid; retrieval does not delete.
CREATE TABLE response_data (
  correlation_uid text PRIMARY KEY,
  organisation_identification text NOT NULL,
  device_identification text NOT NULL,
  message_type text NOT NULL,
  result_type text NOT NULL CHECK (result_type IN ('OK', 'NOT_OK', 'NOT_FOUND')),
  -- The result data, or {"error": {...}} on failure.
  message_data jsonb,
  number_of_notifications_sent integer NOT NULL DEFAULT 0,
  fetched_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX response_data_created ON response_data (created_at);

-- docs/gxf.md#notifications: the ResponseUrl given with a request overrides the organisation's notification URL.
CREATE TABLE response_url (
  correlation_uid text PRIMARY KEY,
  response_url text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX response_url_created ON response_url (created_at);

-- Outbox of notifications (SOAP SendNotification or JSON webhook), written with the response, resent on failure.
CREATE TABLE notification (
  id bigserial PRIMARY KEY,
  correlation_uid text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('SOAP', 'WEBHOOK')),
  target_url text NOT NULL,
  state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'GAVE_UP', 'CANCELLED')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_due ON notification (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX notification_correlation ON notification (correlation_uid);

-- Audit log of every request: accepted, rejected and completed.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL CHECK (event IN ('ACCEPTED', 'REJECTED', 'RETRY', 'COMPLETED', 'DELETED')),
  correlation_uid text,
  organisation_identification text,
  user_name text,
  application_name text,
  device_identification text,
  message_type text,
  channel text,
  result text,
  error_code integer,
  detail text
);
CREATE INDEX audit_log_correlation ON audit_log (correlation_uid);
CREATE INDEX audit_log_org_at ON audit_log (organisation_identification, at DESC);

-- DLMS invocation counters (docs/gxf.md#where-meterfabric-differs item 19): a block is reserved and persisted before any value in it is used;
-- the stored value only grows.
CREATE TABLE invocation_counter (
  counter_key text PRIMARY KEY,
  reserved_until bigint NOT NULL CHECK (reserved_until >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- At most one meter exchange per gateway at a time: a lease that expires with the job that holds it.
CREATE TABLE exchange_lock (
  lock_key text PRIMARY KEY,
  correlation_uid text NOT NULL,
  expires_at timestamptz NOT NULL
);
