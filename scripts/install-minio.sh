#!/usr/bin/env bash
# Builds the MinIO server that the tests run (package miniotest) once, into
# the cache folder miniotest looks in, so that `make test` never waits minutes
# for it inside a test's time limit. It needs the Go module proxy (or a module
# cache holding MinIO) the first time and does nothing once the binary is there.
# The version is the one pinned in services/internal/objectstore/miniotest.
set -euo pipefail
cd "$(dirname "$0")/.."

pin=services/internal/objectstore/miniotest/build.go
version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' "$pin")
[ -n "$version" ] || { echo "no MinIO version in $pin" >&2; exit 1; }

if [ -n "${KAIBAN_MINIO_BIN:-}" ]; then
	[ -x "$KAIBAN_MINIO_BIN" ] || { echo "KAIBAN_MINIO_BIN=$KAIBAN_MINIO_BIN is not an executable" >&2; exit 1; }
	echo "MinIO server: $KAIBAN_MINIO_BIN (KAIBAN_MINIO_BIN)"
	exit 0
fi

# The same folder as miniotest.CacheDir (Go's os.UserCacheDir on Linux).
dir=${KAIBAN_MINIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaiban/minio/$version}
bin=$dir/minio
if [ -x "$bin" ]; then
	echo "MinIO server present: $bin"
	exit 0
fi

mkdir -p "$dir"
# The lock miniotest takes too: whoever comes second waits, then finds the binary.
exec 9>"$dir/build.lock"
flock 9
if [ -x "$bin" ]; then
	echo "MinIO server present: $bin"
	exit 0
fi
tmp=$(mktemp -d "$dir/build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "building the MinIO server (go install github.com/minio/minio@$version); several minutes ..."
start=$SECONDS
(cd "$tmp" && GOBIN="$tmp" GOWORK=off GOFLAGS= go install "github.com/minio/minio@$version")
mv "$tmp/minio" "$bin"
echo "MinIO server built in $((SECONDS - start))s: $bin"
