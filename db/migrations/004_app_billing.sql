-- App monetisation through Stripe Connect: each app's catalogue (plans, products), its end
-- users' subscriptions and one-time orders. Money moves on the app's connected account
-- (apps.stripe_account_id, set once by connect onboarding); the platform takes a fee.

-- A plan is a Stripe Product with one active recurring Price on the connected account.
CREATE TABLE IF NOT EXISTS app_plans (
  id                text PRIMARY KEY,
  app_id            text NOT NULL REFERENCES apps (id),
  stripe_product_id text NOT NULL,
  stripe_price_id   text NOT NULL,
  name              text NOT NULL,
  description       text NOT NULL DEFAULT '',
  amount            bigint NOT NULL CHECK (amount >= 0),
  currency          text NOT NULL,
  interval          text NOT NULL CHECK (interval IN ('day', 'week', 'month', 'year')),
  features          jsonb NOT NULL DEFAULT '[]',
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS app_plans_by_app ON app_plans (app_id, created_at);

-- Prices a plan no longer sells at. Stripe keeps billing existing subscribers on them, so an
-- event naming an archived price still resolves to its plan.
CREATE TABLE IF NOT EXISTS app_plan_prices (
  stripe_price_id text NOT NULL,
  plan_id         text NOT NULL REFERENCES app_plans (id),
  amount          bigint NOT NULL,
  currency        text NOT NULL,
  interval        text NOT NULL,
  archived_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, stripe_price_id, archived_at)
);

-- A product is a Stripe Product with a one-time Price.
CREATE TABLE IF NOT EXISTS app_products (
  id                text PRIMARY KEY,
  app_id            text NOT NULL REFERENCES apps (id),
  stripe_product_id text NOT NULL,
  stripe_price_id   text NOT NULL,
  name              text NOT NULL,
  description       text NOT NULL DEFAULT '',
  amount            bigint NOT NULL CHECK (amount >= 0),
  currency          text NOT NULL,
  metadata          jsonb NOT NULL DEFAULT '{}',
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS app_products_by_app ON app_products (app_id, created_at);

-- One row per Stripe subscription on a connected account. As for platform subscriptions, state
-- applies only when its event's Stripe `created` is not older than last_event_created.
CREATE TABLE IF NOT EXISTS app_subscriptions (
  id                   text PRIMARY KEY,
  app_id               text NOT NULL REFERENCES apps (id),
  customer_id          text,
  plan_id              text REFERENCES app_plans (id),
  status               text NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  current_period_start timestamptz,
  current_period_end   timestamptz,
  last_event_created   bigint NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS app_subscriptions_by_customer ON app_subscriptions (app_id, customer_id, updated_at DESC);

-- One-time purchases. Created pending with the Checkout Session; the webhooks move them on.
-- amount_refunded is Stripe's cumulative figure, so it only ever grows.
CREATE TABLE IF NOT EXISTS orders (
  id                text PRIMARY KEY,
  app_id            text NOT NULL REFERENCES apps (id),
  customer_id       text NOT NULL,
  product_id        text NOT NULL REFERENCES app_products (id),
  quantity          integer NOT NULL CHECK (quantity > 0),
  amount            bigint NOT NULL CHECK (amount >= 0),
  currency          text NOT NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed', 'refunded', 'partially_refunded')),
  amount_refunded   bigint NOT NULL DEFAULT 0,
  stripe_session_id text,
  payment_intent    text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (app_id, customer_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_by_app ON orders (app_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_by_payment_intent ON orders (payment_intent) WHERE payment_intent IS NOT NULL;
