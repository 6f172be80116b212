#!/usr/bin/env bash
# `make run` = `kaiban dev`: the whole platform in one process — the embedded
# devnet, PostgreSQL (DATABASE_URL, or a local cluster under .kaiban/pg), the
# object store, the migrations and every service on :8080 — with its data
# under ./.kaiban, and a summary of what it started. Ctrl-C stops it; the data
# survives, so the next run resumes where this one stopped.
#
# Arguments are passed to kaiban dev (`make run ARGS="--http-listen :9000"`,
# `scripts/run.sh --help` for every setting).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin .kaiban

# Without DATABASE_URL, kaiban dev runs its own cluster with Debian's
# PostgreSQL binaries; install them when they are missing.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${KAIBAN_DATABASE_URL:-}" ]; then
	scripts/install-postgres.sh >/dev/null
fi

# Unified issuance renders documents with a CJK font.
scripts/install-fonts.sh >/dev/null

echo "building kaiban ..."
(cd services && go build -o ../bin/kaiban ./cmd/kaiban)
exec bin/kaiban dev "$@"
