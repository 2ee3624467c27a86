#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: type check, pure unit tests, then behaviour tests on
# the lab (real Debian 12 hosts in network namespaces). Must run as root: the lab needs it.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need on the controller itself (the lab installs its own tools on first use): an
# sshd and sudo for the connection tests, ssh-keygen. A fresh Debian 12 has none of them.
if [ ! -x /usr/sbin/sshd ] || ! command -v sudo >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  echo "installing openssh-server, openssh-client and sudo for the tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssh-server openssh-client sudo >/dev/null
fi

npx tsc --noEmit

# Behaviour tests bring the lab up themselves; whatever happens, take it down at the end.
trap 'npx tsx test/lab/cli.ts down >/dev/null 2>&1 || true' EXIT

shopt -s nullglob
files=(test/unit/*.test.ts test/unit/*/*.test.ts modules/*/*.test.ts test/lab/*.test.ts test/integration/*.test.ts test/integration/*/*.test.ts test/e2e/*.test.ts)
node --import tsx --test --test-concurrency=1 "${files[@]}"
