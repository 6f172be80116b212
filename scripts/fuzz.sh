#!/usr/bin/env bash
# Runs every fuzz target of the repository for FUZZTIME each: by default a
# count of executions (1000x), because a duration makes Go 1.26's fuzzing
# coordinator fail now and then with a bare "context deadline exceeded" at
# the deadline, no crasher written (golang/go#75804, fixed in Go 1.27). A
# duration such as FUZZTIME=1m still works for longer local runs.
# `go test -fuzz` takes one target at a time, so targets are listed per
# package first. New crashers land in the package's testdata/fuzz and fail
# the run; commit them as regression seeds once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-1000x}

count=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while read -r dir; do
	mod=${dir%%/*}
	pkg=./${dir#*/}
	[ "$pkg" = "./$mod" ] && pkg=.
	for target in $(cd "$mod" && go test -list '^Fuzz' "$pkg" </dev/null | grep '^Fuzz' || true); do
		printf '  fuzz %-40s %s\n' "$dir" "$target"
		if ! (cd "$mod" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" </dev/null >"$out" 2>&1); then
			cat "$out" >&2
			echo "fuzz target $target in $dir failed; rerun: cd $mod && go test -run '^\$' -fuzz '^${target}\$' $pkg" >&2
			exit 1
		fi
		count=$((count + 1))
	done
done < <(grep -rl --include='*_test.go' '^func Fuzz' chaincode network services 2>/dev/null | xargs -r -n1 dirname | sort -u)
echo "  $count fuzz targets ran for $FUZZTIME each"
