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

# Every scratch file a test (or an engine it starts) makes goes under one directory of this run, and
# behaviour tests bring the lab up themselves: whatever happens, take the lab down and remove the
# directory at the end, so a run leaves nothing behind in /tmp.
# Mode 1777, as /tmp: the connection tests' sshd logs plain users in with keys kept under it.
TMPDIR="$(mktemp -d /tmp/shipshape-test.XXXXXX)"
chmod 1777 "$TMPDIR"
export TMPDIR
trap 'npx tsx test/lab/cli.ts down >/dev/null 2>&1 || true; rm -rf -- "$TMPDIR"' EXIT

shopt -s nullglob
tests() { node --import tsx --test --test-concurrency=1 "$@"; }

# 1. One file at a time: the pure unit tests; the lab's own tests (they take the machine-wide lab
#    down and up); the connection tests (the controller's own sshd) and the fault tests, which both
#    assert deadlines, so they get the machine to themselves.
tests test/unit/*.test.ts test/unit/*/*.test.ts modules/*/*.test.ts test/lab/*.test.ts \
  test/integration/connection.test.ts test/integration/faults.test.ts

# 2. The rest of the behaviour tests, in two lanes at once on disjoint lab hosts (the lab's hosts
#    are the machine's bottleneck, not its CPUs: most of a test is waiting on a host). The lab is
#    brought up once here: while the lanes run, a file does not bring it up again (a host the other
#    lane is resetting or has cut would look missing; lab-fixture.ts). A new behaviour test goes in
#    the fleet lane unless it uses node1..node8; it must not use a host of the other lane.
npx tsx test/integration/suite-lab-up.ts
export SHIPSHAPE_SUITE_LAB=up
# node1..node8: the module tests, saved plans, secrets, hostile users, and patch/upgrade (their
# fleet is node5..node8, test/e2e/upgrade-fleet.ts).
nodes=(test/integration/modules/*.test.ts test/integration/saved-plan.test.ts test/integration/secrets.test.ts
  test/integration/security.test.ts test/e2e/patch.test.ts test/e2e/upgrade.test.ts)
# build, relay1..relay3, bench1..bench2, conv1..conv3, pkg1..pkg2: everything else.
fleet=()
for f in test/integration/*.test.ts test/integration/*/*.test.ts test/e2e/*.test.ts; do
  case " ${nodes[*]} test/integration/connection.test.ts test/integration/faults.test.ts " in
    *" $f "*) ;;
    *) fleet+=("$f") ;;
  esac
done
# Each lane's lines carry its name; the run fails if either lane does.
lane() {
  local name=$1 rc
  shift
  set +e
  tests "$@" 2>&1 | sed -u "s/^/[$name] /"
  rc=${PIPESTATUS[0]}
  set -e
  echo "[$name] lane exit code $rc"
  return "$rc"
}
lane nodes "${nodes[@]}" &
nodes_pid=$!
lane fleet "${fleet[@]}" &
fleet_pid=$!
rc=0
wait "$nodes_pid" || rc=1
wait "$fleet_pid" || rc=1
exit "$rc"
