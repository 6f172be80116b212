#!/usr/bin/env bash
# Load test of enterprise establishment (issue 5's benchmark): N establishments
# at each concurrency (default 8, 32 and 128) through the REST API, the seven
# simulated departments approving at once; prints establishments per minute
# and application→bundle p50/p99 for each level, with the machine's load.
#
#   scripts/load-establishments.sh                 # a fresh kaiban dev, started and stopped here
#   KAIBAN_URL=http://localhost:8080 scripts/load-establishments.sh   # a running kaiban dev
#   scripts/load-establishments.sh -rounds 1 -concurrency 8,32   # flags go to kaiban-load (-n, -rounds, -timeout …)
#
# The driver is services/cmd/kaiban-load over services/internal/establish, the
# same driver as the end-to-end test and kaiban dev's demo data; the
# department benchmark (go test -bench Establishments ./internal/departments)
# measures with the same establish.Run. A running kaiban dev must have its
# demo accounts (KAIBAN_DEMO not off); its departments' delay decides what is
# measured (the fresh one here approves at once: KAIBAN_DEPARTMENTS_DELAY=0s).
set -euo pipefail
cd "$(dirname "$0")/.."

data=$(mktemp -d "${TMPDIR:-/tmp}/kaiban-load.XXXXXX")
chmod 755 "$data" # as root, kaiban dev runs PostgreSQL as the postgres user
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$data"
}
trap cleanup EXIT

echo "building kaiban-load ..."
(cd services && go build -o "$data/kaiban-load" ./cmd/kaiban-load)

url=${KAIBAN_URL:-}
if [ -z "$url" ]; then
	if [ -z "${DATABASE_URL:-}" ] && [ -z "${KAIBAN_DATABASE_URL:-}" ]; then
		scripts/install-postgres.sh >/dev/null
	fi
	scripts/install-fonts.sh >/dev/null
	echo "building kaiban ..."
	(cd services && go build -o "$data/kaiban" ./cmd/kaiban)
	free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
	port=$(free_port)
	url=http://127.0.0.1:$port
	echo "kaiban dev on $url (data in $data, log in $data/kaiban.log)"
	(cd "$data" && KAIBAN_DEMO=accounts KAIBAN_DEPARTMENTS_DELAY=${KAIBAN_DEPARTMENTS_DELAY:-0s} \
		KAIBAN_DEPARTMENTS_POLL=${KAIBAN_DEPARTMENTS_POLL:-200ms} exec ./kaiban dev --http-listen "127.0.0.1:$port" \
		--database-local-port "$(free_port)" --chain-devnet-listen "127.0.0.1:$(free_port)" \
		--chain-devnet-ops "127.0.0.1:$(free_port)" --http-ops-listen "127.0.0.1:$(free_port)" --log-level warn) >"$data/kaiban.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 360); do
		curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "load: kaiban dev stopped before it was ready:" >&2
			tail -n 40 "$data/kaiban.log" >&2
			exit 1
		fi
		sleep 0.5
	done
fi

echo "machine: $(nproc) cores; $(uptime)"
"$data/kaiban-load" -url "$url" "$@"
echo "machine after: $(uptime)"
