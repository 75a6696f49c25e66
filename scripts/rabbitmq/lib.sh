# shellcheck shell=bash
# Shared by node-user.sh and publisher-user.sh: a few calls to the RabbitMQ management
# HTTP API with curl. The administrator's credentials come from the environment only
# (never argv, so they do not show in `ps`), and are never echoed.
#
#   RABBITMQ_API             management API base URL   (default http://127.0.0.1:15672)
#   RABBITMQ_ADMIN_USER      administrator user        (required)
#   RABBITMQ_ADMIN_PASSWORD  administrator password    (required)

RABBITMQ_API="${RABBITMQ_API:-http://127.0.0.1:15672}"

die() {
  printf '%s: %s\n' "$(basename "$0")" "$*" >&2
  exit 2
}

require_admin() {
  [[ -n "${RABBITMQ_ADMIN_USER:-}" ]] || die "set RABBITMQ_ADMIN_USER (and RABBITMQ_ADMIN_PASSWORD) to a management administrator"
  [[ -n "${RABBITMQ_ADMIN_PASSWORD:-}" ]] || die "set RABBITMQ_ADMIN_PASSWORD"
}

# Percent-encodes one path segment (a vhost such as "/" becomes %2F).
urlencode() {
  local s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# Escapes a name for a RabbitMQ permission regex: the only metacharacter a valid node name can hold is ".".
regex_escape() {
  printf '%s' "${1//./\\\\.}"
}

# A password of 32 URL-safe characters; printed once by the caller, stored nowhere.
new_password() {
  head -c 24 /dev/urandom | base64 | tr '+/' '-_'
}

# api METHOD PATH [JSON]: fails (exit 1) on any HTTP error, showing the API's answer but never the credentials.
api() {
  local method="$1" path="$2" body="${3:-}" out status
  out="$(mktemp)"
  status="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" \
    --config - \
    -H 'content-type: application/json' \
    ${body:+--data-binary "$body"} \
    "${RABBITMQ_API%/}/api${path}" <<<"user = \"${RABBITMQ_ADMIN_USER}:${RABBITMQ_ADMIN_PASSWORD}\"")" || {
    rm -f "$out"
    printf '%s: management API at %s is not reachable\n' "$(basename "$0")" "$RABBITMQ_API" >&2
    exit 1
  }
  if [[ "$status" != 2* ]]; then
    printf '%s: %s %s: HTTP %s %s\n' "$(basename "$0")" "$method" "$path" "$status" "$(head -c 300 "$out")" >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
}
