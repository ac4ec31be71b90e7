# Shared by localstack/{start,stop,reset,status,test}; sourced, not run.
# shellcheck shell=bash disable=SC2034
set -euo pipefail

LS_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LS_PORT=${LOCALSTACK_PORT:-4566}
if ! [[ $LS_PORT =~ ^[0-9]+$ ]] || ((LS_PORT < 1 || LS_PORT > 65535)); then
    echo "localstack: LOCALSTACK_PORT must be a TCP port number, got '$LS_PORT'" >&2
    exit 2
fi
LS_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/provision
LS_DATA=${LOCALSTACK_DATA_DIR:-$LS_CACHE/localstack-data-$LS_PORT}
LS_PID_FILE=$LS_DATA/localstack.pid
LS_LOG_FILE=$LS_DATA/localstack.log
LS_URL=http://127.0.0.1:$LS_PORT
LS_SERVICES=ec2,s3,apigateway,apigatewayv2,rds,elasticbeanstalk,sts,iam,cloudwatch,sns,resourcegroupstaggingapi,budgets,ce

log() { echo "localstack/$(basename "$0"): $*" >&2; }
die() { log "error: $*"; exit 1; }

# With a LocalStack Pro token, Pro's own RDS and Elastic Beanstalk serve instead of provision_ext's.
LS_PRO_PACKAGE=
[[ -z ${LOCALSTACK_AUTH_TOKEN:-} ]] ||
    LS_PRO_PACKAGE=localstack-ext==$(sed -n 's/^localstack-core==//p' "$LS_HOME/requirements.lock")

# The venv is keyed by the lock and the extension source, so any change to either gets a fresh one.
ls_venv() {
    local sum
    sum=$({
        [[ -z $LS_PRO_PACKAGE ]] || echo "$LS_PRO_PACKAGE"
        cat "$LS_HOME/requirements.lock"
        cd "$LS_HOME/provision_ext" &&
            find . -name __pycache__ -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum
    } | sha256sum)
    echo "$LS_CACHE/localstack-${sum:0:12}"
}

# Prints the PID of the LocalStack server this port's pid file names, if it is still that server.
ls_pid() {
    local pid
    [[ -s $LS_PID_FILE ]] || return 1
    pid=$(<"$LS_PID_FILE")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'localstack\.runtime\.main' || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$LS_PORT") 2>/dev/null; }

# Serialises start/stop/reset on one data folder.
lock_data_dir() {
    mkdir -p "$LS_DATA"
    exec 9>"$LS_DATA/.lock"
    flock 9
}

health() { python3 "$LS_HOME/health.py" "$@"; }
