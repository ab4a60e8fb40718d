-- Tenancy: accounts (the platform's developers), their apps, and every kind of key.
-- Secrets are never stored: api_keys holds a SHA-256 of each key, shown once at creation.

CREATE TABLE IF NOT EXISTS plans (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  description    text NOT NULL DEFAULT '',
  amount_cents   integer NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
  currency       text NOT NULL DEFAULT 'usd',
  interval       text NOT NULL DEFAULT 'month' CHECK (interval IN ('month', 'year')),
  stripe_price_id text,
  is_default     boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Exactly one plan is the one new accounts start on.
CREATE UNIQUE INDEX IF NOT EXISTS plans_one_default ON plans (is_default) WHERE is_default;

CREATE TABLE IF NOT EXISTS plan_limits (
  plan_id     text NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  meter       text NOT NULL CHECK (meter IN ('storage_bytes', 'ai_tokens', 'lambda_invocations', 'bandwidth_bytes')),
  limit_value numeric NOT NULL CHECK (limit_value >= 0),
  mode        text NOT NULL CHECK (mode IN ('hard', 'soft')),
  PRIMARY KEY (plan_id, meter)
);

CREATE TABLE IF NOT EXISTS accounts (
  id                 text PRIMARY KEY,
  name               text NOT NULL,
  email              text,
  plan_id            text NOT NULL REFERENCES plans (id),
  stripe_customer_id text UNIQUE,
  -- The usage period limits apply to; rolled over monthly (or by the Stripe invoice when paid).
  period_start       timestamptz NOT NULL,
  period_end         timestamptz NOT NULL,
  provisioning_state text NOT NULL DEFAULT 'pending' CHECK (provisioning_state IN ('pending', 'done')),
  provisioning_note  text,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS apps (
  id                text PRIMARY KEY,
  account_id        text NOT NULL REFERENCES accounts (id),
  name              text NOT NULL,
  -- HS256 needs the secret itself to verify end-user tokens, so it cannot be hashed.
  jwt_secret        text NOT NULL,
  stripe_account_id text UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS apps_by_account ON apps (account_id);

CREATE TABLE IF NOT EXISTS api_keys (
  id          text PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('account', 'app_secret', 'service')),
  key_hash    text NOT NULL UNIQUE,
  prefix      text NOT NULL,
  name        text NOT NULL DEFAULT '',
  account_id  text REFERENCES accounts (id),
  app_id      text REFERENCES apps (id),
  scopes      text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

INSERT INTO plans (id, name, description, amount_cents, is_default) VALUES
  ('free', 'Free', 'For side projects', 0, true),
  ('pro',  'Pro',  'For production apps', 2500, false),
  ('team', 'Team', 'For teams with several apps', 9900, false)
ON CONFLICT (id) DO NOTHING;

INSERT INTO plan_limits (plan_id, meter, limit_value, mode) VALUES
  ('free', 'storage_bytes',      1073741824,    'hard'),
  ('free', 'ai_tokens',          100000,        'hard'),
  ('free', 'lambda_invocations', 100000,        'hard'),
  ('free', 'bandwidth_bytes',    5368709120,    'hard'),
  ('pro',  'storage_bytes',      107374182400,  'soft'),
  ('pro',  'ai_tokens',          10000000,      'soft'),
  ('pro',  'lambda_invocations', 10000000,      'soft'),
  ('pro',  'bandwidth_bytes',    268435456000,  'soft'),
  ('team', 'storage_bytes',      1099511627776, 'soft'),
  ('team', 'ai_tokens',          100000000,     'soft'),
  ('team', 'lambda_invocations', 100000000,     'soft'),
  ('team', 'bandwidth_bytes',    2199023255552, 'soft')
ON CONFLICT (plan_id, meter) DO NOTHING;
