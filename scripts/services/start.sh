#!/usr/bin/env bash
# Prepares a Debian machine of this project's kind for MultiNIC's tests and demo: starts
# MariaDB and RabbitMQ when they are down, enables RabbitMQ's management plugin, and
# installs the Debian packages the tests use when they are missing. Idempotent and quick
# when everything is in place; says what it did, and on stderr, so `--json` output stays
# clean. Never runs `netplan apply`, never starts NetworkManager or Prometheus.
#
#   bash scripts/services/start.sh [test|all|demo|mariadb|rabbitmq|netplan|network-manager|promtool]
#
#   test, all  what `npm test` needs (the npm `pretest` script and .ci/run call it)
#   demo       what `npm run demo` needs: MariaDB, RabbitMQ + management, netplan (`predemo`)
#
# Not root and something is missing or down: it names the exact command to run as root
# and exits 1. MULTINIC_SKIP_PREPARE=1 skips it all (services elsewhere, e.g. compose).
set -euo pipefail

target="${1:-all}"
did=()

log() { printf '[prepare] %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }
is_root() { [[ "$(id -u)" == 0 ]]; }

# Stops with the command a person should run when this run may not do it itself.
need_root() {
  is_root && return 0
  fail "cannot $1 without root. Run: sudo bash scripts/services/start.sh ${target}   (or by hand: $2)"
}

# --- services ---------------------------------------------------------------------

start_mariadb() {
  if mysqladmin --silent ping >/dev/null 2>&1; then log "MariaDB is up"; return; fi
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || fail "MariaDB is not installed (apt-get install mariadb-server)"
  need_root "start MariaDB" "install -d -o mysql -g mysql /run/mysqld; start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql"
  log "starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    mysqladmin --silent ping >/dev/null 2>&1 && { log "MariaDB is up"; did+=("started MariaDB"); return; }
    sleep 1
  done
  fail "MariaDB did not answer within 60 s"
}

amqp_answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
management_answers() { curl -fsS -m 5 -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; }

start_rabbitmq() {
  if amqp_answers && management_answers; then log "RabbitMQ and its management API are up"; return; fi
  command -v rabbitmq-server >/dev/null || fail "RabbitMQ is not installed (apt-get install rabbitmq-server)"
  need_root "start RabbitMQ or enable its management plugin" "rabbitmq-server -detached; rabbitmqctl await_startup; rabbitmq-plugins enable rabbitmq_management"
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting RabbitMQ"
    rabbitmq-server -detached || true
    did+=("started RabbitMQ")
  fi
  # await_startup fails at once when called before the node exists, so retry it.
  for _ in $(seq 1 60); do
    rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1 && break
    sleep 2
  done
  rabbitmqctl -q await_startup --timeout 10 >/dev/null || fail "RabbitMQ did not start"
  log "RabbitMQ is up"
  if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    log "enabling rabbitmq_management"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
    did+=("enabled rabbitmq_management")
  fi
  for _ in $(seq 1 60); do
    management_answers && { log "management API is up"; return; }
    sleep 1
  done
  fail "RabbitMQ management API did not answer on 127.0.0.1:15672"
}

# --- Debian packages ----------------------------------------------------------------

apt_updated=0

# apt_install PACKAGE...: --no-install-recommends, behind /usr/sbin/policy-rc.d. That file
# (exit 101) keeps package scripts from starting daemons (NetworkManager would take over
# this host's interfaces, prometheus would start a server); machines of this kind carry
# one and it is kept. Where it is missing, one is put in place for the install only.
apt_install() {
  need_root "install $*" "apt-get update && apt-get install -y --no-install-recommends $*"
  local guard=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# multinic prepare: no daemon starts during this install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    guard=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local status=0
  if [[ "$apt_updated" == 0 ]]; then apt-get update -qq || status=$?; apt_updated=1; fi
  [[ "$status" != 0 ]] || apt-get install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
  [[ "$guard" == 0 ]] || rm -f /usr/sbin/policy-rc.d
  [[ "$status" == 0 ]] || fail "apt-get install $* failed (exit $status)"
  did+=("installed $*")
}

# ensure_package COMMAND PACKAGE WHY: installs PACKAGE when COMMAND is not on PATH.
ensure_package() {
  if command -v "$1" >/dev/null 2>&1; then log "$2 is installed ($1)"; return; fi
  log "installing $2 ($3)"
  apt_install "$2"
  command -v "$1" >/dev/null 2>&1 || fail "$2 installed but $1 is still missing"
}

install_netplan() { ensure_package netplan netplan.io "netplan generate validates every file the agent writes"; }
install_network_manager() { ensure_package nmcli network-manager "the NetworkManager lab node"; }
install_promtool() { ensure_package promtool prometheus "promtool checks deploy/monitoring's alert rules"; }

# --- network lab (test/lab) -------------------------------------------------------------
# What the lab's nodes run: systemd-networkd (package systemd), NetworkManager, a private
# D-Bus per node, ping, nsenter/unshare (NETWORKMANAGER.md §0; apt_install keeps daemons
# from starting on the host).
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
  log "installing network lab packages: ${missing[*]}"
  apt_install "${missing[@]}"
}

# ------------------------------------------------------------------------------------

if [[ "${MULTINIC_SKIP_PREPARE:-}" == 1 ]]; then
  log "skipped (MULTINIC_SKIP_PREPARE=1): MariaDB, RabbitMQ, netplan, NetworkManager and promtool are not checked"
  exit 0
fi

case "$target" in
  mariadb) start_mariadb ;;
  rabbitmq) start_rabbitmq ;;
  netplan) install_netplan ;;
  network-manager) install_network_manager ;;
  promtool) install_promtool ;;
  lab) install_netplan; install_lab_packages ;;
  demo) start_mariadb; start_rabbitmq; install_netplan; install_lab_packages ;;
  test | all) start_mariadb; start_rabbitmq; install_netplan; install_network_manager; install_lab_packages; install_promtool ;;
  *) echo "usage: $0 [test|all|demo|lab|mariadb|rabbitmq|netplan|network-manager|promtool]" >&2; exit 2 ;;
esac

if [[ ${#did[@]} == 0 ]]; then log "ready ($target): nothing needed doing"; else log "ready ($target): $(IFS=';'; echo "${did[*]}" | sed 's/;/; /g')"; fi
