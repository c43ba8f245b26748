#!/usr/bin/env bash
# Make sure the services the tests need are installed, running and answering:
#   RabbitMQ   127.0.0.1:5672 (guest/guest) + management API on :15672
#   PostgreSQL 127.0.0.1:5432 (trust auth, user postgres)
#   docker-compose (Debian's 1.29, only to validate docker-compose.yml)
# Idempotent: on a machine where everything is up it only checks. Runs as root,
# without stdin (CI=true). Installs with apt-get, starts what is down, waits.
# ENSURE_SERVICES_TIMEOUT (seconds, default 180) bounds each wait.
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive
TIMEOUT="${ENSURE_SERVICES_TIMEOUT:-180}"
LOG_DIR="${TMPDIR:-/tmp}"

say() { echo "ensure-services: $*" >&2; }
die() { echo "ensure-services: ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        say "not root and no sudo: installing or starting services may fail"
    fi
fi

# ---------------------------------------------------------------- helpers
APT_UPDATED=0
apt_install() {  # apt_install [--no-install-recommends] pkg...
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        $SUDO apt-get update -qq </dev/null >"$LOG_DIR/ensure-services-apt.log" 2>&1 \
            || { tail -20 "$LOG_DIR/ensure-services-apt.log" >&2; die "apt-get update failed"; }
        APT_UPDATED=1
    fi
    say "apt-get install -y $*"
    $SUDO apt-get install -y -qq "$@" </dev/null >>"$LOG_DIR/ensure-services-apt.log" 2>&1 \
        || { tail -30 "$LOG_DIR/ensure-services-apt.log" >&2; die "apt-get install $* failed"; }
}

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

tcp_open() {  # tcp_open host port
    timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null
}

rabbit_amqp_up() { tcp_open 127.0.0.1 5672; }

rabbit_mgmt_up() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
        -u guest:guest http://127.0.0.1:15672/api/overview 2>/dev/null) || true
    [ "$code" = 200 ]
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }

pg_trusts_postgres() {
    psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'select 1' \
        </dev/null >/dev/null 2>&1
}

wait_for() {  # wait_for "description" command...
    local what="$1"; shift
    local deadline=$((SECONDS + TIMEOUT))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 1
    done
    say "$what: up"
}

pg_version() {  # the newest installed cluster version
    ls /etc/postgresql 2>/dev/null | sort -V | tail -1
}

# ---------------------------------------------------------------- install
missing=()
pkg_installed rabbitmq-server || missing+=(rabbitmq-server)
pkg_installed postgresql || missing+=(postgresql)
command -v curl >/dev/null 2>&1 || missing+=(curl)
FRESH_RABBIT=0
if [ "${#missing[@]}" -gt 0 ]; then
    for p in "${missing[@]}"; do
        [ "$p" = rabbitmq-server ] && FRESH_RABBIT=1
    done
    apt_install rabbitmq-server postgresql curl
fi
if ! command -v docker-compose >/dev/null 2>&1; then
    # Debian's docker-compose 1.29: validates docker-compose.yml offline.
    # No recommends: we do not want (and cannot run) a Docker engine here.
    apt_install --no-install-recommends docker-compose
fi

# ---------------------------------------------------------------- RabbitMQ
if [ "$FRESH_RABBIT" = 1 ] && ! rabbit_amqp_up; then
    # A fresh install that its package did not start: a stable node name and
    # loopback-only listeners, so the node does not depend on the container's
    # hostname resolving.
    if ! grep -qs '^NODENAME=' /etc/rabbitmq/rabbitmq-env.conf; then
        {
            echo 'NODENAME=rabbit@localhost'
            echo 'ERL_EPMD_ADDRESS=127.0.0.1'
        } | $SUDO tee -a /etc/rabbitmq/rabbitmq-env.conf >/dev/null
    fi
    if ! grep -qs 'listeners.tcp' /etc/rabbitmq/rabbitmq.conf; then
        echo 'listeners.tcp.local = 127.0.0.1:5672' \
            | $SUDO tee -a /etc/rabbitmq/rabbitmq.conf >/dev/null
    fi
