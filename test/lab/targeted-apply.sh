#!/usr/bin/env bash
# The targeted apply path (issue 10 point 6), run INSIDE a lab node. For the measurement only;
# the agent engineers adopt the sequence (README.md, "Targeted apply"):
#   targeted-apply.sh [--rename FROM TO] [NIC...]
# 1. /lib/netplan/generate --root-dir STAGE
#                                         validate /etc/netplan, render into a staging root; the
#                                         C generator `netplan generate` and `netplan apply` call
#                                         (utils.get_generator_path(), NETPLAN_GENERATE_PATH),
#                                         ~10 ms instead of ~140 ms for the Python wrapper
#    (LAB ONLY: rewrite PermanentMACAddress= to MACAddress=; veths have no permanent MAC)
# 2. copy into /run/systemd/network only the files whose bytes changed, delete netplan's
#    vanished ones. networkd's reload compares each .network file's mtime (systemd 252,
#    network_reload()): a plain `netplan generate` rewrites every file, so `networkctl reload`
#    would then reconfigure EVERY link, the primary included.
# 3. ip link set dev FROM down; ip link set dev FROM name TO     (the rename netplan apply does)
# 4. networkctl reload                    reconfigures only links whose .network changed
# 5. networkctl reconfigure NIC...        only when NICs are named (e.g. to re-apply unchanged
#                                         files after a failed apply); the lab measures it
# NIC names are argv words, never parsed as shell code.
set -euo pipefail
from='' to=''
if [ "${1:-}" = --rename ]; then from=$2 to=$3; shift 3; fi
stage=$(mktemp -d /run/lab/stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/etc"
ln -s /etc/netplan "$stage/etc/netplan"
"${NETPLAN_GENERATE_PATH:-/lib/netplan/generate}" --root-dir "$stage"

sync_dir() { # sync_dir STAGED LIVE: netplan's files only, unchanged ones untouched (mtime kept)
  local staged=$1 live=$2 f
  mkdir -p "$live"
  for f in "$staged"/*netplan*; do
    [ -e "$f" ] || continue
    cmp -s "$f" "$live/${f##*/}" || { cp "$f" "$live/${f##*/}.new" && mv "$live/${f##*/}.new" "$live/${f##*/}"; }
  done
  for f in "$live"/*netplan*; do
    [ -e "$f" ] || continue
    [ -e "$staged/${f##*/}" ] || rm -f "$f"
  done
}
shopt -s nullglob
files=("$stage"/run/systemd/network/*.network)
[ ${#files[@]} -eq 0 ] || sed -i 's/^PermanentMACAddress=/MACAddress=/' "${files[@]}"   # LAB ONLY
sync_dir "$stage/run/systemd/network" /run/systemd/network
sync_dir "$stage/run/udev/rules.d" /run/udev/rules.d

if [ -n "$from" ]; then
  ip link set dev "$from" down
  ip link set dev "$from" name "$to"
fi
networkctl reload
[ $# -eq 0 ] || networkctl reconfigure "$@"
