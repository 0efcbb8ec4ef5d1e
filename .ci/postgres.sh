#!/usr/bin/env bash
# A private PostgreSQL cluster for the keyward-db tests (Debian's postgresql).
#
# Source it (`. .ci/postgres.sh`), then `pg_start`; `pg_stop` at exit. Run it
# directly (`bash .ci/postgres.sh`) to start a cluster and print the exports.
#
# pg_start installs the Debian package `postgresql` when initdb is missing
# (one line and a non-zero return when the download fails: with CI set the
# PostgreSQL tests then fail, not skip), creates an unprivileged user
# `keyward-pg`, a cluster in a fresh temporary directory owned by it
# (initdb, SCRAM password authentication), and starts it on 127.0.0.1 on a
# free port. It exports:
#   KEYWARD_TEST_PG_URL            postgresql://keyward@127.0.0.1:PORT/keyward
#   KEYWARD_TEST_PG_PASSWORD_FILE  a 0600 file holding the password
#   KEYWARD_TEST_PG_RESTART        a command that restarts the cluster (fast)

KEYWARD_PG_OS_USER=keyward-pg
KEYWARD_PG_DIR=

keyward_pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && echo "$d"
    done | sort -V | tail -n1
}

pg_start() {
    local bin
    bin=$(keyward_pg_bindir)
    if [ -z "$bin" ]; then
        echo "installing postgresql (apt-get)"
        if ! { apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; }; then
            echo "postgres.sh: apt-get could not download postgresql: the PostgreSQL tests cannot run" >&2
            return 1
        fi
        bin=$(keyward_pg_bindir)
        if [ -z "$bin" ]; then
            echo "postgres.sh: postgresql is installed but initdb was not found under /usr/lib/postgresql" >&2
            return 1
        fi
    fi
    if ! id -u "$KEYWARD_PG_OS_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$KEYWARD_PG_OS_USER" ||
            { echo "postgres.sh: could not create user $KEYWARD_PG_OS_USER" >&2; return 1; }
    fi
    KEYWARD_PG_DIR=$(mktemp -d /tmp/keyward-pg.XXXXXX)
    chmod 0711 "$KEYWARD_PG_DIR"
    local data="$KEYWARD_PG_DIR/data" pwfile="$KEYWARD_PG_DIR/password"
    local run_as=(runuser -u "$KEYWARD_PG_OS_USER" --)
    # The password: 32 random hex digits, readable by this user only (the
    # tests read it); the cluster's copy is removed after initdb.
    (umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$pwfile")
    install -m 0600 -o "$KEYWARD_PG_OS_USER" "$pwfile" "$KEYWARD_PG_DIR/initdb-pw"
    mkdir -m 0700 "$data" "$KEYWARD_PG_DIR/socket"
    chown "$KEYWARD_PG_OS_USER" "$data" "$KEYWARD_PG_DIR/socket"
    if ! "${run_as[@]}" "$bin/initdb" -D "$data" -U keyward --auth=scram-sha-256 \
        --pwfile="$KEYWARD_PG_DIR/initdb-pw" -E UTF8 --no-locale >"$KEYWARD_PG_DIR/initdb.log" 2>&1; then
        echo "postgres.sh: initdb failed:" >&2
        cat "$KEYWARD_PG_DIR/initdb.log" >&2
        return 1
    fi
    rm -f "$KEYWARD_PG_DIR/initdb-pw"
    local port="" p
    for p in $(seq 25432 25532); do
        if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            port=$p
            break
        fi
    done
    if [ -z "$port" ]; then
        echo "postgres.sh: no free port in 25432..25532" >&2
        return 1
    fi
    local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$KEYWARD_PG_DIR/socket -c max_connections=50 -c fsync=on"
    if ! "${run_as[@]}" "$bin/pg_ctl" -D "$data" -o "$opts" -l "$KEYWARD_PG_DIR/socket/server.log" -w -t 60 start >/dev/null; then
        echo "postgres.sh: the cluster did not start:" >&2
        cat "$KEYWARD_PG_DIR/socket/server.log" >&2
        return 1
    fi
    PGPASSWORD=$(cat "$pwfile") "$bin/psql" -q -h 127.0.0.1 -p "$port" -U keyward -d postgres \
        -c "CREATE DATABASE keyward" >/dev/null ||
        { echo "postgres.sh: could not create the database" >&2; return 1; }
    export KEYWARD_TEST_PG_URL="postgresql://keyward@127.0.0.1:$port/keyward"
    export KEYWARD_TEST_PG_PASSWORD_FILE="$pwfile"
    export KEYWARD_TEST_PG_RESTART="runuser -u $KEYWARD_PG_OS_USER -- $bin/pg_ctl -D $data -o '$opts' -l $KEYWARD_PG_DIR/socket/server.log -w -t 60 -m fast restart"
    echo "PostgreSQL tests use $KEYWARD_TEST_PG_URL ($("$bin/postgres" --version), cluster in $KEYWARD_PG_DIR)"
}

pg_stop() {
    [ -n "$KEYWARD_PG_DIR" ] && [ -d "$KEYWARD_PG_DIR/data" ] || return 0
    local bin
    bin=$(keyward_pg_bindir)
    runuser -u "$KEYWARD_PG_OS_USER" -- "$bin/pg_ctl" -D "$KEYWARD_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$KEYWARD_PG_DIR"
    KEYWARD_PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    pg_start
    echo "export KEYWARD_TEST_PG_URL='$KEYWARD_TEST_PG_URL'"
    echo "export KEYWARD_TEST_PG_PASSWORD_FILE='$KEYWARD_TEST_PG_PASSWORD_FILE'"
    echo "export KEYWARD_TEST_PG_RESTART=\"$KEYWARD_TEST_PG_RESTART\""
    echo "# stop: runuser -u $KEYWARD_PG_OS_USER -- $(keyward_pg_bindir)/pg_ctl -D $KEYWARD_PG_DIR/data stop; rm -rf $KEYWARD_PG_DIR"
fi
