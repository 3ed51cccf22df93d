#!/usr/bin/env bash
# Runs every PerfCI test on a fresh machine: installs what the tests need (PostgreSQL server
# binaries, Chromium), then `dotnet test` on the whole solution. Tests start their own PostgreSQL cluster,
# or use PERFCI_TEST_DATABASE (a connection string whose user may create databases) when set.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

has_postgres() {
  { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if [ -z "${PERFCI_TEST_DATABASE:-}" ] && ! has_postgres; then
  echo "tests/run.sh: installing PostgreSQL server binaries (apt-get install postgresql)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# The dashboard's browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if ! command -v chromium >/dev/null 2>&1; then
  echo "tests/run.sh: installing Chromium (apt-get install chromium)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Tests that compare measured latencies with scripted truth run on their own, after the rest:
# on a small machine other test assemblies' threads would be measured along with the engine.
dotnet test PerfCI.sln -c Release --filter "Category!=Timing" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
dotnet test tests/PerfCI.Bench.Tests -c Release --no-build --filter "Category=Timing" "$@" 2>&1 | tee -a "$log"
timing=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$timing
set -e

# One summary line for the whole solution: "N passed, N failed, N skipped".
awk '/(Passed|Failed)! +- +Failed: / {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