fi

if rabbit_amqp_up; then
    say "RabbitMQ: already answering on 5672"
    if ! rabbit_mgmt_up; then
        say "RabbitMQ: enabling rabbitmq_management"
        $SUDO rabbitmq-plugins enable rabbitmq_management </dev/null >/dev/null \
            || die "rabbitmq-plugins enable rabbitmq_management failed"
    fi
else
    say "RabbitMQ: not answering, starting it"
    $SUDO rabbitmq-plugins enable --offline rabbitmq_management </dev/null >/dev/null \
        || die "rabbitmq-plugins enable --offline rabbitmq_management failed"
    # Detached; its output goes to a log, not to our caller's pipes.
    $SUDO rabbitmq-server -detached </dev/null \
        >"$LOG_DIR/ensure-services-rabbitmq.log" 2>&1 \
        || say "rabbitmq-server -detached returned non-zero (see $LOG_DIR/ensure-services-rabbitmq.log); waiting anyway"
fi

wait_for "RabbitMQ AMQP 127.0.0.1:5672" rabbit_amqp_up \
    || die "RabbitMQ did not answer on 127.0.0.1:5672 within ${TIMEOUT}s (see /var/log/rabbitmq/ and $LOG_DIR/ensure-services-rabbitmq.log)"
if ! wait_for "RabbitMQ management 127.0.0.1:15672" rabbit_mgmt_up; then
    # The node may have come up from an older enabled_plugins: enable online.
    $SUDO rabbitmq-plugins enable rabbitmq_management </dev/null >/dev/null || true
    wait_for "RabbitMQ management 127.0.0.1:15672" rabbit_mgmt_up \
        || die "RabbitMQ management API (http://127.0.0.1:15672/api/overview, guest:guest) did not answer 200 within ${TIMEOUT}s"
fi

# ---------------------------------------------------------------- PostgreSQL
PG_VERSION="$(pg_version)"
[ -n "$PG_VERSION" ] || die "PostgreSQL is installed but /etc/postgresql has no cluster"
if pg_up; then
    say "PostgreSQL: already answering on 5432"
else
    say "PostgreSQL: not answering, starting cluster $PG_VERSION/main"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start </dev/null \
        >"$LOG_DIR/ensure-services-postgresql.log" 2>&1 \
        || say "pg_ctlcluster start returned non-zero (see $LOG_DIR/ensure-services-postgresql.log); waiting anyway"
fi
wait_for "PostgreSQL 127.0.0.1:5432" pg_up \
    || die "PostgreSQL did not answer pg_isready -h 127.0.0.1 within ${TIMEOUT}s (see /var/log/postgresql/ and $LOG_DIR/ensure-services-postgresql.log)"

if ! pg_trusts_postgres; then
    HBA="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"
    say "PostgreSQL: enabling trust auth on loopback in $HBA"
    [ -f "$HBA" ] || die "no $HBA"
    # pg_hba.conf is first-match: put the trust lines before every other rule.
    tmp="$(mktemp)"
    {
        echo "# added by eJia scripts/ensure-services.sh: trust on loopback"
        echo "host    all    all    127.0.0.1/32    trust"
        echo "host    all    all    ::1/128         trust"
        cat "$HBA"
    } >"$tmp"
    $SUDO cp "$tmp" "$HBA"
    rm -f "$tmp"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main reload </dev/null >/dev/null 2>&1 \
        || die "pg_ctlcluster reload failed"
    wait_for "PostgreSQL trust auth for postgres@127.0.0.1" pg_trusts_postgres \
        || die "psql -h 127.0.0.1 -U postgres still fails after enabling trust in $HBA"
fi

say "ready: RabbitMQ 127.0.0.1:5672 (+15672), PostgreSQL 127.0.0.1:5432, $(docker-compose version --short 2>/dev/null || echo 'docker-compose ?')"
