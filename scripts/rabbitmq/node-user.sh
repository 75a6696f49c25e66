#!/usr/bin/env bash
# Creates (or updates) the RabbitMQ user of one node's agent, allowed to touch only its
# own queue. Usage:
#
#   RABBITMQ_ADMIN_USER=admin RABBITMQ_ADMIN_PASSWORD=... scripts/rabbitmq/node-user.sh <node> [vhost]
#
# The user is `multinic-node-<node>`; the password is NODE_PASSWORD if set, else a new
# random one printed once on stdout (put it in that node's AMQP_URL; it is stored nowhere).
#
# Permissions (regexes over exchange and queue names; N = the node name with "." escaped):
#   configure  ^multinic\.node\.N$                      declare its own queue, nothing else
#   write      ^(multinic\.node\.N|multinic\.dead)$     bind its own queue; publish rejected events to multinic.dead
#   read       ^(multinic\.node\.N|multinic\.events)$   consume its own queue; bind it to multinic.events
# So it cannot read another node's queue (403 ACCESS_REFUSED), cannot publish to
# multinic.events, and cannot declare or delete the shared exchanges: the publisher
# (publisher-user.sh) declares those. An agent running as this user must declare the
# shared exchanges passively (they exist once the publisher has started).
set -euo pipefail
# shellcheck source=scripts/rabbitmq/lib.sh
source "$(dirname "$0")/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || die "usage: $(basename "$0") <node> [vhost]"
node="$1"
vhost="${2:-/}"
[[ "$node" =~ ^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$ ]] || die "node name '$node' is not a valid node name (letters, digits, '.', '-', '_')"
require_admin

user="multinic-node-${node}"
password="${NODE_PASSWORD:-}"
generated=0
if [[ -z "$password" ]]; then
  password="$(new_password)"
  generated=1
fi
[[ "$password" != *[\"\\]* ]] || die "NODE_PASSWORD must not contain quotes or backslashes"

q="multinic\\\\.node\\\\.$(regex_escape "$node")"
api PUT "/users/$(urlencode "$user")" "{\"password\":\"${password}\",\"tags\":\"\"}"
api PUT "/permissions/$(urlencode "$vhost")/$(urlencode "$user")" \
  "{\"configure\":\"^${q}\$\",\"write\":\"^(${q}|multinic\\\\.dead)\$\",\"read\":\"^(${q}|multinic\\\\.events)\$\"}"

printf 'user %s ready on vhost %s\n' "$user" "$vhost" >&2
if [[ "$generated" == 1 ]]; then printf '%s\n' "$password"; fi
