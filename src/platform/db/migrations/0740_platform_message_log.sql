-- Device management (src/operations/management): the debug flag of a device (EnableDebugging / DisableDebugging,
-- as GXF's in_debug_mode on its DLMS device) and the per-device DLMS message log written while it is set
-- (src/platform/message-log.ts). A log row holds the APDU as it went over the wire (ciphered APDUs stay ciphered),
-- never a deciphered one. Rows go by retention (METERFABRIC_RETENTION_MESSAGE_LOG_DAYS), not with the device.
ALTER TABLE device ADD COLUMN in_debug_mode boolean NOT NULL DEFAULT false;

CREATE TABLE dlms_message_log (
  id bigserial PRIMARY KEY,
  logged_at timestamptz NOT NULL,
  device_identification text NOT NULL,
  organisation_identification text,
  correlation_uid text,
  message_type text,
  incoming boolean NOT NULL,
  apdu_type text NOT NULL,
  size integer NOT NULL CHECK (size >= 0),
  encoded_message text NOT NULL,
  decoded_message text NOT NULL,
  valid boolean NOT NULL DEFAULT true
);
CREATE INDEX dlms_message_log_device ON dlms_message_log (device_identification, logged_at DESC, id DESC);
CREATE INDEX dlms_message_log_logged ON dlms_message_log (logged_at);

-- SetDeviceCommunicationSettings keeps GXF's UseSn with the other installation facts (meterfabric speaks LN).
ALTER TABLE device_installation ADD COLUMN use_sn boolean;
