-- API processes holding leases poll for counters whose allowance another process asked for
-- since their leases were granted: a range read on wanted_at, a few times a second.
CREATE INDEX IF NOT EXISTS limit_counters_wanted_at ON limit_counters (wanted_at) WHERE wanted_at IS NOT NULL;
