-- What the automatic M-Bus rekey policy decided for a pushed alarm, once it has decided (NULL until then, and for
-- pushes that are no alarm or have no OWNER): REQUESTED (a SetMbusUserKeyByChannel was queued for at least one
-- reported channel), RATE_LIMITED (one was requested for that channel within the window), OFF (the organisation
-- has the policy off), PLAINTEXT_REFUSED (an unauthenticated push and plaintext triggers are not allowed),
-- NO_CHANNEL (no alarm names a new M-Bus device). An operator can see why no rekey followed an alarm.
ALTER TABLE push_message ADD COLUMN auto_rekey text
  CHECK (auto_rekey IN ('REQUESTED', 'RATE_LIMITED', 'OFF', 'PLAINTEXT_REFUSED', 'NO_CHANNEL'));
