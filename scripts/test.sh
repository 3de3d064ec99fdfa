#!/usr/bin/env bash
# npm test: build (some tests run the built package), then type-check and lint while the suite runs.
# All must pass; the checks' output is printed after the suite's.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run build || exit 1
typecheck_log=$(mktemp)
{ npm run typecheck && npm run lint; } >"$typecheck_log" 2>&1 &
typecheck=$!
npx vitest run
suite=$?
wait "$typecheck"
checked=$?
cat "$typecheck_log"; rm -f "$typecheck_log"
if [ "$checked" -ne 0 ]; then echo "npm test: the type-check or lint failed (see above; npm run format fixes formatting)"; fi
exit $(( suite != 0 || checked != 0 ))
