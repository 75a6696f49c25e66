#!/usr/bin/env bash
# Creates (or updates) the publisher's RabbitMQ user. Usage:
#
#   RABBITMQ_ADMIN_USER=admin RABBITMQ_ADMIN_PASSWORD=... scripts/rabbitmq/publisher-user.sh [user] [vhost]
#
# The user defaults to `multinic-publisher`; the password is PUBLISHER_PASSWORD if set,
# else a new random one printed once on stdout.
#
# Permissions (regexes over exchange and queue names):
#   configure  ^multinic\.(events|dead|unroutable|inspect|node\..+)$  declare the exchanges, side queues and every node queue
#   write      ^multinic\.(events|dead|unroutable|inspect|node\..+)$  publish events; bind queues to the exchanges
#   read       ^multinic\.(events|dead|unroutable|inspect|node\..+)$  bindings need read on the source exchange, and RabbitMQ
#                                                                       requires read on a queue to declare it with a dead-letter
#                                                                       exchange (x-dead-letter-exchange), as older releases'
#                                                                       node queues are
# So the publisher could consume a node queue; it never does, and it is the trusted
# side. `multinic publish` (by hand) uses this user too.
# Tag `policymaker`: the publisher sets the node queue policy (delivery limit,
# dead-lettering) through the management API (AMQP_MANAGEMENT_URL with this user).
set -euo pipefail
# shellcheck source=scripts/rabbitmq/lib.sh
source "$(dirname "$0")/lib.sh"

[[ $# -le 2 ]] || die "usage: $(basename "$0") [user] [vhost]"
user="${1:-multinic-publisher}"
vhost="${2:-/}"
[[ "$user" =~ ^[A-Za-z0-9._-]{1,200}$ ]] || die "user name '$user' must be letters, digits, '.', '-', '_'"
require_admin

password="${PUBLISHER_PASSWORD:-}"
generated=0
if [[ -z "$password" ]]; then
  password="$(new_password)"
  generated=1
fi
[[ "$password" != *[\"\\]* ]] || die "PUBLISHER_PASSWORD must not contain quotes or backslashes"

names='multinic\\.(events|dead|unroutable|inspect|node\\..+)'
api PUT "/users/$(urlencode "$user")" "{\"password\":\"${password}\",\"tags\":\"policymaker\"}"
api PUT "/permissions/$(urlencode "$vhost")/$(urlencode "$user")" \
  "{\"configure\":\"^${names}\$\",\"write\":\"^${names}\$\",\"read\":\"^${names}\$\"}"

printf 'user %s ready on vhost %s\n' "$user" "$vhost" >&2
if [[ "$generated" == 1 ]]; then printf '%s\n' "$password"; fi
