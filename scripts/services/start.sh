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

# --- network lab (test/lab) -------------------------------------------------------------
# What the lab's nodes run: systemd-networkd (package systemd), NetworkManager, a private
# D-Bus per node, ping, nsenter/unshare. --no-install-recommends keeps NetworkManager's
# modem/wifi helpers out; a machine's /usr/sbin/policy-rc.d (if any) is left as it is, so
# package scripts start no daemon on the host (NETWORKMANAGER.md §0).
install_lab_packages() {
  local missing=() bin pkg
  for pair in ip:iproute2 nsenter:util-linux unshare:util-linux dbus-daemon:dbus busctl:systemd \
              networkctl:systemd ping:iputils-ping NetworkManager:network-manager nmcli:network-manager; do
    bin=${pair%%:*} pkg=${pair#*:}
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$pkg")
  done
  [ -x /lib/systemd/systemd-networkd ] || missing+=(systemd)
  if [ ${#missing[@]} -eq 0 ]; then log "network lab packages are installed"; return; fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ]; then
    log "network lab needs: ${missing[*]} (run as root: apt-get install -y --no-install-recommends ${missing[*]})"; exit 1
  fi
  log "installing network lab packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

case "${1:-all}" in
  mariadb) start_mariadb ;;
  rabbitmq) start_rabbitmq ;;
  netplan) install_netplan ;;
  lab) install_netplan; install_lab_packages ;;
  all) start_mariadb; start_rabbitmq; install_netplan; install_lab_packages ;;
  *) echo "usage: $0 [all|mariadb|rabbitmq|netplan|lab]" >&2; exit 2 ;;
esac
