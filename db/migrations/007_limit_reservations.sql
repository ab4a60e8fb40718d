-- Limit checks from memory: reservations with a lifetime, and allowance leased to API processes.
--
-- limit_counters now holds, per account, meter and period, what is admitted beyond metered
-- usage: `reserved` is the sum of open reservations, `leased` the allowance held unused by API
-- processes. A hard limit admits only while metered + reserved + leased <= limit, and every
-- change of these two sums happens in the transaction that changes the rows they add up.
-- The old high-water mark (`committed`) never shrank, so it is dropped: its reservations had no
-- lifetime and cannot be settled.
ALTER TABLE limit_counters DROP COLUMN IF EXISTS committed;
ALTER TABLE limit_counters ADD COLUMN IF NOT EXISTS reserved numeric NOT NULL DEFAULT 0;
ALTER TABLE limit_counters ADD COLUMN IF NOT EXISTS leased numeric NOT NULL DEFAULT 0;
-- Reservations whose usage event has arrived, for the seconds until every process's view of
-- metered usage surely has the event: hard limits still count them, `used` no longer does.
ALTER TABLE limit_counters ADD COLUMN IF NOT EXISTS settling numeric NOT NULL DEFAULT 0;
-- Set by an admission refused while leases hold allowance: their holders give them back.
ALTER TABLE limit_counters ADD COLUMN IF NOT EXISTS wanted_at timestamptz;

-- An admitted amount until it is released, expires, or its usage event arrives (the event's id
-- is the reservation id; it then lingers as `settling` for the few seconds every process's view
-- of metered usage may lag, so for admissions the units are never counted zero times).
CREATE TABLE IF NOT EXISTS limit_reservations (
  id           text PRIMARY KEY,
  account_id   text NOT NULL,
  meter        text NOT NULL,
  period_start timestamptz NOT NULL,
  amount       numeric NOT NULL CHECK (amount >= 0),
  committed    boolean NOT NULL DEFAULT false,
  settling     boolean NOT NULL DEFAULT false,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS limit_reservations_expiry ON limit_reservations (expires_at);

-- Allowance an API process took from a hard limit to admit checks from memory. It expires
-- after every reservation carved from it could have, so a crashed process only leaves
-- allowance unused for a while (under-admission), never admits past the limit.
CREATE TABLE IF NOT EXISTS limit_leases (
  id           text PRIMARY KEY,
  account_id   text NOT NULL,
  meter        text NOT NULL,
  period_start timestamptz NOT NULL,
  size         numeric NOT NULL CHECK (size >= 0),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS limit_leases_expiry ON limit_leases (expires_at);
