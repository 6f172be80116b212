#!/usr/bin/env bash
# End-to-end tests of the web portal in a real headless Chromium: Debian's
# chromium (installed here when missing, with the CJK fonts the Chinese UI
# needs), driven by playwright-core, which downloads no browser. It builds
# the portal, starts a server on a free port with its own data folder, runs
# services/web/e2e/run.mjs against it and stops the server. Screenshots of
# each view land in services/web/artifacts/e2e (ARTIFACTS to change).
#
# The server is `kaiban dev` once the kaiban binary serves the portal
# (package portal wired into services/cmd/kaiban); until then the built
# portal is served by services/web/e2e/serve.mjs, which answers every API
# path 404 as a server without that API would. E2E_SERVER=kaiban|static
# chooses explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
web=services/web

step() { printf '\n==> %s\n' "$*"; }

# --- the browser and fonts -------------------------------------------------
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
	step "installing ${need[*]} (Debian)"
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e: ${need[*]} missing; install them (apt-get install ${need[*]}) or run as root" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the portal --------------------------------------------------------------
if [ ! -d "$web/node_modules" ]; then
	step "npm ci"
	(cd "$web" && npm ci --no-audit --no-fund)
fi
step "building the portal"
(cd "$web" && npx vite build --logLevel warn)

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

server=${E2E_SERVER:-}
if [ -z "$server" ]; then
	if grep -rqs 'portal\.' services/cmd/kaiban/*.go; then server=kaiban; else server=static; fi
fi

data=$(mktemp -d "${TMPDIR:-/tmp}/kaiban-e2e.XXXXXX")
# As root, kaiban dev runs PostgreSQL as the postgres user, who must reach it.
chmod 755 "$data"
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

port=$(free_port)
base=http://127.0.0.1:$port
log=$data/server.log
if [ "$server" = kaiban ]; then
	step "kaiban dev on $base (data in $data)"
	(cd services && go build -o "$data/kaiban" ./cmd/kaiban)
	pgport=$(free_port)
	# The simulated departments run (kaiban dev starts them by itself only
	# with the devnet's ops endpoint, which is off here); the market
	# department's tasks wait for a person (20-workbench.mjs decides the
	# licence in the browser) while the other six decide soon. No demo data:
	# the checks make their own accounts, and the demo establishment would
	# wait at the manual market step, a stray task in the workbench.
	(cd "$data" && KAIBAN_DEMO=${KAIBAN_DEMO:-off} KAIBAN_DEPARTMENTS=${KAIBAN_DEPARTMENTS:-auto} KAIBAN_DEPARTMENTS_MANUAL=${KAIBAN_DEPARTMENTS_MANUAL-market} \
		KAIBAN_DEPARTMENTS_DELAY=${KAIBAN_DEPARTMENTS_DELAY:-300ms} exec ./kaiban dev --http-listen "127.0.0.1:$port" \
		--database-local-port "$pgport" --chain-devnet-listen "127.0.0.1:$(free_port)" \
		--chain-devnet-ops - --http-ops-listen "127.0.0.1:$(free_port)") >"$log" 2>&1 &
	pid=$!
	wait_s=180
else
	step "the built portal on $base (stand-in for kaiban dev: no API)"
	node "$web/e2e/serve.mjs" "$port" >"$log" 2>&1 &
	pid=$!
	wait_s=20
fi

for _ in $(seq 1 $((wait_s * 2))); do
	if curl -fsS -o /dev/null "$base/login" 2>/dev/null; then break; fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "e2e: the server stopped before it was ready:" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
	sleep 0.5
done
curl -fsS "$base/login" | grep -q '<div id="app">' || {
	echo "e2e: $base/login is not the portal" >&2
	tail -n 40 "$log" >&2
	exit 1
}

accounts=()
if [ "$server" = kaiban ]; then
	step "administrators for the signed-in checks (kaiban admin create)"
	# KAIBAN_ADMIN_FORCE: kaiban dev may have made its own administrators
	# (demo data); these are the run's own, beside them.
	admin() {
		(cd "$data" && KAIBAN_ADMIN_FORCE=1 ./kaiban admin create --database-local-port "$pgport" --log-level warn "$@") |
			sed -n 's/^initial password[^:]*: //p'
	}
	password=$(admin secadmin e2e-security "E2E 安全管理员")
	admin auditadmin e2e-audit "E2E 审计管理员" >/dev/null
	# For the checks' account(): a system administrator creates users, a
	# second security administrator gives them roles (e2e/lib.mjs).
	sys_password=$(admin sysadmin e2e-system "E2E 系统管理员")
	grant_password=$(admin secadmin e2e-grants "E2E 授权管理员")
	[ -n "$password" ] && [ -n "$sys_password" ] && [ -n "$grant_password" ] ||
		{ echo "e2e: kaiban admin create printed no password" >&2; exit 1; }
	# The simulated departments' key passwords, for checks where a person of
	# a department acts with its key (a bank officer reading a granted asset).
	keys=
	for code in market seal social medical housing-fund bank tax; do
		kp=$(cd "$data" && ./kaiban department key-password --log-level warn "$code")
		keys="$keys${keys:+,}\"$code\":\"$kp\""
	done
	accounts=(E2E_LOGIN=e2e-security "E2E_PASSWORD=$password" E2E_LOCK_LOGIN=e2e-audit
		E2E_SYS_LOGIN=e2e-system "E2E_SYS_PASSWORD=$sys_password"
		E2E_GRANT_LOGIN=e2e-grants "E2E_GRANT_PASSWORD=$grant_password"
		"E2E_DEPARTMENT_KEYS={$keys}")
fi

step "Chromium against $base"
env "${accounts[@]}" BASE_URL=$base ARTIFACTS=${ARTIFACTS:-$root/$web/artifacts/e2e} node "$web/e2e/run.mjs" || {
	echo "--- server log (last 40 lines) ---" >&2
	tail -n 40 "$log" >&2
	exit 1
}
