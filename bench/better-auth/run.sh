#!/usr/bin/env bash
# Benchmark better-auth endpoints with wrk.
# Usage: bench/better-auth/run.sh [seconds-per-endpoint]   (default 10)
# Progress goes to stderr; the last line of stdout is one JSON object.
set -euo pipefail

DURATION="${1:-10}"
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 <seconds>" >&2; exit 2; }
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"
log() { echo "[bench] $*" >&2; }
die() { echo "[bench] ERROR: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk not found"

# 1. Dependencies (exact pins in package.json + package-lock.json).
# better-sqlite3's prebuilt binary is fetched from GitHub; where that fails its install script
# compiles from source with node-gyp against the local node headers (nodedir below).
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
if [[ ! -f package-lock.json ]]; then
  log "npm install (no lockfile yet)"
  npm install --no-audit --no-fund >&2
elif [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json \
        || package.json -nt node_modules/.package-lock.json \
        || ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
else
  log "node_modules up to date, skipping npm ci"
fi

# 2. Server on a free port with a fresh temp database.
TMP="$(mktemp -d -t bench-better-auth.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NODE_ENV=production DB_PATH="$TMP/auth.sqlite" node server.mjs >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 300); do
  PORT="$(awk '/^LISTENING /{print $2; exit}' "$TMP/server.log")"
  [[ -n "$PORT" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "server exited during startup"; }
  sleep 0.1
done
[[ -n "$PORT" ]] || { cat "$TMP/server.log" >&2; die "server did not start within 30s"; }
BASE="http://127.0.0.1:$PORT"
log "server pid $SERVER_PID at $BASE"

EMAIL="bench@example.com"
PASSWORD="bench-password-123"
CREDS="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"

# request METHOD PATH [BODY] [COOKIE] -> body in $TMP/body, headers in $TMP/headers, prints HTTP status
request() {
  local args=(-sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$1" -H "Origin: $BASE")
  [[ -n "${3:-}" ]] && args+=(-H "Content-Type: application/json" --data "$3")
  [[ -n "${4:-}" ]] && args+=(-H "Cookie: $4")
  curl "${args[@]}" "$BASE$2"
}

# check METHOD PATH BODY COOKIE EXPECTED-SUBSTRING: fail loudly unless 200 and body contains it
check() {
  local status
  status="$(request "$1" "$2" "$3" "$4")"
  if [[ "$status" != 200 ]] || ! grep -qF -- "$5" "$TMP/body"; then
    echo "[bench] $1 $2 -> HTTP $status, expected 200 with '$5'; body:" >&2
    cat "$TMP/body" >&2; echo >&2
    die "pre-check failed for $2"
  fi
}

# 3. Sign up one user and keep its session cookie.
check POST /api/auth/sign-up/email "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"name\":\"Bench\"}" "" "\"$EMAIL\""
COOKIE="$(tr -d '\r' <"$TMP/headers" | sed -n 's/^[Ss]et-[Cc]ookie: *\([^;]*\).*/\1/p' | paste -sd';' | sed 's/;/; /g')"
[[ "$COOKIE" == *session_token=* ]] || die "no session cookie in sign-up response"
log "signed up $EMAIL"

# 4. wrk runs. bench NAME METHOD PATH CONNECTIONS BODY COOKIE
bench() {
  log "wrk $1: $2 $3, $4 connections, ${DURATION}s"
  BENCH_METHOD="$2" BENCH_BODY="$5" BENCH_COOKIE="$6" BENCH_ORIGIN="$BASE" \
    wrk -t2 -c"$4" -d"${DURATION}s" --timeout 10s --latency -s request.lua "$BASE$3" >"$TMP/$1.wrk"
  grep -E 'Requests/sec|Non-2xx' "$TMP/$1.wrk" | sed 's/^/[bench]   /' >&2 || true
}

check POST /api/auth/sign-in/email "$CREDS" "" "\"$EMAIL\""
bench sign_in POST /api/auth/sign-in/email 8 "$CREDS" ""

check GET /api/auth/get-session "" "$COOKIE" "\"$EMAIL\""
bench get_session GET /api/auth/get-session 64 "" "$COOKIE"

check GET /api/auth/list-sessions "" "$COOKIE" '"token"'
SESSIONS="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).length)' "$TMP/body")"
log "list-sessions returns $SESSIONS sessions"
bench list_sessions GET /api/auth/list-sessions 64 "" "$COOKIE"

check GET /api/auth/token "" "$COOKIE" '"token":"ey'
bench token GET /api/auth/token 64 "" "$COOKIE"

# 5. Report (RSS read while the server is still up); the trap stops it and removes the DB.
node report.mjs "$TMP" "$SERVER_PID" "$SESSIONS"
