#!/usr/bin/env bash
# Sourced by test.sh and bench.sh: make sure dependencies, Debian servers and the pinned dev
# tools exist (installing what is missing, caches outside the clone), so both commands work
# on a fresh clone of a fresh machine.
step() { printf '[%s] %s\n' "${STEP_TAG:-setup}" "$*" >&2; }

# npm writes node_modules/.package-lock.json on every install: if the real
# lockfile is newer, node_modules is stale.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund
else
  step "node_modules up to date"
fi

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[[ -x /usr/sbin/clickhouse-server || -x /usr/bin/clickhouse-server ]] || missing+=(clickhouse-server)
command -v clickhouse-client >/dev/null || missing+=(clickhouse-client)
# The dashboard's tests drive Debian's chromium (playwright-core downloads no browser).
[[ ${STEP_TAG:-} != test || -x /usr/bin/chromium ]] || missing+=(chromium)
# The workflow timer tests run Temporal's time-skipping test server, a Java jar Maven fetches.
[[ ${STEP_TAG:-} != test ]] || command -v java >/dev/null || missing+=(default-jre-headless)
[[ ${STEP_TAG:-} != test ]] || command -v mvn >/dev/null || missing+=(maven)
# The cluster pass of the tests replicates ClickHouse through Debian's ZooKeeper.
[[ ${STEP_TAG:-} != test || -f /usr/share/java/zookeeper.jar ]] || missing+=(zookeeper)
if ((${#missing[@]} == 0)); then
  step "Debian packages present (postgresql, clickhouse-server, clickhouse-client$([[ ${STEP_TAG:-} == test ]] && echo ", chromium, zookeeper"))"
elif [[ $(id -u) == 0 ]]; then
  step "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -qq -o DPkg::Lock::Timeout=300 update
  apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >/dev/null
else
  step "WARNING: missing ${missing[*]} and not root; install them or set DATABASE_URL/CLICKHOUSE_URL"
fi

if [[ -n "${TEMPORAL_ADDRESS:-}" && -n "${STRIPE_API_BASE:-}" ]]; then
  step "dev tools not needed (TEMPORAL_ADDRESS and STRIPE_API_BASE set)"
else
  step "ensure dev tools: Temporal CLI (embedded/temporal-cli.ts), stripe-mock (testing/stripe-mock.ts), Temporal test server (testing/temporal-test-server.ts) (cached in \${TOLLBOOTH_CACHE:-~/.cache/tollbooth})"
  npx tsx scripts/ensure-tools.ts
fi

