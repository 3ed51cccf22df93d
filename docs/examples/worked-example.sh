#!/usr/bin/env bash
# The worked example of the README, end to end on a real server: the 40 commits of ttft_p99.csv
# become a local git repository's main branch, each commit's trials are uploaded with `perfci upload`,
# the server finds the change point and raises the alert, and a pull-request commit is compared with
# its merge base. Needs a built server (dotnet build -c Release) and PostgreSQL server binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
perfci=(dotnet "$root/src/PerfCI.Server/bin/Release/net10.0/perfci.dll")
work=$(mktemp -d)
chmod 755 "$work" # the embedded PostgreSQL runs as its own user when PerfCI runs as root
port=${PORT:-5391}
export Database__LocalDirectory="$work/postgres" Git__CacheDirectory="$work/mirrors" Urls="http://127.0.0.1:$port"
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

git init --quiet --initial-branch=main "$work/engine"
git() { command git -C "$work/engine" -c user.name=Demo -c user.email=demo@example.invalid "$@"; }
document() { # samples... -> a result document with one metric
  python3 -c 'import json,sys; print(json.dumps({"schema":"perfci.result/v1","source":{"tool":"demo"},"scenarios":[{"name":"chat-1k-128","concurrency":16,"metrics":[{"name":"ttft_p99","unit":"ms","direction":"lower_is_better","samples":[float(x) for x in sys.argv[1:]]}]}]}))' "$@"
}

start_server() {
  "${perfci[@]}" >> "$work/server.log" 2>&1 & server=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
  done
}
stop_server() { kill "$server"; wait "$server" || true; }

# Registering a repository is an admin's: an admin account and an API token of theirs, made with the
# CLI while no server holds the embedded PostgreSQL.
head -c 24 /dev/urandom | base64 | "${perfci[@]}" create-admin --email demo@example.invalid >/dev/null
token=$("${perfci[@]}" api-token create --user demo@example.invalid --name worked-example | sed -n 1p)

# The embedded PostgreSQL belongs to one process at a time: register the repository, then stop the
# server while `perfci upload` stores the results (with a shared PostgreSQL both run together).
start_server
curl -sf -X POST "http://127.0.0.1:$port/api/repositories" -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
  -d "{\"owner\":\"demo\",\"name\":\"engine\",\"cloneUrl\":\"$work/engine\"}" >/dev/null
stop_server

tail -n +2 "$root/docs/examples/ttft_p99.csv" | while IFS=, read -r name t1 t2 t3; do
  git commit --quiet --allow-empty -m "change $name"
  document "$t1" "$t2" "$t3" > "$work/result.json"
  "${perfci[@]}" upload "$work/result.json" --repository demo/engine --commit "$(git rev-parse HEAD)" --suite serving --hardware-class h100 >/dev/null
done
base=$(git rev-parse HEAD)
git checkout --quiet -b slower-scheduler
git commit --quiet --allow-empty -m "a slower scheduler"
document 46.1 46.4 45.9 46.2 46.0 > "$work/result.json"
pr_run=$("${perfci[@]}" upload "$work/result.json" --repository demo/engine --commit "$(git rev-parse HEAD)" --suite serving --hardware-class h100 | grep -o 'stored run [0-9]*' | grep -o '[0-9]*$')

# The uploads queued their analysis; the server runs it: wait for the alert.
start_server
for _ in $(seq 1 120); do
  groups=$(curl -sf "http://127.0.0.1:$port/api/alert-groups?repository=demo/engine")
  [ "$groups" != "[]" ] && break
  sleep 0.5
done
echo "== GET /api/alert-groups?repository=demo/engine"
echo "$groups" | python3 -m json.tool
echo "== GET /api/runs/$pr_run/comparison?base=$base"
curl -sf "http://127.0.0.1:$port/api/runs/$pr_run/comparison?base=$base" | python3 -m json.tool
