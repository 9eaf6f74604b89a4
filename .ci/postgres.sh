#!/usr/bin/env bash
# Install (from Debian's packages), start and prepare a local PostgreSQL for the store's tests; print its URL.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  cluster=main
  pg_createcluster "$version" "$cluster" >&2
fi
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')
pg_ctlcluster "$version" "$cluster" start >&2 2>/dev/null || true
for _ in $(seq 1 50); do
  runuser -u postgres -- psql -p "$port" -qAtc "select 1" >/dev/null 2>&1 && break
  sleep 0.2
done
runuser -u postgres -- psql -p "$port" -qAt >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'licscan') THEN
    CREATE ROLE licscan LOGIN PASSWORD 'licscan';
  END IF;
END \$\$;
SQL
if ! runuser -u postgres -- psql -p "$port" -qAtc "select 1 from pg_database where datname='licscan_test'" | grep -q 1; then
  runuser -u postgres -- createdb -p "$port" -O licscan licscan_test >&2
fi
echo "postgresql+psycopg://licscan:licscan@127.0.0.1:${port}/licscan_test"
