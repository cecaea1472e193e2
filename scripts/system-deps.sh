#!/usr/bin/env bash
# Install the system packages the build needs, via apt, only when they are missing.
set -euo pipefail
python=${1:-python3}
need=()
command -v cc >/dev/null || need+=(build-essential)
command -v c++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
"$python" -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
"$python" - <<'PY' 2>/dev/null || need+=(python3-dev)
import sysconfig, os, sys
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
PY
if ((${#need[@]})); then
  echo "system-deps: installing ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${need[@]}"
fi

# PostgreSQL's binaries, so that the tests can run a throwaway cluster when no server runs here.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "system-deps: installing postgresql"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q postgresql
fi

# Prometheus's server and promtool for the monitoring tests: Debian's package, unpacked into
# .venv/prometheus (no service is installed or started, nothing listens until a test starts it).
if ! command -v promtool >/dev/null && [ ! -x .venv/prometheus/usr/bin/promtool ]; then
  echo "system-deps: unpacking Debian's prometheus into .venv/prometheus"
  tmp=$(mktemp -d)
  (cd "$tmp" && (apt-get download prometheus >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get download prometheus)))
  mkdir -p .venv/prometheus
  dpkg -x "$tmp"/prometheus_*.deb .venv/prometheus
  rm -rf "$tmp"
fi
