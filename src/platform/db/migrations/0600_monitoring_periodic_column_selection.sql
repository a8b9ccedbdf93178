-- GXF's selective_access_periodic_meter_reads_supported (dlms_device, added in OSGP/open-smart-grid-platform's
-- osgp-protocol-adapter-dlms migration V20230913121109000 with default true): whether the meter selects columns of a
-- periodic-read buffer. false: the platform sends no column list and picks the columns it needs from the meter's
-- capture_objects (docs/gxf.md#selective-access-flags). NULL = not stated = true.
ALTER TABLE device_installation ADD COLUMN selective_access_periodic_meter_reads_supported boolean;
