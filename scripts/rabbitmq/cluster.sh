#!/usr/bin/env bash
# A throwaway 3-node RabbitMQ cluster on this machine, apart from the machine's own broker
# (rabbit@localhost on 5672/15672/25672, which other tests use and which this script never
# touches). For the fault suite's cluster case (test/fault/cluster.test.ts) and CI.
#
#   cluster.sh up              start the 3 nodes and join them (idempotent; ~25 s cold, ~3 s when up)
#   cluster.sh down            stop the nodes and remove the base dir (works on any partial state)
#   cluster.sh check           exit 0 when all 3 nodes run the app and are clustered
#   cluster.sh urls            print AMQP_URL (comma-separated, guest) and the management URLs
#   cluster.sh leaders [VH]    print "QUEUE N" for every quorum queue of vhost VH (default /): N (1-3) leads it
#   cluster.sh kill N          SIGKILL node N's Erlang VM (a crash)
#   cluster.sh stop-app N      rabbitmqctl stop_app on node N (the VM stays up)
#   cluster.sh start N         bring node N back: boot it if its VM is gone, else start_app; wait until it serves
#
# Node N (1-3) is ${MULTINIC_CLUSTER_NAME:-mnc}N@localhost: AMQP 127.0.0.1:568N, management
# 127.0.0.1:1568N, Erlang distribution 127.0.0.1:2568N; user guest/guest (loopback_users =
# none, every listener on loopback only). Everything lives in MULTINIC_CLUSTER_DIR (default
# ${TMPDIR:-/tmp}/multinic-rabbitmq-cluster): its own HOME and Erlang cookie, config, mnesia
# and logs. Costs ~0.45 GB RSS (~150 MiB per node).
#
# Isolation (checked facts in RABBITMQ-CLUSTER.md of the project's shared notes): the
# /usr/sbin/rabbitmq* wrappers switch to the rabbitmq user and so to the SYSTEM cookie, and
# /etc/rabbitmq/rabbitmq-env.conf names the system node; so every call here runs
# /usr/lib/rabbitmq/bin/* directly, in an emptied environment with our own HOME, an empty
# RABBITMQ_CONF_ENV_FILE, no ERL_FLAGS, and CLI distribution ports 35700-35720 (the
# system CLI uses 35672-35682).
set -euo pipefail

