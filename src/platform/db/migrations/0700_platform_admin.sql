-- GXF's Admin web service (docs/gxf-admin.md): what its organisation and device records carry besides what the
-- platform already keeps. IF NOT EXISTS: another part of the platform may add the same network columns.

-- Organisation: GXF's Prefix and platform Domains (CreateOrganisation, ChangeOrganisation).
ALTER TABLE organisation ADD COLUMN IF NOT EXISTS prefix text;
ALTER TABLE organisation ADD COLUMN IF NOT EXISTS domains text[] NOT NULL DEFAULT '{COMMON}';

-- Device: the mobile network cell the meter is reached through (SetCommunicationNetworkInformation) and the
-- device's own public key (UpdateKey / RevokeKey; a public key, never secret material).
ALTER TABLE device ADD COLUMN IF NOT EXISTS bts_id integer;
ALTER TABLE device ADD COLUMN IF NOT EXISTS cell_id integer;
ALTER TABLE device ADD COLUMN IF NOT EXISTS public_key text;

-- FindDevicesWhichHaveNoOwner looks for devices without an OWNER row.
CREATE INDEX IF NOT EXISTS device_authorisation_owner ON device_authorisation (device_identification) WHERE function_group = 'OWNER';
