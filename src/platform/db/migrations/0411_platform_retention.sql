-- Retention (src/platform/retention.ts): indexes that let each batch of a retention pass find its oldest rows
-- without reading a table, and the lease that lets only one process run a pass at a time.

CREATE INDEX request_done_completed ON request (completed_at) WHERE status = 'DONE';
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX notification_created ON notification (created_at);
CREATE INDEX push_message_received ON push_message (received_at);
CREATE INDEX console_rekey_created ON console_rekey (created_at);
CREATE INDEX connection_permit_acquired ON connection_permit (acquired_at);

CREATE TABLE maintenance_lease (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
