#!/usr/bin/env bash
# `npm run test:scale`: the 50-host scale test (issue 11). Like `npm test`, it brings the lab up
# itself and takes it down at the end, whatever happens. Root only.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Scratch files under one directory of this run, removed with the lab at the end (as test/run.sh).
# Mode 1777, as /tmp (see test/run.sh).
TMPDIR="$(mktemp -d /tmp/shipshape-test.XXXXXX)"
chmod 1777 "$TMPDIR"
export TMPDIR
trap 'npx tsx test/lab/cli.ts down >/dev/null 2>&1 || true; rm -rf -- "$TMPDIR"' EXIT
node --import tsx --test --test-concurrency=1 test/scale/*.test.ts
