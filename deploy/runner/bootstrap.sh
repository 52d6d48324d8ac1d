#!/bin/bash
# ghscale runner bootstrap (user data; Amazon Linux 2023, Ubuntu): waits (bounded) for the
# registration ghscale writes to SSM at <prefix>/runners/<instance-id>, deletes it, runs the
# Actions runner as an unprivileged user, shuts down (= terminates) when it exits. Reuse: a
# next registration there after a JIT runner's job starts the next runner once the runner
# user's processes and work directory are gone; docker images, containers and volumes
# persist between jobs. No secret reaches the log or a command line (see the docs).

# ---- Settings: lines after the shebang (GHSCALE_SSM_PREFIX=/ci) or the environment.
: "${GHSCALE_SSM_PREFIX:=/ghscale}"  # ghscale's ssm_prefix
: "${GHSCALE_REGISTRATION_TIMEOUT:=600}"  # seconds to wait for the parameter
: "${GHSCALE_REUSE_WAIT:=5}"  # seconds to wait for a next one after a job; 0 = no reuse
: "${GHSCALE_MAX_JOB_TIME:=25200}"  # seconds a runner may live; 0 = no limit
: "${GHSCALE_RUNNER_DIR:=/opt/actions-runner}"  # preinstalled runner, or where to unpack it
: "${GHSCALE_RUNNER_USER:=runner}"  # unprivileged user the runner runs as
# 1: the runner user joins the docker group (root-equivalent: a job can mount /).
: "${GHSCALE_RUNNER_DOCKER_GROUP:=0}"
: "${GHSCALE_RUNNER_VERSION:=}"  # e.g. 2.321.0: download when not preinstalled
: "${GHSCALE_RUNNER_SHA256:=}"  # its tarball's sha256; per-architecture ones win
: "${GHSCALE_RUNNER_SHA256_X64:=}"
: "${GHSCALE_RUNNER_SHA256_ARM64:=}"
: "${GHSCALE_RUNNER_DOWNLOAD_URL:=https://github.com/actions/runner/releases/download}"
: "${GHSCALE_STOP_GRACE:=60}"  # seconds from SIGTERM to SIGKILL
: "${GHSCALE_SPOT_POLL_INTERVAL:=5}"  # seconds between spot notice checks
: "${GHSCALE_POLL_MAX_INTERVAL:=15}"  # backoff cap while waiting for the parameter
# Host-specific, overridable for tests.
: "${GHSCALE_IMDS_ENDPOINT:=http://169.254.169.254}"
: "${GHSCALE_SHUTDOWN_CMD:=shutdown -h now}"
: "${GHSCALE_LOG_FILE:=/var/log/ghscale-bootstrap.log}"
: "${GHSCALE_STATE_DIR:=/run/ghscale}"

set +x  # never trace: the registration passes through variables
set -uo pipefail
set +m  # no job control (see start_runner)
umask 077

readonly kImdsTokenTtl=21600
imds_token=""
instance_id=""
region=""
runner_pid=""
watchers=()
spot_flag="$GHSCALE_STATE_DIR/spot-notice"
as_user=()  # runs a command as the runner user (empty when we are it)
# Where snap and manual installs put the AWS CLI, outside cloud-init's PATH.
PATH="$PATH:/usr/local/bin:/snap/bin"

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) ghscale-bootstrap: $*"
  printf '%s\n' "$line" >&2
  printf '%s\n' "$line" >>"$GHSCALE_LOG_FILE" 2>/dev/null || true
}

stop_watchers() {
  local pid
  for pid in "${watchers[@]}"; do kill "$pid" 2>/dev/null; done
  watchers=()
}

# Stops watchers, runs the shutdown command, exits. Every path ends here.
shutdown_instance() {
  local reason="$1"
  trap - TERM INT  # the shutdown itself signals us
  stop_watchers
  log "shutting down: $reason"
  sh -c "$GHSCALE_SHUTDOWN_CMD" || log "shutdown command failed (exit $?)"
  exit 0
}

