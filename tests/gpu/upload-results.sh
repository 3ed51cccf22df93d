#!/usr/bin/env bash
# Stores the GPU results (tests/gpu/results) in a PerfCI server of its own and prints what it found:
# the sample engine's history is rebuilt with make-history.py (the same shas as on the GPU machine),
# registered as perfci/sample-engine, every result uploaded in first-parent order (the pull request's
# head last), then the server analyses them; alert groups, change points and each run's comparison
# with its baseline are written to tests/gpu/results/server/.
#   tests/gpu/upload-results.sh          # needs a built server (dotnet build src/PerfCI.Server) and PostgreSQL binaries
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
results="$root/tests/gpu/results"
perfci=(dotnet "$root/src/PerfCI.Server/bin/${CONFIGURATION:-Debug}/net10.0/perfci.dll")
work=$(mktemp -d)
chmod 755 "$work" # the embedded PostgreSQL runs as its own user when PerfCI runs as root
port=${PORT:-5393}
export Database__LocalDirectory="$work/postgres" Git__CacheDirectory="$work/mirrors" Urls="http://127.0.0.1:$port" Demo__Enabled=false
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
out="$results/server"
mkdir -p "$out"

python3 "$root/tests/gpu/make-history.py" "$work/engine" --table "$work/history.tsv" >/dev/null
cmp -s <(cut -f1 "$work/history.tsv") <(cut -f1 "$results/history.tsv") || { echo "upload-results: the rebuilt history's shas differ from the measured ones" >&2; exit 1; }

start_server() {
  "${perfci[@]}" >> "$work/server.log" 2>&1 & server=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
  done
}
stop_server() { kill "$server"; wait "$server" || true; }

# The embedded PostgreSQL belongs to one process at a time: an admin and an API token for this script
# (the database is thrown away at the end), register the repository, stop, upload, start again.
"${perfci[@]}" migrate >> "$work/server.log" 2>&1
"${perfci[@]}" create-admin --email gpu-results@example.invalid --password "$(head -c 24 /dev/urandom | base64)" >> "$work/server.log" 2>&1
token=$("${perfci[@]}" api-token create --user gpu-results@example.invalid --name "upload-results.sh" | grep -o 'perfci_api_[A-Za-z0-9_-]*' | head -1)
[ -n "$token" ] || { echo "upload-results: no API token was created" >&2; exit 1; }
start_server
curl -sS --fail-with-body -X POST "http://127.0.0.1:$port/api/repositories" -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
  -d "{\"owner\":\"perfci\",\"name\":\"sample-engine\",\"cloneUrl\":\"$work/engine\"}" >/dev/null
stop_server

: > "$out/uploads.tsv"
# File names start with the commit's position (000-, 001-, ..., pr1-, pr2- for the pull requests): ls order is first-parent order.
for file in $(ls "$results" | grep -E '^([0-9]{3}|pr[0-9])-[0-9a-f]{12}-(serving|quick)-run[0-9]+\.json$' | sort); do
  short=$(echo "$file" | cut -d- -f2)
  sha=$(awk -F'\t' -v s="$short" 'substr($1, 1, 12) == s { print $1 }' "$results/history.tsv")
  line=$("${perfci[@]}" upload "$results/$file" --repository perfci/sample-engine --commit "$sha")
  echo "$line"
  run=$(echo "$line" | grep -o 'stored run [0-9]*' | grep -o '[0-9]*$')
  printf '%s\t%s\t%s\n' "$file" "$sha" "$run" >> "$out/uploads.tsv"
done

start_server
# Uploads queued their analysis; the server runs it in the background. Done when the alert groups
# and the last run's comparison read the same twice, 10 s apart (and at least 30 s after the start).
last_run=$(tail -1 "$out/uploads.tsv" | cut -f3)
snapshot() { curl -s "http://127.0.0.1:$port/api/alert-groups?repository=perfci/sample-engine&state=all"; curl -s "http://127.0.0.1:$port/api/runs/$last_run/comparison"; }
sleep 30
previous=$(snapshot)
for _ in $(seq 1 30); do
  sleep 10
  current=$(snapshot)
  [ "$current" = "$previous" ] && break
  previous=$current
done
curl -sf "http://127.0.0.1:$port/api/alert-groups?repository=perfci/sample-engine&state=all" | python3 -c "import json, sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1)" > "$out/alert-groups.json"
# A pull request's head is compared with its merge base (commit 17) and that commit's neighbours;
# a commit of main with the commits before it.
merge_base=$(awk -F'\t' '$2 == "17" { print $1 }' "$results/history.tsv")  # main's tip, where both pull requests branch off
while IFS=$'\t' read -r file sha run; do
  query=""
  case "$file" in pr[0-9]-*) query="?base=$merge_base" ;; esac
  curl -sf "http://127.0.0.1:$port/api/runs/$run/comparison$query" | python3 -c "import json, sys; json.dump(json.load(sys.stdin), sys.stdout, separators=(',', ':'))" > "$out/comparison-${file%.json}.json" || echo "no comparison for run $run ($file)"
done < "$out/uploads.tsv"
cp "$work/server.log" "${SERVER_LOG:-/tmp/perfci-gpu-server.log}"  # large: kept out of the repository
echo "upload-results: wrote $out"
