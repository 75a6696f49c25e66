#!/usr/bin/env bash
# Starts what MultiNIC's tests and demo need on a Debian machine where the services are
# installed but may be down: MariaDB, RabbitMQ with the management plugin, and the
# netplan.io package (for `netplan generate` validation). Idempotent; safe to run often.
# Never runs `netplan apply`.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }

start_mariadb() {
  if mysqladmin --silent ping >/dev/null 2>&1; then log "MariaDB is up"; return; fi
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || { log "MariaDB is not installed (apt-get install mariadb-server)"; exit 1; }
  log "starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    mysqladmin --silent ping >/dev/null 2>&1 && { log "MariaDB is up"; return; }
    sleep 1
  done
  log "MariaDB did not answer within 60 s"; exit 1
}

start_rabbitmq() {
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    command -v rabbitmq-server >/dev/null || { log "RabbitMQ is not installed (apt-get install rabbitmq-server)"; exit 1; }
    log "starting RabbitMQ"
    rabbitmq-server -detached || true
  fi
  # await_startup fails at once when called before the node exists, so retry it.
  for _ in $(seq 1 60); do
    rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1 && break
    sleep 2
  done
  rabbitmqctl -q await_startup --timeout 10 >/dev/null || { log "RabbitMQ did not start"; exit 1; }
  log "RabbitMQ is up"
  if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    log "enabling rabbitmq_management"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
  fi
  for _ in $(seq 1 60); do
    curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && { log "management API is up"; return; }
    sleep 1
  done
  log "RabbitMQ management API did not answer on 127.0.0.1:15672"; exit 1
}

install_netplan() {
  if command -v netplan >/dev/null 2>&1; then log "netplan is installed"; return; fi
  log "installing netplan.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends netplan.io >/dev/null
  command -v netplan >/dev/null || { log "netplan.io did not install"; exit 1; }
}

case "${1:-all}" in
  mariadb) start_mariadb ;;
  rabbitmq) start_rabbitmq ;;
  netplan) install_netplan ;;
  all) start_mariadb; start_rabbitmq; install_netplan ;;
  *) echo "usage: $0 [all|mariadb|rabbitmq|netplan]" >&2; exit 2 ;;
esac