# ---- IMDSv2 ----

imds_new_token() {
  imds_token="$(curl -sf --max-time 5 --retry 3 --retry-connrefused -X PUT \
    -H "X-aws-ec2-metadata-token-ttl-seconds: $kImdsTokenTtl" "$GHSCALE_IMDS_ENDPOINT/latest/api/token")"
}

# imds_get PATH: sets imds_value; fails on 404 etc. Renews an expired session.
imds_value=""
imds_get() {
  local path="$1" out code
  for _ in 1 2; do
    [[ -n "$imds_token" ]] || imds_new_token || return 1
    out="$(curl -s --max-time 5 -w '\n%{http_code}' -H "X-aws-ec2-metadata-token: $imds_token" \
      "$GHSCALE_IMDS_ENDPOINT/latest/$path")" || return 1
    code="${out##*$'\n'}"
    case "$code" in
      200) imds_value="${out%$'\n'*}"; return 0 ;;
      401) imds_token="" ;;  # session expired: take a new token once
      *) return 1 ;;
    esac
  done
  return 1
}

# A sleep that holds no stdout/stderr open should its caller be killed.
nap() { sleep "$1" >/dev/null 2>&1; }

# ---- Prerequisites ----

ensure_aws_cli() {
  command -v aws >/dev/null && return 0
  log "AWS CLI missing; installing it"
  if command -v dnf >/dev/null; then
    dnf install -y -q awscli-2 >/dev/null 2>&1 || dnf install -y -q awscli >/dev/null 2>&1
  elif command -v apt-get >/dev/null; then
    # Ubuntu 24.04 has only the snap.
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli; } >/dev/null 2>&1 \
      || { command -v snap >/dev/null && snap install aws-cli --classic >/dev/null 2>&1; }
  fi
  hash -r
  command -v aws >/dev/null
}

runner_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) return 1 ;;
  esac
}

# The pinned release, its sha256 checked before unpacking.
download_runner() {
  local arch sha sha_var tarball url actual
  arch="$(runner_arch)" || { log "unsupported architecture $(uname -m)"; return 1; }
  sha_var="GHSCALE_RUNNER_SHA256_${arch^^}"
  sha="${!sha_var:-$GHSCALE_RUNNER_SHA256}"
  if [[ ! "$sha" =~ ^[0-9a-fA-F]{64}$ ]]; then
    log "GHSCALE_RUNNER_VERSION needs GHSCALE_RUNNER_SHA256"
    return 1
  fi
  url="$GHSCALE_RUNNER_DOWNLOAD_URL/v$GHSCALE_RUNNER_VERSION/actions-runner-linux-$arch-$GHSCALE_RUNNER_VERSION.tar.gz"
  tarball="$GHSCALE_STATE_DIR/actions-runner.tar.gz"
  log "downloading runner $GHSCALE_RUNNER_VERSION ($arch)"
  curl -fsSL --retry 5 --max-time 300 -o "$tarball" "$url" || { log "download failed: $url"; return 1; }
  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [[ "${actual,,}" != "${sha,,}" ]]; then
    log "runner checksum mismatch: expected $sha, got $actual; refusing it"
    rm -f "$tarball"
    return 1
  fi
  mkdir -p "$GHSCALE_RUNNER_DIR" && tar -xzf "$tarball" -C "$GHSCALE_RUNNER_DIR" || return 1
  rm -f "$tarball"
  # What .NET needs (libicu...).
  if [[ $EUID -eq 0 && -x "$GHSCALE_RUNNER_DIR/bin/installdependencies.sh" ]]; then
    "$GHSCALE_RUNNER_DIR/bin/installdependencies.sh" >/dev/null 2>&1 || log "installdependencies.sh failed; continuing"
  fi
}

