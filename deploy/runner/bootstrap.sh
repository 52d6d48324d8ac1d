#!/bin/bash
# ghscale runner bootstrap: the launch template's user data (Amazon Linux 2023 and Ubuntu,
# x64 and arm64). It learns the instance id and region from IMDSv2, waits (bounded) for the
# runner registration ghscale wrote to SSM Parameter Store at <prefix>/runners/<instance-id>,
# reads and deletes it, runs the GitHub Actions runner as an unprivileged user, and shuts the
# instance down when the runner exits (the launch template makes shutdown terminate).
# Watchdogs shut down an instance that got no registration in time or whose runner lives
# past the maximum job time; a spot interruption notice stops an idle runner from taking a
# job. See docs/runner-bootstrap.md.
#
# No secret is in this script or the user data: the registration arrives through SSM, read
# with the instance role's credentials, and is never written to the log nor put on a command
# line (/proc/<pid>/cmdline is readable by every user): the runner gets it through the
# environment variables it reads its arguments from, ACTIONS_RUNNER_INPUT_JITCONFIG and
# ACTIONS_RUNNER_INPUT_TOKEN, which it removes from its environment before running jobs.

# ---- Settings. A launch template may set them in lines between the shebang and here
# ---- (GHSCALE_SSM_PREFIX=/ci ...); the environment works too (tests).
: "${GHSCALE_SSM_PREFIX:=/ghscale}"              # ghscale's ssm_prefix
: "${GHSCALE_REGISTRATION_TIMEOUT:=600}"         # seconds to wait for the parameter
: "${GHSCALE_MAX_JOB_TIME:=25200}"               # seconds the runner may live; 0 = no limit
: "${GHSCALE_RUNNER_DIR:=/opt/actions-runner}"   # preinstalled runner, or where to unpack it
: "${GHSCALE_RUNNER_USER:=runner}"               # unprivileged user the runner runs as
# 1: add the runner user to the docker group, for jobs that use containers. Off by default:
# access to the docker socket is root on the instance (a job can mount / into a container).
: "${GHSCALE_RUNNER_DOCKER_GROUP:=0}"
: "${GHSCALE_RUNNER_VERSION:=}"                  # e.g. 2.321.0: download when not preinstalled
: "${GHSCALE_RUNNER_SHA256:=}"                   # its tarball's sha256 (required with a version)
: "${GHSCALE_RUNNER_SHA256_X64:=}"               # per-architecture checksums override it
: "${GHSCALE_RUNNER_SHA256_ARM64:=}"
: "${GHSCALE_RUNNER_DOWNLOAD_URL:=https://github.com/actions/runner/releases/download}"
: "${GHSCALE_STOP_GRACE:=60}"                    # seconds between asking the runner to stop and shutdown
: "${GHSCALE_SPOT_POLL_INTERVAL:=5}"             # seconds between spot notice checks
: "${GHSCALE_POLL_MAX_INTERVAL:=15}"             # cap of the backoff while waiting for the parameter
# Host-specific commands, overridable for tests.
: "${GHSCALE_IMDS_ENDPOINT:=http://169.254.169.254}"
: "${GHSCALE_SHUTDOWN_CMD:=shutdown -h now}"
: "${GHSCALE_LOG_FILE:=/var/log/ghscale-bootstrap.log}"
: "${GHSCALE_STATE_DIR:=/run/ghscale}"

set +x  # never trace: the registration passes through variables
set -uo pipefail
set +m  # no job control: background children stay in our process group (see start_runner)
umask 077

readonly kImdsTokenTtl=21600
imds_token=""
instance_id=""
region=""
runner_pid=""
watchers=()
as_user=()  # the prefix that runs a command as the runner user (empty when we are it)
# snap's and a manual install's AWS CLI live outside cloud-init's PATH.
PATH="$PATH:/usr/local/bin:/snap/bin"

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) ghscale-bootstrap: $*"
  printf '%s\n' "$line" >&2
  printf '%s\n' "$line" >>"$GHSCALE_LOG_FILE" 2>/dev/null || true
}

# Stops watchers, runs the shutdown command, exits. Every path ends here.
shutdown_instance() {
  local reason="$1"
  local pid
  trap - TERM INT  # the shutdown itself signals us
  for pid in "${watchers[@]}"; do kill "$pid" 2>/dev/null; done
  log "shutting down: $reason"
  sh -c "$GHSCALE_SHUTDOWN_CMD" || log "shutdown command failed (exit $?)"
  exit 0
}

# ---- IMDSv2 ----

