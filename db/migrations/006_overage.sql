-- Overage billing: prices per plan and meter, the ledger of what was reported to Stripe, spend caps.

-- Usage beyond `included` is sold at `unit_amount_cents` per `block_size` units (Stripe bills
-- ceil(overage / block_size) blocks). The Stripe ids are filled in by activities, idempotently.
CREATE TABLE IF NOT EXISTS plan_overage_prices (
  plan_id           text NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  meter             text NOT NULL,
  included          numeric NOT NULL CHECK (included >= 0),
  unit_amount_cents numeric NOT NULL CHECK (unit_amount_cents >= 0),
  block_size        numeric NOT NULL DEFAULT 1 CHECK (block_size > 0 AND block_size = trunc(block_size)),
  stripe_price_id   text,
  PRIMARY KEY (plan_id, meter)
);

-- One Stripe Billing Meter per meter of ours, shared by every plan that prices it.
CREATE TABLE IF NOT EXISTS stripe_billing_meters (
  meter           text PRIMARY KEY,
  event_name      text NOT NULL UNIQUE,
  stripe_meter_id text NOT NULL
);

-- Every meter event the reporting workflow sends, written before it is sent (status pending) and
-- marked sent once Stripe acknowledged it. `quantity` is the difference between the overage
-- recomputed from the raw events and what earlier rows reported, so for any period
-- sum(quantity) is what Stripe was told. `identifier` is the meter event's identifier: a resend
-- of a pending row carries the same one, and Stripe counts it once.
CREATE TABLE IF NOT EXISTS usage_reports (
  account_id   text NOT NULL REFERENCES accounts (id),
  period_start timestamptz NOT NULL,
  meter        text NOT NULL,
  seq          integer NOT NULL,
  quantity     numeric NOT NULL,
  identifier   text NOT NULL UNIQUE,
  event_name   text NOT NULL,
  customer_id  text NOT NULL,
  event_time   timestamptz NOT NULL,
  -- pending (written, not yet acknowledged), sent, failed (Stripe refused it; see error)
  status       text NOT NULL DEFAULT 'pending',
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz,
  PRIMARY KEY (account_id, period_start, meter, seq)
);

-- An account's maximum overage spend per period, in cents.
CREATE TABLE IF NOT EXISTS spend_caps (
  account_id text PRIMARY KEY REFERENCES accounts (id),
  max_cents  numeric NOT NULL CHECK (max_cents >= 0),
  -- the period whose cap alert was raised (one alert per period)
  alerted_period_start timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