ensure_runner() {
  [[ -x "$GHSCALE_RUNNER_DIR/run.sh" ]] && return 0
  [[ -n "$GHSCALE_RUNNER_VERSION" ]] || { log "no runner at $GHSCALE_RUNNER_DIR nor GHSCALE_RUNNER_VERSION"; return 1; }
  download_runner && [[ -x "$GHSCALE_RUNNER_DIR/run.sh" ]]
}

ensure_runner_user() {
  if ! id -u "$GHSCALE_RUNNER_USER" >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || { log "user $GHSCALE_RUNNER_USER missing and not root to create it"; return 1; }
    useradd --create-home --shell /bin/bash "$GHSCALE_RUNNER_USER" || return 1
  fi
  # Opt-in only: the docker group is root-equivalent.
  if [[ "$GHSCALE_RUNNER_DOCKER_GROUP" == 1 ]]; then
    if ! getent group docker >/dev/null; then
      log "GHSCALE_RUNNER_DOCKER_GROUP=1 but no docker group"
    elif [[ $EUID -eq 0 ]]; then
      usermod -aG docker "$GHSCALE_RUNNER_USER" || return 1
      log "user $GHSCALE_RUNNER_USER added to the docker group (root-equivalent)"
    else
      log "GHSCALE_RUNNER_DOCKER_GROUP=1 but not root"
    fi
  fi
  if [[ "$(id -un)" != "$GHSCALE_RUNNER_USER" ]]; then
    chown -R "$GHSCALE_RUNNER_USER:" "$GHSCALE_RUNNER_DIR" || return 1
    as_user=(runuser -u "$GHSCALE_RUNNER_USER" --)
  fi
}

# ---- The registration in SSM ----

aws_ssm() {
  AWS_PAGER="" timeout 60 aws ssm "$@" --region "$region" --cli-connect-timeout 10 --cli-read-timeout 20
}

# wait_for_registration NAME DEADLINE [MAX_DELAY] (DEADLINE a $SECONDS value; polls back off to
# MAX_DELAY s, GHSCALE_POLL_MAX_INTERVAL by default): prints the value (to the caller's
# capture only) once it appears; fails at the deadline.
wait_for_registration() {
  local name="$1" deadline="$2" max_delay="${3:-$GHSCALE_POLL_MAX_INTERVAL}" delay=1 value errors="$GHSCALE_STATE_DIR/ssm.err" announced=0
  while :; do
    if value="$(aws_ssm get-parameter --name "$name" --with-decryption \
      --query Parameter.Value --output text 2>"$errors")" && [[ -n "$value" ]]; then
      printf '%s' "$value"
      return 0
    fi
    if grep -q ParameterNotFound "$errors" 2>/dev/null; then
      ((announced)) || log "waiting for $name"
      announced=1
    else
      log "reading $name failed: $(head -c 300 "$errors" 2>/dev/null | tr '\n' ' ')"
    fi
    ((SECONDS < deadline)) || return 1
    sleep $((SECONDS + delay > deadline ? deadline - SECONDS : delay))
    delay=$((delay * 2 > max_delay ? max_delay : delay * 2))
  done
}

# Single-use. A failure is not fatal: ghscale deletes leftovers at termination.
delete_registration() {
  local name="$1" attempt e="$GHSCALE_STATE_DIR/ssm.err"
  for attempt in 1 2 3; do
    if aws_ssm delete-parameter --name "$name" >/dev/null 2>"$e" || grep -q ParameterNotFound "$e"; then
      log "deleted $name"
      return 0
    fi
    sleep "$attempt"
  done
  log "could not delete $name: $(head -c 300 "$e" | tr '\n' ' ')"
}

# ---- The runner ----

# {"kind":"registration-token","url","token","name","labels":[],"runner_group","ephemeral"}
# on stdin -> its fields joined by 0x1f (empty fields survive `read`), labels by commas.
parse_registration_document() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
if d.get("kind") != "registration-token":
    sys.exit(3)
