#!/usr/bin/env bash
# What `npm run bench` runs: the same setup as the tests, then every benchmark in bench/,
# each printing one JSON line. Results and the command are recorded in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
STEP_TAG=bench
source scripts/ensure.sh
step "bench $*"
exec npx tsx bench/run.ts "$@"
