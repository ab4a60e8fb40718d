-- Limit enforcement and alerts (metering issue).

-- High-water mark of usage admitted through /v1/usage/check in one period:
-- committed = greatest(metered usage, committed) + admitted amount. A single-row conditional
-- upsert makes concurrent hard-limit checks take turns on the row, so none can overshoot.
CREATE TABLE IF NOT EXISTS limit_counters (
  account_id   text NOT NULL REFERENCES accounts (id),
  meter        text NOT NULL,
  period_start timestamptz NOT NULL,
  committed    numeric NOT NULL DEFAULT 0,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, meter, period_start)
);

-- One alert per account, meter, period and threshold: raising it twice is a no-op.
CREATE TABLE IF NOT EXISTS usage_alerts (
  id           text PRIMARY KEY,
  account_id   text NOT NULL REFERENCES accounts (id),
  meter        text NOT NULL,
  period_start timestamptz NOT NULL,
  threshold    integer NOT NULL CHECK (threshold IN (80, 100)),
  used         numeric NOT NULL,
  limit_value  numeric NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, meter, period_start, threshold)
);
