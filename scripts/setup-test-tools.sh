#!/usr/bin/env bash
# Installs what the full test suite needs beyond cargo, idempotently:
#   - chromium          headless browser for the --html report tests
#   - firefox-esr       the second browser those tests run in
#   - postgresql        server binaries for the shared-history tests
#   - libssl-dev        OpenSSL headers for the PostgreSQL client's TLS
#   - .tools/venv       Python venv with the real subunit2sql tools (reference
#                       and client of the history store, on SQLite and, with
#                       psycopg2, on PostgreSQL) and junitparser (a JUnit
#                       consumer that reads our XML)
# Used by .ci/run; a developer runs it once: `bash scripts/setup-test-tools.sh`.
# Needs root (or sudo) for apt, and python3 with venv/pip.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || need_apt+=(firefox-esr)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need_apt+=(postgresql)
dpkg -s libssl-dev >/dev/null 2>&1 || need_apt+=(libssl-dev pkg-config)

if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing ${need_apt[*]} with apt"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

venv=.tools/venv
# subunit2sql's PostgreSQL driver; 2.9.5 is the first with Python 3.11 wheels.
psycopg2="psycopg2-binary>=2.9.5,<2.10"
if [ ! -x "$venv/bin/subunit2sql" ] || [ ! -f "$venv/.complete" ]; then
    echo "Creating $venv (subunit2sql, psycopg2, junitparser)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check \
        subunit2sql "oslo.db<12" "SQLAlchemy<1.4" "alembic<1.5" \
        "$psycopg2" junitparser
    touch "$venv/.complete"
fi
# A venv made before the server tests lacks only the driver (which needs
# nothing else): add it.
if ! "$venv/bin/python" -c "import psycopg2" 2>/dev/null; then
    echo "Adding psycopg2 to $venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$psycopg2"
fi
echo "test tools ready: chromium, firefox, postgresql ($(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)), $venv"
