#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL cluster for the shared-history tests.
#
#   eval "$(bash scripts/pg-test-cluster.sh start)"   # exports STACKVIZ_TEST_PG_URL
#   bash scripts/pg-test-cluster.sh stop
#
# The cluster lives in a temporary directory owned by the `postgres` system
# user (the server refuses to run as root), listens only on 127.0.0.1 at a
# free port, trusts local connections, and is removed by `stop`. Needs the
# Debian `postgresql` package (scripts/setup-test-tools.sh installs it).
set -euo pipefail
state=${STACKVIZ_PG_STATE:-/tmp/stackviz-pg-test}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo "pg-test-cluster: no PostgreSQL server binaries (install the postgresql package)" >&2
    exit 1
fi

as_pg() {
    if [ "$(id -un)" = postgres ]; then "$@"
    elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
    else sudo -u postgres -- "$@"
    fi
}

case "${1:-}" in
start)
    if [ -f "$state/port" ] && as_pg "$pg_bin/pg_ctl" -D "$state/data" status >/dev/null 2>&1; then
        port=$(cat "$state/port")
    else
        rm -rf "$state"
        mkdir -p "$state"
        chown postgres: "$state" 2>/dev/null || true
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        as_pg "$pg_bin/initdb" -D "$state/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 \
            || { cat "$state/initdb.log" >&2; exit 1; }
        as_pg "$pg_bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $state -c fsync=off -c max_connections=50" start >/dev/null \
            || { cat "$state/server.log" >&2; exit 1; }
        echo "$port" | as_pg tee "$state/port" >/dev/null
    fi
    echo "export STACKVIZ_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    if [ -d "$state/data" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$state"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
