-- Money paths under concurrency, retries and lost webhooks: Connect charge capability, one
-- stored answer per Idempotency-Key, and the reconciler's position in each Stripe events list.

-- A connected account may exist long before Stripe lets it take payments; `account.updated`
-- events carry the truth. account_event_created orders them (newest `created` wins).
ALTER TABLE apps ADD COLUMN IF NOT EXISTS charges_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE apps ADD COLUMN IF NOT EXISTS account_event_created bigint NOT NULL DEFAULT 0;

-- Idempotency-Key on create routes (Stripe's semantics): the first request's answer is kept
-- 24 h and replayed for the same key and body; the same key with another body is a 409.
-- `scope` is the caller (principal) and the route, so two tenants' keys never meet.
-- status_code is null while the first request is still running.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope        text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status_code  integer,
  response     jsonb,
  -- The API process running the first request: that process knows at once whether the request
  -- still runs; other processes wait for the row to be abandoned (two minutes).
  holder       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);

-- Where reconciliation stands in each Stripe events list: '' is the platform's own account,
-- otherwise the connected account id. Events at or after last_created are re-read each run
-- (same-second events may arrive out of order in the list); de-duplication makes that free.
CREATE TABLE IF NOT EXISTS stripe_event_cursors (
  stripe_account text PRIMARY KEY,
  last_created   bigint NOT NULL DEFAULT 0,
  last_run_at    timestamptz NOT NULL DEFAULT now()
);

-- Subscriptions of app customers: a second live one for the same customer is cancelled by its
-- workflow (see app-subscription.ts); this index finds them.
CREATE INDEX IF NOT EXISTS app_subscriptions_live_by_customer ON app_subscriptions (app_id, customer_id, status);

-- One checkout in flight per buyer: `owner` is `account:<id>` (platform upgrade) or
-- `app:<appId>:<customerId>` (an app customer's subscription). A newer checkout takes the slot
-- and the older Checkout Session is expired on Stripe, so it can no longer be paid.
CREATE TABLE IF NOT EXISTS checkout_slots (
  owner          text PRIMARY KEY,
  workflow_id    text NOT NULL,
  session_id     text,
  stripe_account text,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- When a subscription was first seen: of two live subscriptions of one buyer, the older stays.
ALTER TABLE platform_subscriptions ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
