-- Meter connection permits shared by every process on this database (docs/gxf.md#throttling, throttling mode `shared`).
-- A row is one permit: open while released_at is NULL and expires_at lies ahead (the holder renews the lease while
-- its connection stays open, so a killed process's permits free themselves). Released and expired rows stay one
-- second longer because they still count towards the new-connections-per-second limit, then acquire sweeps them.
CREATE TABLE connection_permit (
  permit_id uuid PRIMARY KEY,
  holder text NOT NULL,
  device_identification text,
  priority smallint,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  released_at timestamptz
);
CREATE INDEX connection_permit_holder ON connection_permit (holder) WHERE released_at IS NULL;

-- One row; acquirers lock it so that counting the permits and taking one are atomic across processes.
CREATE TABLE connection_permit_lock (
  id smallint PRIMARY KEY CHECK (id = 1)
);
INSERT INTO connection_permit_lock (id) VALUES (1);
