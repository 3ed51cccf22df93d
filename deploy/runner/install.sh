#!/usr/bin/env bash
# Installs the PerfCI runner on a Linux GPU machine as a systemd service.
#   sudo deploy/runner/install.sh --server https://perfci.example.com --token perfci_reg_... [--labels "gpu h100"] [--binary ./publish/perfci-runner]
# The binary: dotnet publish src/PerfCI.Runner -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o publish
set -euo pipefail

server="" token="" labels="" binary="./publish/perfci-runner" name="$(hostname)"
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server="$2"; shift 2 ;;
    --token) token="$2"; shift 2 ;;
    --labels) labels="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$server" ] && [ -n "$token" ] || { echo "install.sh: --server and --token are required" >&2; exit 2; }
[ -x "$binary" ] || { echo "install.sh: no runner binary at $binary (see the header of this script)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (it creates a user and a systemd unit)" >&2; exit 2; }

id perfci-runner >/dev/null 2>&1 || useradd --system --home-dir /var/lib/perfci-runner --create-home --shell /usr/sbin/nologin perfci-runner
# The runner's user needs the GPU: the video/render groups where they exist.
for group in video render; do getent group "$group" >/dev/null && usermod -aG "$group" perfci-runner; done
install -d -o root -g root -m 0755 /opt/perfci-runner
install -o root -g root -m 0755 "$binary" /opt/perfci-runner/perfci-runner
install -d -o perfci-runner -g perfci-runner -m 0700 /var/lib/perfci-runner

# shellcheck disable=SC2086
runuser -u perfci-runner -- /opt/perfci-runner/perfci-runner register --server "$server" --token "$token" --name "$name" \
  --config /var/lib/perfci-runner/runner.json ${labels:+--labels $labels}

install -o root -g root -m 0644 "$(dirname "$0")/../systemd/perfci-runner.service" /etc/systemd/system/perfci-runner.service
systemctl daemon-reload
systemctl enable --now perfci-runner
echo "perfci-runner is running: journalctl -u perfci-runner -f"