R=/usr/lib/rabbitmq/bin
NAME="${MULTINIC_CLUSTER_NAME:-mnc}"
BASE="${MULTINIC_CLUSTER_DIR:-${TMPDIR:-/tmp}/multinic-rabbitmq-cluster}"
NODES=(1 2 3)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ "$NAME" =~ ^[a-z][a-z0-9]{0,15}$ && "$NAME" != rabbit ]] || die "MULTINIC_CLUSTER_NAME must be a short lowercase name other than 'rabbit' (the machine's broker)"
[[ "$BASE" = /* ]] || die "MULTINIC_CLUSTER_DIR must be an absolute path"
[[ -x "$R/rabbitmq-server" ]] || die "RabbitMQ is not installed ($R/rabbitmq-server missing; apt-get install rabbitmq-server)"

node() { printf '%s%s@localhost' "$NAME" "$1"; }
check_n() { [[ "${1:-}" =~ ^[123]$ ]] || die "node number must be 1, 2 or 3, got '${1:-}'"; }

# The only environment the RabbitMQ scripts see: nothing of the caller's RABBITMQ_* or ERL_*.
clean_env() {
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    HOME="$BASE/home" RABBITMQ_CONF_ENV_FILE="$BASE/empty-env.conf" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_CTL_DIST_PORT_MIN=35700 RABBITMQ_CTL_DIST_PORT_MAX=35720 "$@"
}
# A CLI VM that cannot start (no cookie yet) would write erl_crash.dump into the caller's directory.
ctl() { local n="$1"; shift; clean_env ERL_CRASH_DUMP_BYTES=0 "$R/rabbitmqctl" -n "$(node "$n")" "$@"; }
# The CLI needs our cookie: before `up` made it, there is no cluster to ask.
require_up() { [[ -s "$BASE/home/.erlang.cookie" ]] || die "cluster $NAME is not up ($BASE has no cookie; run: $0 up)"; }

pid_of() {
  local pid
  pid="$(cat "$BASE/$NAME$1/pid" 2>/dev/null)" || return 1
  # The VM's own environment names its node and pid file: a recycled pid is never taken for ours.
  [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "RABBITMQ_PID_FILE=$BASE/$NAME$1/pid" && printf '%s' "$pid"
}

# Every Erlang VM whose environment points into BASE: only ever ours.
stray_vms() {
  local p
  for p in $(pgrep -x beam.smp); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "^RABBITMQ_PID_FILE=$BASE/" && printf '%s\n' "$p"
  done
  return 0
}

prepare() {
  mkdir -p "$BASE/home"
  chmod 700 "$BASE" "$BASE/home"
  : >"$BASE/empty-env.conf"
  echo '[rabbitmq_management].' >"$BASE/enabled_plugins"
  if [[ ! -s "$BASE/home/.erlang.cookie" ]]; then
    head -c 64 /dev/urandom | base64 | tr -dc A-Z | head -c 20 >"$BASE/home/.erlang.cookie"
    chmod 400 "$BASE/home/.erlang.cookie"
  fi
  for n in "${NODES[@]}"; do
    mkdir -p "$BASE/$NAME$n/mnesia" "$BASE/$NAME$n/log"
    cat >"$BASE/$NAME$n/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:568$n
management.tcp.port = 1568$n
management.tcp.ip = 127.0.0.1
loopback_users = none
cluster_name = $NAME
cluster_partition_handling = ignore
log.file.level = info
EOF
  done
}

boot() {
  local n="$1" d="$BASE/$NAME$1"
  (cd "$BASE" && clean_env RABBITMQ_NODENAME="$(node "$n")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="568$n" \
    RABBITMQ_DIST_PORT="2568$n" RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/pid" \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$R/rabbitmq-server" -detached) >>"$d/log/start.out" 2>&1 9>&-
}

# await_startup fails at once while the VM is still registering with epmd: retry it.
await_node() {
  local n="$1" deadline=$((SECONDS + ${2:-90}))
  until ctl "$n" -q await_startup --timeout 10 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$(node "$n") did not start (log: $BASE/$NAME$n/log)"
    sleep 1
  done
}

joined() { ctl "$1" -q cluster_status --formatter json 2>/dev/null | grep -q "\"$(node 1)\""; }

running_count() {
  ctl 1 -q cluster_status --formatter json 2>/dev/null | tr -d ' \n' | grep -o '"running_nodes":\[[^]]*\]' | grep -o '@localhost' | wc -l
}

cmd_up() {
  local t0=$SECONDS
  UP_DONE=0
  trap '[[ $UP_DONE == 1 ]] || { log "up failed: removing the cluster"; cmd_down; }' EXIT
  prepare
  for n in "${NODES[@]}"; do
    if pid_of "$n" >/dev/null; then continue; fi
    log "booting $(node "$n") (AMQP 127.0.0.1:568$n, management :1568$n)"
    boot "$n"
  done
  for n in "${NODES[@]}"; do
    pid_of "$n" >/dev/null && ! ctl "$n" -q await_startup --timeout 2 >/dev/null 2>&1 && ctl "$n" -q start_app >/dev/null 2>&1 || true
    await_node "$n"
  done
  for n in 2 3; do
    if joined "$n"; then continue; fi
    log "joining $(node "$n") to $(node 1)"
    ctl "$n" -q stop_app >/dev/null
    ctl "$n" -q reset >/dev/null
    ctl "$n" -q join_cluster "$(node 1)" >>"$BASE/$NAME$n/log/join.out" 2>&1
    ctl "$n" -q start_app >/dev/null
    await_node "$n"
  done
  [[ "$(running_count)" == 3 ]] || die "cluster_status of $(node 1) does not list 3 running nodes"
  UP_DONE=1
  log "cluster $NAME up: 3 nodes running in $((SECONDS - t0)) s"
  cmd_urls
}

cmd_down() {
  local n pid
  for n in "${NODES[@]}"; do
    # `rabbitmqctl stop PIDFILE` returns only once the VM has exited.
    pid="$(pid_of "$n")" || continue
    (ctl "$n" -q stop "$BASE/$NAME$n/pid" >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true) &
  done
  wait
  # Any VM of ours still alive (stop failed, or it had not written its pid file yet).
  for pid in $(stray_vms); do
    log "a VM of this cluster is still running after stop: SIGKILL $pid"
    kill -9 "$pid" 2>/dev/null || true
  done
  # Only our own base dir, recognised by its empty-env.conf marker, is ever removed.
  if [[ -d "$BASE" && -e "$BASE/empty-env.conf" ]]; then rm -rf -- "$BASE"; fi
  rm -f -- "$BASE.lock"
  log "cluster $NAME down"
}

cmd_check() {
  local c
  c="$(running_count)"
  [[ "$c" == 3 ]] || { log "cluster $NAME: $c of 3 nodes running (run: $0 up)"; exit 1; }
  for n in "${NODES[@]}"; do ctl "$n" -q await_startup --timeout 5 >/dev/null 2>&1 || { log "$(node "$n") is not serving"; exit 1; }; done
  log "cluster $NAME: 3 nodes running"
}

cmd_urls() {
  local amqp=() mgmt=()
  for n in "${NODES[@]}"; do amqp+=("amqp://guest:guest@127.0.0.1:568$n/"); mgmt+=("http://guest:guest@127.0.0.1:1568$n/"); done
  (IFS=,; printf 'AMQP_URL=%s\nAMQP_MANAGEMENT_URL=%s\n' "${amqp[*]}" "${mgmt[*]}")
}

cmd_leaders() {
  local vh="${1:-/}" n out
  # Asked of the first node that answers; a quorum queue's leader is a Ra member on one node.
  for n in "${NODES[@]}"; do
    out="$(ctl "$n" -q list_queues -p "$vh" name leader --no-table-headers 2>/dev/null)" || continue
    awk -v p="^$NAME" '$2 ~ p { sub(p, "", $2); sub(/@.*/, "", $2); print $1, $2 }' <<<"$out"
    return
  done
  die "no node of cluster $NAME answers list_queues"
}

cmd_start() {
  local n="$1"
  if pid_of "$n" >/dev/null; then ctl "$n" -q start_app >/dev/null; else boot "$n"; fi
  await_node "$n"
}

case "${1:-}" in
  check | leaders | kill | stop-app | start) require_up ;;
esac
case "${1:-}" in
  up) exec 9>"${BASE}.lock"; flock -w 300 9 || die "another cluster.sh holds ${BASE}.lock"; cmd_up ;;
  down) exec 9>"${BASE}.lock"; flock -w 300 9 || die "another cluster.sh holds ${BASE}.lock"; cmd_down ;;
  check) cmd_check ;;
  urls) cmd_urls ;;
  leaders) shift; cmd_leaders "$@" ;;
  kill) check_n "${2:-}"; pid="$(pid_of "$2")" || die "$(node "$2") is not running"; kill -9 "$pid" ;;
  stop-app) check_n "${2:-}"; ctl "$2" -q stop_app >/dev/null ;;
  start) check_n "${2:-}"; cmd_start "$2" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
