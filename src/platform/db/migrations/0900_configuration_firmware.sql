-- Firmware files (docs/firmware.md#file-store) and the progress of image transfers (docs/firmware.md#resume).
-- A file is stored once under its identification (GXF's FirmwareIdentification) and never overwritten; its hash is
-- SHA-256 as GXF prints it (lowercase hex without leading zeros). manufacturer/model_code, when given, restrict the
-- file to meters of that device model (UpdateFirmware answers 704 otherwise).
CREATE TABLE firmware_file (
  identification text PRIMARY KEY CHECK (char_length(identification) BETWEEN 1 AND 40),
  content bytea NOT NULL,
  size integer NOT NULL,
  hash text NOT NULL,
  hash_type text NOT NULL DEFAULT 'SHA256',
  image_identifier bytea,
  manufacturer text CHECK (char_length(manufacturer) <= 4),
  model_code text CHECK (char_length(model_code) <= 255),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The last image transfer per device: written before initiate, updated as blocks are confirmed, step 'activated'
-- once the image is active. A restarted process continues from here and from what the meter reports.
CREATE TABLE firmware_transfer (
  device_identification text PRIMARY KEY REFERENCES device (device_identification) ON DELETE CASCADE,
  firmware_identification text NOT NULL REFERENCES firmware_file (identification),
  hash text NOT NULL,
  step text NOT NULL,
  block_size integer,
  blocks integer,
  next_block integer NOT NULL DEFAULT 0,
  correlation_uid text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
