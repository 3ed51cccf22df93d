#!/bin/sh
# Registers once (when there is no credential yet and a registration token is given), then runs.
set -eu
config="${PERFCI_RUNNER_CONFIG:-/var/lib/perfci-runner/runner.json}"
if [ ! -f "$config" ]; then
  if [ -z "${PERFCI_REGISTRATION_TOKEN:-}" ] || [ -z "${PERFCI_SERVER:-}" ]; then
    echo "perfci-runner: not registered. Set PERFCI_SERVER and PERFCI_REGISTRATION_TOKEN (an admin creates one with 'perfci runner-token')." >&2
    exit 2
  fi
  # shellcheck disable=SC2086
  dotnet /app/perfci-runner.dll register --server "$PERFCI_SERVER" --token "$PERFCI_REGISTRATION_TOKEN" \
    --name "${PERFCI_RUNNER_NAME:-$(hostname)}" --config "$config" ${PERFCI_RUNNER_LABELS:+--labels $PERFCI_RUNNER_LABELS}
fi
exec dotnet /app/perfci-runner.dll run --config "$config" "$@"
