-- Platform settings: one row per key, for values the platform creates on first start.
CREATE TABLE platform_setting (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
