-- The audit log also records a change of a device's stored security settings (HLS3/4/5 active) that the platform
-- makes itself after reading the meter's configuration object (docs/gxf.md#hls-flags-after-the-configuration-object).
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_event_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_event_check
  CHECK (event IN ('ACCEPTED', 'REJECTED', 'RETRY', 'COMPLETED', 'DELETED', 'DEVICE_UPDATED'));
