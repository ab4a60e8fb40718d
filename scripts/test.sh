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
exec npx jest "$@"
