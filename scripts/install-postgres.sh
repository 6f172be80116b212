#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries when they are missing, so that
# `kaiban dev` and the tests can start a project cluster (package pgcluster).
# It starts nothing itself and changes nothing when the binaries are there.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
	echo "PostgreSQL server binaries present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "PostgreSQL server binaries missing; run as root: apt-get install postgresql" >&2
	exit 1
fi
echo "installing PostgreSQL server binaries (apt-get install postgresql) ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
echo "PostgreSQL installed: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
