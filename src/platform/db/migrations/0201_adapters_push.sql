-- Push notifications (docs/push.md): the meter system title learned from AAREs lets ciphered SMR5 pushes be
-- deciphered with the right E-meter's keys; their invocation counter must increase (replay protection).
ALTER TABLE device ADD COLUMN meter_system_title text;
CREATE INDEX device_meter_system_title ON device (meter_system_title) WHERE meter_system_title IS NOT NULL;

CREATE TABLE push_invocation_counter (
  device_identification text PRIMARY KEY,
  last_value bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A plaintext push is unauthenticated: the organisation decides whether one may start an automatic rekey.
ALTER TABLE organisation ADD COLUMN auto_rekey_allow_plaintext boolean NOT NULL DEFAULT false;

-- Every push received, decoded or not (GXF keeps a device_log_item): what arrived, from where, what it meant.
CREATE TABLE push_message (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  transport text NOT NULL,
  source_address text NOT NULL,
  device_identification text,
  format text,
  trigger_type text,
  alarms jsonb,
  unknown_bits jsonb,
  encoded bytea NOT NULL,
  correlation_uid text,
  error text
);
CREATE INDEX push_message_device ON push_message (device_identification, received_at DESC);
