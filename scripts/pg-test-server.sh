#!/usr/bin/env bash
# Make a PostgreSQL server available for the tests: install Debian's
# postgresql package if missing, start the cluster, create the test role and
# database. Prints the connection URL on stdout. Needs root (as the test command runs).
set -euo pipefail
ROLE=thepaper_test
DB=thepaper_test
PW=thepaper_test
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "pg-test-server: installing postgresql from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
    pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$ver" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')
psql_su() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }
for _ in $(seq 1 30); do psql_su -c 'select 1' >/dev/null 2>&1 && break; sleep 1; done
if [ "$(psql_su -c "select 1 from pg_roles where rolname='$ROLE'")" != "1" ]; then
    psql_su -c "create role $ROLE login password '$PW' createdb createrole" >&2
fi
# createrole: docs/analysis.md's read-only analyst role is created (and rolled back) by a test
psql_su -c "alter role $ROLE createdb createrole" >&2
if [ "$(psql_su -c "select 1 from pg_database where datname='$DB'")" != "1" ]; then
    psql_su -c "create database $DB owner $ROLE" >&2
fi
psql_su -d "$DB" -c "create extension if not exists pg_trgm" >&2
echo "postgresql://$ROLE:$PW@127.0.0.1:$port/$DB"
