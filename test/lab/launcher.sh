#!/bin/sh
# Keeps one lab host running: systemd-nspawn with systemd as PID 1, relaunched when the guest
# reboots (nspawn exits 133), ended when it powers off. Usage: launcher.sh NAME ROOT NETNS PIDFILE
set -u
name=$1 root=$2 netns=$3 pidfile=$4

# With --keep-unit nspawn makes its own cgroup the container's; without a cgroup of our own per host
# every container would land in the same /payload. Join lab-NAME in every hierarchy (name=systemd,
# unified, and the v1 controllers), which also lets `kill` and `down` find every process of a host.
for h in /sys/fs/cgroup/*/; do
  [ -w "$h" ] || continue
  mkdir -p "$h/lab-$name" 2>/dev/null && echo $$ > "$h/lab-$name/cgroup.procs" 2>/dev/null
done
echo $$ > "$pidfile"

# nspawn drops CAP_NET_ADMIN and mounts /proc/sys/net read-only with a network namespace given;
# hosts need both for iptables/ufw.
export SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
while :; do
  systemd-nspawn --quiet --boot --register=no --keep-unit \
    --directory="$root" --machine="$name" \
    --network-namespace-path="/run/netns/$netns" --capability=CAP_NET_ADMIN \
    --console=read-only --resolv-conf=off --timezone=off --link-journal=no
  rc=$?
  echo "launcher: nspawn exited $rc at $(date -u +%T)"
  [ "$rc" = 133 ] || break
done
