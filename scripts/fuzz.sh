#!/usr/bin/env bash
# Runs every fuzz target of the repository for FUZZTIME (default 2s) each.
# `go test -fuzz` takes one target at a time, so targets are listed per
# package first. New crashers land in the package's testdata/fuzz and fail
# the run; commit them as regression seeds once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-2s}

count=0
while read -r dir; do
	mod=${dir%%/*}
	pkg=./${dir#*/}
	[ "$pkg" = "./$mod" ] && pkg=.
	for target in $(cd "$mod" && go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		printf '  fuzz %-40s %s\n' "$dir" "$target"
		(cd "$mod" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >/dev/null) ||
			{ echo "fuzz target $target in $dir failed; rerun: cd $mod && go test -run '^$' -fuzz '^${target}\$' $pkg" >&2; exit 1; }
		count=$((count + 1))
	done
done < <(grep -rl --include='*_test.go' '^func Fuzz' chaincode network services 2>/dev/null | xargs -r -n1 dirname | sort -u)
echo "  $count fuzz targets ran for $FUZZTIME each"
