#!/usr/bin/env bash
# Issues one node's agent credentials and prints that node's /etc/multinic/agent.yaml (the
# file the agent DaemonSet reads with --config; README "Per-node credentials"). Usage:
#
#   RABBITMQ_ADMIN_USER=admin RABBITMQ_ADMIN_PASSWORD=... MYSQL_ADMIN_CNF=/root/admin.cnf \
#   AMQP_BROKER_URL=amqp://rabbitmq.multinic-system.svc:5672/ \
#     scripts/node-credentials.sh <node> | ssh <node> 'sudo install -D -m 0600 /dev/stdin /etc/multinic/agent.yaml'
#
# It creates (or re-keys) two users with new random passwords, printed only in the file:
#   RabbitMQ  multinic-node-<node>: reads only multinic.node.<node> (scripts/rabbitmq/node-user.sh)
#   database  DB_AGENT_USER (default mn-<node>): the agent grants of deploy/sql/users.sql
#
#   AMQP_BROKER_URL   the broker(s) as the node reaches them, without credentials; its path is the vhost
#   MYSQL_ADMIN_CNF   a mysql client option file of a database administrator ([client] user=, password=,
#                     host= or socket=); credentials never go on a command line
#   DB_NAME           database (default multinic_db);  DB_USER_HOST  the users' host part (default %)
#   RABBITMQ_API, RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD   as for scripts/rabbitmq/node-user.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/rabbitmq/lib.sh
source "$here/rabbitmq/lib.sh"

[[ $# == 1 ]] || die "usage: $(basename "$0") <node>   (environment: see the head of this script)"
node="$1"
[[ "$node" =~ ^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$ ]] || die "node name '$node' is not a valid node name (letters, digits, '.', '-', '_')"
[[ -n "${AMQP_BROKER_URL:-}" ]] || die "set AMQP_BROKER_URL, e.g. amqp://rabbitmq.multinic-system.svc:5672/"
[[ "$AMQP_BROKER_URL" =~ ^(amqps?)://([^/@]+)(/.*)?$ ]] || die "AMQP_BROKER_URL must be amqp[s]://host[:port][/vhost] without credentials"
scheme="${BASH_REMATCH[1]}" hostport="${BASH_REMATCH[2]}" path="${BASH_REMATCH[3]:-/}"
vhost_encoded="${path#/}"
vhost="$(printf '%b' "${vhost_encoded//%/\\x}")"
[[ -n "$vhost" ]] || vhost=/
[[ -r "${MYSQL_ADMIN_CNF:-}" ]] || die "set MYSQL_ADMIN_CNF to a readable mysql option file of a database administrator"
command -v mysql >/dev/null 2>&1 || die "the mysql client is not installed"
require_admin

db_user="${DB_AGENT_USER:-mn-${node}}"
((${#db_user} <= 32)) || die "database user '$db_user' is longer than MySQL's 32 characters: set DB_AGENT_USER"

# The RabbitMQ user, through the one script that defines its permissions.
amqp_password="$(new_password)"
NODE_PASSWORD="$amqp_password" bash "$here/rabbitmq/node-user.sh" "$node" "$vhost" >/dev/null

# The database user, through deploy/sql/users.sql (the agent part only). The statements go
# on stdin, so no password appears in `ps`, and the client stops at the first error.
db_password="$(new_password)"
sql_quote() {
  local v="${1//\\/\\\\}"
  printf "'%s'" "${v//\'/\'\'}"
}
user_host="${DB_USER_HOST:-%}"
{
  printf 'SET @db_name = %s, @user_host = %s, @agent_user = %s, @agent_password = %s,\n' \
    "$(sql_quote "${DB_NAME:-multinic_db}")" "$(sql_quote "$user_host")" "$(sql_quote "$db_user")" "$(sql_quote "$db_password")"
  printf '    @publisher_user = NULL, @publisher_password = NULL, @migrator_user = NULL, @migrator_password = NULL;\n'
  cat "$here/../deploy/sql/users.sql"
  # CREATE USER IF NOT EXISTS keeps an existing user's password: re-issuing re-keys it.
  printf 'ALTER USER %s@%s IDENTIFIED BY %s;\n' "$(sql_quote "$db_user")" "$(sql_quote "$user_host")" "$(sql_quote "$db_password")"
} | mysql --defaults-extra-file="$MYSQL_ADMIN_CNF" --batch || die "creating database user $db_user failed (is the schema migrated? users.sql needs the tables)"

printf '%s: issued multinic-node-%s (RabbitMQ, vhost %s) and %s (database)\n' "$(basename "$0")" "$node" "$vhost" "$db_user" >&2
cat <<YAML
# /etc/multinic/agent.yaml of node ${node} (mode 0600, root). Issued by scripts/node-credentials.sh;
# re-running it replaces both passwords. The ConfigMap's environment supplies everything else.
db:
  user: "${db_user}"
  password: "${db_password}"
amqp:
  url: "${scheme}://multinic-node-${node}:${amqp_password}@${hostport}${path}"
YAML
