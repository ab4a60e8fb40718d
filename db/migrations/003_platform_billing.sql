-- Platform billing: the Stripe webhook log, the platform subscriptions it drives, and checkouts.

-- Every verified Stripe event, stored before it is handed to Temporal (the lago pattern): the
-- event id is the primary key, so a redelivery is recorded once. `account` is the connected
-- account for Connect events (null for the platform's own account).
CREATE TABLE IF NOT EXISTS stripe_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  account      text,
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  -- pending (handed to a workflow), applied, stale (newer state was there), ignored (type not
  -- handled), unknown_account, failed (its activities gave up; see the workflow in the UI)
  outcome      text NOT NULL DEFAULT 'pending'
);
CREATE INDEX IF NOT EXISTS stripe_events_by_type ON stripe_events (type, received_at);

-- One row per Stripe subscription of an account on the platform's own Stripe account.
-- Events arrive duplicated and out of order: a state change applies only when its event's
-- Stripe `created` is not older than `last_event_created`, so newer state always wins.
CREATE TABLE IF NOT EXISTS platform_subscriptions (
  id                   text PRIMARY KEY,
  account_id           text NOT NULL REFERENCES accounts (id),
  plan_id              text REFERENCES plans (id),
  status               text NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  current_period_start timestamptz,
  current_period_end   timestamptz,
  -- Set while a failed payment is in its grace period (dunning); cleared by a later success.
  grace_until          timestamptz,
  last_event_created   bigint NOT NULL DEFAULT 0,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS platform_subscriptions_by_account ON platform_subscriptions (account_id, updated_at DESC);

-- One row per upgrade checkout (workflow `platform-checkout:<accountId>:<key>`).
CREATE TABLE IF NOT EXISTS checkouts (
  id                text PRIMARY KEY,
  workflow_id       text NOT NULL UNIQUE,
  account_id        text NOT NULL REFERENCES accounts (id),
  plan_id           text NOT NULL REFERENCES plans (id),
  -- null when an existing subscription changed plan in place (no Checkout Session needed)
  stripe_session_id text,
  url               text NOT NULL,
  -- open, completed, expired, changed (existing subscription switched with proration)
  status            text NOT NULL DEFAULT 'open',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS checkouts_by_account ON checkouts (account_id, created_at DESC);
