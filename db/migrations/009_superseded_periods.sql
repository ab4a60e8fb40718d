-- A usage period replaced by a later-starting period that overlaps it (the first paid invoice
-- replaces the provisional first period with Stripe's cycle). Its overage ledger moved to the new
-- period, which reports the overlap from then on; the old period's reporting stops.
CREATE TABLE IF NOT EXISTS superseded_periods (
  account_id    text NOT NULL REFERENCES accounts (id),
  period_start  timestamptz NOT NULL,
  superseded_by timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, period_start)
);
