#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: type check, pure unit tests, then behaviour tests on
# the lab (real Debian 12 hosts in network namespaces). Must run as root: the lab needs it.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc --noEmit

# Behaviour tests bring the lab up themselves; whatever happens, take it down at the end.
trap 'npx tsx test/lab/cli.ts down >/dev/null 2>&1 || true' EXIT

shopt -s nullglob
files=(test/unit/*.test.ts test/unit/*/*.test.ts test/lab/*.test.ts test/integration/*.test.ts test/integration/*/*.test.ts test/e2e/*.test.ts)
node --import tsx --test --test-concurrency=1 "${files[@]}"
