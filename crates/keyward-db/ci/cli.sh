#!/usr/bin/env bash
# `keyward db census|encrypt|rekey|verify` end to end on an SQLite file and,
# when .ci/postgres.sh has started the private cluster (KEYWARD_TEST_PG_URL,
# KEYWARD_TEST_PG_PASSWORD_FILE), on PostgreSQL. With CI set, a missing
# cluster fails this script. Each step's output is checked, not only its
# exit status.
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --locked --quiet -p keyward-cli
K=$PWD/target/debug/keyward
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

expect() { # expect PATTERN TEXT
    grep -q -- "$1" <<<"$2" || { echo "expected '$1' in: $2" >&2; exit 1; }
}

run_all() { # run_all DB-ARGS...
    local out
    out=$("$K" db census "$@" --derive-vector 1)
    expect "2000 rows: 2000 plaintext" "$out"
    out=$("$K" db encrypt "$@" --new-derive-vector 1 --batch 300)
    expect "2000 sealed under key id adea4f60, 0 failed" "$out"
    out=$("$K" db rekey "$@" --old-derive-vector 1 --new-derive-vector 2 --workers 2)
    expect "2000 re-sealed under key id 33edea4e, 0 failed" "$out"
    out=$("$K" db verify "$@" --derive-vector 2)
    expect "2000 opened, 0 plaintext, 0 failed" "$out"
    out=$("$K" db census "$@" --derive-vector 2 --derive-vector 1)
    expect "key id 33edea4e: 2000 rows (primary)" "$out"
    echo "$out" | tail -n1
}

MAP=(--table auth --id-column id --blob-column blob --version-column ver --serial-column serial --app RESPONSE_ONLY)

python3 - "$W/auth.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE auth (id INTEGER PRIMARY KEY, serial TEXT NOT NULL, blob BLOB, ver INTEGER NOT NULL)")
c.executemany("INSERT INTO auth VALUES (?, ?, ?, 0)",
              [(i, "VDS%07d" % i, ("seed-%06d" % i).encode()) for i in range(1, 2001)])
c.commit()
PY
run_all --db "sqlite:$W/auth.db" "${MAP[@]}"

if [ -z "${KEYWARD_TEST_PG_URL:-}" ]; then
    if [ -n "${CI:-}" ]; then
        echo "cli.sh: CI is set but KEYWARD_TEST_PG_URL is not (.ci/postgres.sh did not run)" >&2
        exit 1
    fi
    echo "cli.sh: PostgreSQL part skipped (no KEYWARD_TEST_PG_URL)"
    exit 0
fi
hostport=${KEYWARD_TEST_PG_URL#*@}
hostport=${hostport%%/*}
PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=$(cat "$KEYWARD_TEST_PG_PASSWORD_FILE") psql -q -h "${hostport%:*}" -p "${hostport##*:}" -U keyward -d keyward -c "
    DROP TABLE IF EXISTS kw_ci_auth;
    CREATE TABLE kw_ci_auth (id bigint PRIMARY KEY, serial text NOT NULL, blob bytea, ver bigint NOT NULL);
    INSERT INTO kw_ci_auth SELECT i, 'VDS' || lpad(i::text, 7, '0'), convert_to('seed-' || lpad(i::text, 6, '0'), 'UTF8'), 0
      FROM generate_series(1, 2000) AS i;" >/dev/null
MAP[1]=kw_ci_auth
run_all --db "$KEYWARD_TEST_PG_URL" --password-file "$KEYWARD_TEST_PG_PASSWORD_FILE" "${MAP[@]}"
