#!/usr/bin/env bash
# What `npm test` runs, on a dev box or a fresh CI clone (as root): make sure
# dependencies, Debian servers and the pinned Go tools exist, then run jest.
# The services themselves are started by jest globalSetup
# (test/helpers/global-setup.ts), on free ports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STEP_TAG=test
source scripts/ensure.sh

# Whole-suite runs also hold the code to its types and its import direction (STYLE.md).
if (($# == 0)); then
  step "typecheck"; npx tsc -p tsconfig.json --noEmit
  step "lint"; npx eslint .
  step "format"; npx prettier --check "**/*.ts"
fi

step "jest $*"
if (($# > 0)); then exec npx jest "$@"; fi
npx jest

# The metering files that hold exactly-once ingestion and hard limits, again against ClickHouse in
# cluster mode (2 shards x 2 replicas and ZooKeeper, started by jest's setup), plus the cluster's
# fault tests. The whole metering suite in cluster mode:
# TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1 npx jest test/metering (README).
CLUSTER_SUBSET=(
  test/metering/exactness.test.ts
  test/metering/limits.test.ts
  test/metering/limits-processes.test.ts
  test/metering/cluster-faults.test.ts
)
step "jest, ClickHouse cluster pass: ${CLUSTER_SUBSET[*]}"
TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1 exec npx jest "${CLUSTER_SUBSET[@]}"