imds_new_token() {
  imds_token="$(curl -sf --max-time 5 --retry 3 --retry-connrefused -X PUT \
    -H "X-aws-ec2-metadata-token-ttl-seconds: $kImdsTokenTtl" "$GHSCALE_IMDS_ENDPOINT/latest/api/token")"
}

# imds_get PATH: sets imds_value; fails on 404 and the like. Renews an expired session.
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

# Sleeps without holding our stdout/stderr open should the caller be killed meanwhile.
nap() { sleep "$1" >/dev/null 2>&1; }

# ---- Prerequisites ----

ensure_aws_cli() {
  command -v aws >/dev/null && return 0
  log "AWS CLI missing; installing it"
  if command -v dnf >/dev/null; then
    dnf install -y -q awscli-2 >/dev/null 2>&1 || dnf install -y -q awscli >/dev/null 2>&1
  elif command -v apt-get >/dev/null; then
    # Ubuntu up to 22.04 packages the CLI; 24.04 dropped it for the snap.
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

# The pinned runner from GitHub releases, verified against its sha256 before unpacking.
download_runner() {
  local arch sha sha_var tarball url actual
  arch="$(runner_arch)" || { log "unsupported architecture $(uname -m)"; return 1; }
  sha_var="GHSCALE_RUNNER_SHA256_${arch^^}"
  sha="${!sha_var:-$GHSCALE_RUNNER_SHA256}"
  if [[ ! "$sha" =~ ^[0-9a-fA-F]{64}$ ]]; then
    log "GHSCALE_RUNNER_VERSION=$GHSCALE_RUNNER_VERSION needs its sha256 (GHSCALE_RUNNER_SHA256)"
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
  # The runner's own script installs what .NET needs (libicu...) on Ubuntu and Amazon Linux.
  if [[ $EUID -eq 0 && -x "$GHSCALE_RUNNER_DIR/bin/installdependencies.sh" ]]; then
    "$GHSCALE_RUNNER_DIR/bin/installdependencies.sh" >/dev/null 2>&1 || log "installdependencies.sh failed; continuing"
  fi
}

ensure_runner() {
  if [[ -x "$GHSCALE_RUNNER_DIR/run.sh" ]]; then return 0; fi
  if [[ -z "$GHSCALE_RUNNER_VERSION" ]]; then
    log "no runner at $GHSCALE_RUNNER_DIR and no GHSCALE_RUNNER_VERSION to download"
    return 1
  fi
  download_runner && [[ -x "$GHSCALE_RUNNER_DIR/run.sh" ]]
}

ensure_runner_user() {
  if ! id -u "$GHSCALE_RUNNER_USER" >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || { log "user $GHSCALE_RUNNER_USER missing and not root to create it"; return 1; }
    useradd --create-home --shell /bin/bash "$GHSCALE_RUNNER_USER" || return 1
  fi
  # Opt-in only: the docker group is root-equivalent, so a job could take the instance.
  if [[ "$GHSCALE_RUNNER_DOCKER_GROUP" == 1 ]]; then
    if ! getent group docker >/dev/null; then
      log "GHSCALE_RUNNER_DOCKER_GROUP=1 but there is no docker group; continuing without it"
    elif [[ $EUID -eq 0 ]]; then
      usermod -aG docker "$GHSCALE_RUNNER_USER" || return 1
      log "user $GHSCALE_RUNNER_USER added to the docker group (root-equivalent)"
    else
      log "GHSCALE_RUNNER_DOCKER_GROUP=1 but not root; the docker group is left as it is"
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

# Prints the registration once it appears; fails when GHSCALE_REGISTRATION_TIMEOUT passes.
# The value goes to stdout only (captured by the caller), never to the log.
wait_for_registration() {
  local name="$1" delay=1 value errors="$GHSCALE_STATE_DIR/ssm.err" announced=0
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
    if ((SECONDS + delay > GHSCALE_REGISTRATION_TIMEOUT)); then return 1; fi
    sleep "$delay"
    delay=$((delay * 2 > GHSCALE_POLL_MAX_INTERVAL ? GHSCALE_POLL_MAX_INTERVAL : delay * 2))
  done
}

# The parameter is single-use: delete it before the runner starts. A failure is logged,
# not fatal — ghscale deletes leftovers when the instance terminates.
delete_registration() {
  local name="$1" attempt
  for attempt in 1 2 3; do
    if aws_ssm delete-parameter --name "$name" >/dev/null 2>"$GHSCALE_STATE_DIR/ssm.err" \
      || grep -q ParameterNotFound "$GHSCALE_STATE_DIR/ssm.err"; then
      log "deleted $name"
      return 0
    fi
    sleep "$attempt"
  done
  log "could not delete $name: $(head -c 300 "$GHSCALE_STATE_DIR/ssm.err" | tr '\n' ' ')"
}

# ---- The runner ----

# The registration-token document: {"kind":"registration-token","url":..,"token":..,
# "name":..,"labels":[..],"runner_group":..,"ephemeral":bool}. Reads it on stdin, prints
# url, token, name, labels (comma-joined), runner group, ephemeral (0/1), separated by
# the unit separator (0x1f) so that empty fields survive `read`.
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

# Starts the runner in its own session, so that every process of it can be signalled at
# once; sets runner_pid (= its session and process group id). setsid does not fork here
# because, without job control, the background subshell is no process group leader.
# A JIT configuration, when given, is exported in that subshell only (export is a builtin:
# nothing is exec'd with it as an argument); runuser without --login keeps it.
start_runner() {
  local jitconfig="${1:-}"
  (
    [[ -n "$jitconfig" ]] && export ACTIONS_RUNNER_INPUT_JITCONFIG="$jitconfig"
    cd "$GHSCALE_RUNNER_DIR" && exec setsid "${as_user[@]}" ./run.sh
  ) &
  runner_pid=$!
}

# A job is in progress when the runner's session has a Runner.Worker process.
runner_busy() {
  pgrep -s "$runner_pid" -f Runner.Worker >/dev/null 2>&1
}

stop_runner() {
  local sig="$1"
  kill "-$sig" -- "-$runner_pid" 2>/dev/null
}

# Past the maximum job time: ask the runner to stop, then force it after the grace period.
# SIGTERM, not SIGINT: commands started in the background without job control ignore
# SIGINT, and run.sh would inherit that.
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

# The two-minute spot warning: an idle runner stops so that it takes no job; a busy one
# keeps its job (it may finish in time), and the log line says so. ghscale sees the
# instance go and replaces the capacity.
spot_watcher() {
  while nap "$GHSCALE_SPOT_POLL_INTERVAL"; do
    imds_get meta-data/spot/instance-action || continue
    if runner_busy; then
      log "spot interruption notice $imds_value: a job is in progress, letting it run until reclaimed"
    else
      log "spot interruption notice $imds_value: runner idle, stopping it so that it takes no job"
      stop_runner TERM
    fi
    return 0
  done
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

  local name="${GHSCALE_SSM_PREFIX%/}/runners/$instance_id" registration
  registration="$(wait_for_registration "$name")" \
    || shutdown_instance "no registration at $name within ${GHSCALE_REGISTRATION_TIMEOUT}s"
  delete_registration "$name"

  if [[ "$registration" == "{"* ]]; then
    local fields url token runner_name labels group ephemeral
    local -a f
    command -v python3 >/dev/null || shutdown_instance "python3 is needed to read a registration-token document"
    fields="$(printf '%s' "$registration" | parse_registration_document)" \
      || shutdown_instance "registration at $name is not a registration-token document"
    # A pipe, not a here-string: older bash writes here-strings to a temporary file.
    IFS=$'\x1f' read -r -d '' -a f < <(printf '%s\0' "$fields")
    url="${f[0]}" token="${f[1]}" runner_name="${f[2]}" labels="${f[3]}" group="${f[4]}" ephemeral="${f[5]}"
    unset fields registration f
    local -a config=(./config.sh --unattended --url "$url")
    [[ -n "$runner_name" ]] && config+=(--name "$runner_name")
    [[ -n "$labels" ]] && config+=(--labels "$labels")
    [[ -n "$group" ]] && config+=(--runnergroup "$group")
    ((ephemeral)) && config+=(--ephemeral)
    log "configuring runner ${runner_name:-} for $url"
    # The token through the environment of this subshell only, never on a command line.
    (export ACTIONS_RUNNER_INPUT_TOKEN="$token" && cd "$GHSCALE_RUNNER_DIR" \
      && timeout 300 "${as_user[@]}" "${config[@]}") || shutdown_instance "config.sh failed"
    unset token config
    start_runner
  else
    log "starting runner with its JIT configuration"
    start_runner "$registration"
    unset registration
  fi
  log "runner started (pid $runner_pid)"

  spot_watcher &
  watchers+=($!)
  if ((GHSCALE_MAX_JOB_TIME > 0)); then
    max_time_watchdog &
    watchers+=($!)
  fi

  local rc
  wait "$runner_pid"
  rc=$?
  shutdown_instance "runner exited (status $rc)"
}

main "$@"
