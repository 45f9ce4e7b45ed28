#!/usr/bin/env bash
# Services the tests need: PostgreSQL's server binaries (initdb, pg_ctl). The destination tests
# start their own throwaway cluster on 127.0.0.1 from these binaries (tests/destinations/conftest.py)
# and fail under CI=true when they are missing. Idempotent; needs root (apt) when not installed.
set -euo pipefail
# systemd-analyze checks the exported systemd timers and units (tests/schedule/sysbin.py).
if ! command -v systemd-analyze >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
    systemd-analyze --version | head -1
fi
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "postgresql binaries present"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
