-- What a GXF client states about a device when it adds it (AddDevice's Device and DeviceModel, see
-- installation-ws-smartmetering.xsd) beyond what the platform needs to reach the meter: GXF keeps these in its
-- device tables (SmartMeter, DlmsDevice, DeviceModel in OSGP/open-smart-grid-platform), and so does meterfabric,
-- in its own table so that the device row stays what the head-end runs on. One row per device; it goes with the
-- device. NULL = the client did not say.
CREATE TABLE device_installation (
  device_identification text PRIMARY KEY REFERENCES device (device_identification) ON DELETE CASCADE,
  device_model_manufacturer text CHECK (char_length(device_model_manufacturer) <= 4),
  device_model_code text CHECK (char_length(device_model_code) <= 255),
  protocol_variant text,
  timezone text CHECK (char_length(timezone) <= 40),
  supplier text CHECK (char_length(supplier) <= 50),
  communication_method text,
  communication_provider text,
  icc_id text,
  lls1_active boolean,
  hls3_active boolean,
  hls4_active boolean,
  polyphase boolean,
  ip_address_is_static boolean,
  selective_access_supported boolean,
  delivery_date timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
