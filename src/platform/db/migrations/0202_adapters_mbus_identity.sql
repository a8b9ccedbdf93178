-- The M-Bus identity of a gas meter (identification number + manufacturer, what a gateway reports for a channel)
-- names at most one device in the inventory: a gateway's report then points at one device, never at whichever a
-- query happens to return first.
--
-- A database may hold duplicates from before. They are resolved deterministically: per identity the oldest device
-- (created_at, then device_identification) keeps it; every other device with that identity loses its M-Bus
-- identification number and manufacturer (its keys, authorisations and coupling stay) and is listed in
-- mbus_identity_conflict, with the identity it had and the device that kept it, for an operator to review and
-- correct (set the right identity with AddDevice overwrite, or remove the device).
CREATE TABLE mbus_identity_conflict (
  device_identification text PRIMARY KEY,
  mbus_identification_number text NOT NULL,
  mbus_manufacturer_identification text NOT NULL,
  kept_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO mbus_identity_conflict (device_identification, mbus_identification_number, mbus_manufacturer_identification, kept_by)
SELECT device_identification, mbus_identification_number, mbus_manufacturer_identification, keeper FROM (
  SELECT device_identification, mbus_identification_number, mbus_manufacturer_identification,
         first_value(device_identification) OVER w AS keeper, row_number() OVER w AS n
    FROM device
   WHERE mbus_identification_number IS NOT NULL AND mbus_manufacturer_identification IS NOT NULL
  WINDOW w AS (PARTITION BY mbus_identification_number, mbus_manufacturer_identification ORDER BY created_at, device_identification)
) ranked WHERE n > 1;

UPDATE device d SET mbus_identification_number = NULL, mbus_manufacturer_identification = NULL, updated_at = now()
  FROM mbus_identity_conflict c WHERE c.device_identification = d.device_identification;

CREATE UNIQUE INDEX device_mbus_identity ON device (mbus_identification_number, mbus_manufacturer_identification)
  WHERE mbus_identification_number IS NOT NULL AND mbus_manufacturer_identification IS NOT NULL;
