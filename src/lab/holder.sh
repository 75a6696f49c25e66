#!/usr/bin/env bash
# Holder of one lab node. Started by lab code as
#   ip netns exec NETNS unshare --uts bash holder.sh NODE_DIR HOSTNAME
# `ip netns exec` already gave it a private mount namespace (/ rslave, so nothing below reaches
# the host) and a sysfs of the node's network namespace on /sys. The holder makes the node look
# like a host of its own, prints "ready", then keeps the namespaces alive until its stdin closes
# (the lab stopped or its process died), when it kills every process left in the node.
# Facts it relies on: the team's machine notes MACHINE.md and NETWORKMANAGER.md (checked 2026-11-30),
# repeated in src/lab/README.md.
set -euo pipefail

# One function, so bash has parsed all of it before the node lives for hours: a script edited
# while a holder waits in its loop then cannot change what the holder does at the end.
main() {
  local node_dir=$1 node_hostname=$2 my_netns proc pid

  # Private /run: systemd-networkd's state, NetworkManager's state and the D-Bus socket stay in
  # the node; the host's /run (and its /run/netns) is hidden from processes in the node.
  mount -t tmpfs -o mode=0755 lab-run /run
  mkdir -p /run/lab /run/dbus /run/udev/rules.d /run/systemd/network /run/systemd/netif /run/NetworkManager
  chown systemd-network:systemd-network /run/systemd/netif
  printf '%s\n' "$node_dir" > /run/lab/node-dir

  # The node's own configuration directories, where the host-side agent writes.
  mount --bind "$node_dir/etc/netplan" /etc/netplan
  mount --bind "$node_dir/etc/NetworkManager" /etc/NetworkManager
  mount -t tmpfs -o mode=0755 lab-nm-state /var/lib/NetworkManager
  mount --bind "$node_dir/resolv.conf" /etc/resolv.conf
  hostname "$node_hostname"

  # Read-only /sys: networkd and NetworkManager then assume there is no udev and manage links at
  # once; with a writable /sys both wait for udev for ever (MACHINE.md, NETWORKMANAGER.md §1).
  mount -o remount,ro /sys

  # A private system bus: `networkctl reload/reconfigure` and nmcli need one.
  dbus-daemon --system --fork

  echo "ready $$"
  while read -r _; do :; done
  my_netns=$(readlink /proc/$$/ns/net)
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" = "$$" ] && continue
    [ "$(readlink "$proc/ns/net" 2>/dev/null)" = "$my_netns" ] && kill -9 "$pid" 2>/dev/null || true
  done
}
main "$@"