fields = [d["url"], d["token"], d.get("name", ""), ",".join(d.get("labels", [])),
          d.get("runner_group", ""), "1" if d.get("ephemeral") else "0"]
if any("\x1f" in f or "\n" in f for f in fields):
    sys.exit(4)
sys.stdout.write("\x1f".join(fields))
'
}

# config.sh for the registration-token document in the caller's $registration.
configure_runner() {
  local fields url token runner_name labels group ephemeral
  local -a f
  command -v python3 >/dev/null || shutdown_instance "no python3 for a registration-token document"
  fields="$(printf '%s' "$registration" | parse_registration_document)" \
    || shutdown_instance "registration at $1 is not a registration-token document"
  # Not a here-string: older bash writes those to a file.
  IFS=$'\x1f' read -r -d '' -a f < <(printf '%s\0' "$fields")
  url="${f[0]}" token="${f[1]}" runner_name="${f[2]}" labels="${f[3]}" group="${f[4]}" ephemeral="${f[5]}"
  unset fields registration f
  local -a config=(./config.sh --unattended --url "$url")
  [[ -n "$runner_name" ]] && config+=(--name "$runner_name")
  [[ -n "$labels" ]] && config+=(--labels "$labels")
  [[ -n "$group" ]] && config+=(--runnergroup "$group")
  ((ephemeral)) && config+=(--ephemeral)
  log "configuring runner ${runner_name:-} for $url"
  # The token in this subshell's environment only.
  (export ACTIONS_RUNNER_INPUT_TOKEN="$token" && cd "$GHSCALE_RUNNER_DIR" \
    && timeout 300 "${as_user[@]}" "${config[@]}") || shutdown_instance "config.sh failed"
  unset token config
}

# The runner in its own session (runner_pid = session and group id), so that all of it can
# be signalled; without job control the subshell leads no group, so setsid does not fork.
# The JIT config is exported in the subshell only (a builtin: on no command line); runuser
# without --login keeps it.
start_runner() {
  local jitconfig="${1:-}"
  (
    [[ -n "$jitconfig" ]] && export ACTIONS_RUNNER_INPUT_JITCONFIG="$jitconfig"
    cd "$GHSCALE_RUNNER_DIR" && exec setsid "${as_user[@]}" ./run.sh
  ) &
  runner_pid=$!
}

# A job is in progress when the runner's session has a Runner.Worker process.
runner_busy() { pgrep -s "$runner_pid" -f Runner.Worker >/dev/null 2>&1; }

stop_runner() { kill "-$1" -- "-$runner_pid" 2>/dev/null; }

# SIGTERM past the maximum job time, SIGKILL after the grace period. Not SIGINT: background
# commands without job control ignore it, and so would run.sh.
max_time_watchdog() {
  local deadline=$((SECONDS + GHSCALE_MAX_JOB_TIME))
  while ((SECONDS < deadline)); do nap 1; done
  log "runner passed the maximum job time (${GHSCALE_MAX_JOB_TIME}s); stopping it"
  stop_runner TERM
  deadline=$((SECONDS + GHSCALE_STOP_GRACE))
  while ((SECONDS < deadline)); do
    kill -0 -- "-$runner_pid" 2>/dev/null || return 0
    nap 1
  done
  log "runner still running after ${GHSCALE_STOP_GRACE}s; killing it"
  stop_runner KILL
}

# Spot notice (2 min): an idle runner stops so as to take no job; a busy one may finish its
# job. The flag ends reuse.
spot_watcher() {
  while nap "$GHSCALE_SPOT_POLL_INTERVAL"; do
    imds_get meta-data/spot/instance-action || continue
    : >"$spot_flag"
    if runner_busy; then
      log "spot interruption notice $imds_value: a job is in progress, letting it run"
    else
      log "spot interruption notice $imds_value: runner idle, stopping it"
      stop_runner TERM
    fi
    return 0
  done
}

