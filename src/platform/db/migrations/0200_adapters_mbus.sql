-- SMR5 M-Bus key change counter (KCC) per M-Bus device: persisted and strictly increasing, so a clock stepping
-- back (DST end, correction) can never repeat an IV of the transfer_key GCM (docs/gxf.md#where-meterfabric-differs item 5).
CREATE TABLE mbus_key_change_counter (
  device_identification text PRIMARY KEY,
  last_value bigint NOT NULL CHECK (last_value >= 0 AND last_value <= 4294967295),
  updated_at timestamptz NOT NULL DEFAULT now()
);
