#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster.
#
#   scripts/with-postgres.sh cargo test -p haven-store
#
# Starts a private cluster (newest /usr/lib/postgresql/*/bin) in a temporary directory, listening
# only on 127.0.0.1 on a free port, socket in the same directory, trust authentication, superuser
# `haven`; exports HAVEN_TEST_POSTGRES_URL; runs the command; stops the cluster and deletes the
# directory however the command ends; exits with the command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

bindir=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        bindir="$dir"
    fi
done
if [ -z "$bindir" ]; then
    echo "PostgreSQL not found: apt-get install postgresql" >&2
    exit 1
fi

# initdb refuses to run as root: run the server tools as the `postgres` user then.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
    as_owner=(runuser -u postgres --)
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/haven-pg.XXXXXX")"
chmod 755 "$tmp"
if [ "${#as_owner[@]}" -gt 0 ]; then
    chown postgres: "$tmp"
fi
data="$tmp/data"
started=0

cleanup() {
    if [ "$started" -eq 1 ]; then
        "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
    # No python: try ports until one is free.
    local p
    for p in $(shuf -i 20000-60000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    return 1
}

"${as_owner[@]}" "$bindir/initdb" -D "$data" -U haven --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 1; }

port="$(free_port)"
"${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -w -l "$tmp/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
started=1

export HAVEN_TEST_POSTGRES_URL="postgres://haven@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