# The watcher's flag, or a notice that came after its last look.
spot_noticed() {
  [[ -f "$spot_flag" ]] || imds_get meta-data/spot/instance-action
}

# Between two jobs: no process (as root, of a runner user not us) nor workspace of the last
# survives, nor the last JIT runner's files (read before its own config). Docker persists.
clean_between_jobs() {
  local n
  if [[ $EUID -eq 0 && "$(id -un)" != "$GHSCALE_RUNNER_USER" ]]; then
    n="$(pgrep -c -u "$GHSCALE_RUNNER_USER")"
    pkill -KILL -u "$GHSCALE_RUNNER_USER"
    log "between jobs: killed ${n:-0} leftover processes of $GHSCALE_RUNNER_USER"
  fi
  rm -rf "$GHSCALE_RUNNER_DIR/_work" "$GHSCALE_RUNNER_DIR"/.{runner,credentials,credentials_rsaparams}
  log "between jobs: removed $GHSCALE_RUNNER_DIR/_work"
}

main() {
  mkdir -p "$GHSCALE_STATE_DIR" "$(dirname "$GHSCALE_LOG_FILE")" 2>/dev/null
  trap 'log "bootstrap interrupted"; [[ -n "$runner_pid" ]] && stop_runner TERM; shutdown_instance "bootstrap interrupted"' TERM INT

  imds_new_token || shutdown_instance "instance metadata (IMDSv2) unreachable at $GHSCALE_IMDS_ENDPOINT"
  imds_get meta-data/instance-id || shutdown_instance "no instance id from IMDS"
  instance_id="$imds_value"
  imds_get meta-data/placement/region || shutdown_instance "no region from IMDS"
  region="$imds_value"
  [[ "$instance_id" =~ ^i-[0-9a-f]{8,32}$ ]] || shutdown_instance "unexpected instance id '$instance_id'"
  log "instance $instance_id in $region"

  ensure_aws_cli || shutdown_instance "no AWS CLI"
  ensure_runner || shutdown_instance "no runner"
  ensure_runner_user || shutdown_instance "cannot prepare runner user $GHSCALE_RUNNER_USER"

  local name="${GHSCALE_SSM_PREFIX%/}/runners/$instance_id" registration rc configured=""
  rm -f "$spot_flag"
  # The deadline counts from the script's start.
  registration="$(wait_for_registration "$name" "$GHSCALE_REGISTRATION_TIMEOUT")" \
    || shutdown_instance "no registration at $name within ${GHSCALE_REGISTRATION_TIMEOUT}s"
  while :; do
    delete_registration "$name"
    [[ -n "$runner_pid" ]] && clean_between_jobs  # not before the first runner
    if [[ "$registration" == "{"* ]]; then
      configure_runner "$name"
      configured=1
      start_runner
    else
      log "starting runner with its JIT configuration"
      start_runner "$registration"
    fi
    unset registration
    log "runner started (pid $runner_pid)"
    spot_watcher &
    watchers+=($!)
    if ((GHSCALE_MAX_JOB_TIME > 0)); then
      max_time_watchdog &  # per runner: the limit is per job
      watchers+=($!)
    fi
    wait "$runner_pid"
    rc=$?
    stop_watchers
    stop_runner KILL  # what the job left in the runner's session
    # Reuse only a JIT runner that ended well, not on a reclaimed instance.
    [[ -n "$configured" ]] && shutdown_instance "runner exited (status $rc)"
    spot_noticed && shutdown_instance "runner exited (status $rc); spot interruption notice, no reuse"
    ((rc == 0)) || shutdown_instance "runner exited (status $rc); a failed runner is not reused"
    if ((GHSCALE_REUSE_WAIT <= 0)) \
      || ! registration="$(wait_for_registration "$name" $((SECONDS + GHSCALE_REUSE_WAIT)) 1)"; then
      shutdown_instance "runner exited (status $rc); no next registration"
    fi
  done
}

main "$@"
