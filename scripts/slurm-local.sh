#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, from Debian's packages (slurm-wlm, munge), for trying and testing
# `rlsd-bench sweep --executor slurm` (test/sweep-slurm.test.ts; CI runs `up` before the tests).
#
#   bash scripts/slurm-local.sh up       install if missing, write the config, start munged/slurmctld/slurmd,
#                                        wait until the node is idle (idempotent: a running cluster is left as is)
#   bash scripts/slurm-local.sh status   daemons and `sinfo`; exit 0 only when the node is up
#   bash scripts/slurm-local.sh down     stop the daemons this script started (by their pid files)
#
# Needs root (it writes /etc/slurm/slurm.conf and starts daemons). No systemd is assumed: the daemons are started
# directly. Everything listens on loopback only. Files: /etc/slurm/slurm.conf (refused if one exists that this
# script did not write), state under /var/lib/slurm-local, logs under /var/log/slurm-local, pids under
# /run/slurm-local. Environment: SLURM_LOCAL_TIMEOUT (seconds to wait for the node, default 60).
set -euo pipefail

CONF=/etc/slurm/slurm.conf
MARK='# written by rlsd-bench scripts/slurm-local.sh'
STATE=/var/lib/slurm-local
LOGS=/var/log/slurm-local
RUN=/run/slurm-local
MUNGE_RUN=/run/munge
MUNGE_KEY=/etc/munge/munge.key
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit 1; }

# True when the pid in file $1 is a live process named like the file (munged.pid → munged): a stale pid file whose
# number now belongs to another process must neither count as a running daemon nor be killed.
alive() {
  local pid name
  [[ -s $1 ]] || return 1
  pid=$(cat "$1") name=$(basename "$1" .pid)
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]
}

# Ends the process whose pid is in file $1 (only ever a pid file this script's daemons wrote) and waits for it.
stop_pidfile() {
  local file=$1 name=$2 pid i
  if ! alive "$file"; then rm -f "$file"; return 0; fi
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$file"
  say "stopped $name (pid $pid)"
}

need_root() { [[ $(id -u) == 0 ]] || die "must run as root (it writes $CONF and starts the Slurm daemons)"; }

install_packages() {
  local missing=()
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null || missing+=(slurm-wlm)
  command -v munged >/dev/null || missing+=(munge)
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package scripts try to start the services; with no init system that fails harmlessly, so the exit code is
  # checked by looking for the binaries afterwards.
  apt-get install -y -qq slurm-wlm munge >/dev/null || true
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null ||
    die "apt-get install slurm-wlm munge did not provide slurmctld, slurmd and munged"
}

start_munge() {
  install -d -o munge -g munge -m 0755 "$MUNGE_RUN"
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge /etc/munge
  if [[ ! -s $MUNGE_KEY ]]; then
    say "creating a munge key"
    if command -v mungekey >/dev/null; then mungekey --create --keyfile="$MUNGE_KEY" --force
    else dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none; fi
  fi
  chown munge:munge "$MUNGE_KEY"; chmod 0400 "$MUNGE_KEY"
  if alive "$MUNGE_RUN/munged.pid"; then return 0; fi
  runuser -u munge -- munged --pid-file="$MUNGE_RUN/munged.pid" --log-file=/var/log/munge/munged.log
  # Remembered so that `down` stops munged only when this script started it.
  touch "$RUN/munged.ours"
  munge -n | unmunge >/dev/null || die "munged started but a credential does not round-trip (see /var/log/munge/munged.log)"
  say "munged running (pid $(cat "$MUNGE_RUN/munged.pid"))"
}

write_conf() {
  local node cpus mem line
  node=$(hostname -s)
  # slurmd's own view of the hardware, so that the configured node never exceeds it (a node configured with more
  # CPUs or memory than it has is drained at registration).
  line=$(slurmd -C | head -1)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$line")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$line")
  [[ -n $cpus && -n $mem ]] || die "cannot read CPUs and memory from 'slurmd -C': $line"
  if [[ -e $CONF ]] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; move it away to use the local cluster"
  fi
  mkdir -p /etc/slurm
  local tmp
  tmp=$(mktemp /etc/slurm/.slurm.conf.XXXXXX)
  cat >"$tmp" <<EOF
$MARK
# One node, one partition, no accounting, loopback only. See 'man slurm.conf'.
ClusterName=rlsd-local
SlurmctldHost=localhost
# The daemons run as root like the script (a throwaway test cluster; no slurm-owned dirs to prepare).
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
# Bind to the configured addresses (SlurmctldHost, NodeAddr: 127.0.0.1) instead of every interface.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
# No cgroups in a container: track job processes through /proc and bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# A node that went down (e.g. slurmd restarted) comes back as soon as it registers with a valid configuration.
ReturnToService=2
SlurmdTimeout=120
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  chmod 0644 "$tmp"
  if [[ -e $CONF ]] && cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; CONF_CHANGED=0
  else mv -f "$tmp" "$CONF"; CONF_CHANGED=1; fi
  NODE=$node
}

# The node's state as sinfo prints it (idle, mix, alloc, down*, …), or empty when slurmctld does not answer.
node_state() { sinfo -h -n "$NODE" -o '%t' 2>/dev/null | head -1 || true; }

wait_idle() {
  local i state=
  for i in $(seq 1 $((TIMEOUT * 2))); do
    state=$(node_state)
    case $state in
      idle | mix | alloc | comp) return 0 ;;
      # A node that registered before the configuration settled can stay drained; it is ours, so resume it.
      drain* | down*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  die "node $NODE not ready after ${TIMEOUT}s (state: ${state:-no answer}); see $LOGS/slurmctld.log and $LOGS/slurmd.log"
}

up() {
  need_root
  install_packages
  mkdir -p "$RUN" "$LOGS" "$STATE/ctld" "$STATE/d"
  local t0=$SECONDS
  write_conf
  start_munge
  if alive "$RUN/slurmctld.pid" && ((CONF_CHANGED)); then
    # A configuration change reaches running daemons through a reconfigure rather than a restart.
    scontrol reconfigure >/dev/null 2>&1 || true
  fi
  if ! alive "$RUN/slurmctld.pid"; then
    slurmctld || die "slurmctld did not start; see $LOGS/slurmctld.log"
    say "slurmctld started"
  fi
  if ! alive "$RUN/slurmd.pid"; then
    slurmd -N "$NODE" || die "slurmd did not start; see $LOGS/slurmd.log"
    say "slurmd started (node $NODE)"
  fi
  wait_idle
  say "up in $((SECONDS - t0))s: partition debug, node $NODE ($(sinfo -h -n "$NODE" -o '%c CPUs, %t'))"
}

down() {
  need_root
  stop_pidfile "$RUN/slurmd.pid" slurmd
  stop_pidfile "$RUN/slurmctld.pid" slurmctld
  if [[ -e $RUN/munged.ours ]]; then
    stop_pidfile "$MUNGE_RUN/munged.pid" munged
    rm -f "$RUN/munged.ours"
  fi
  say "down"
}

status() {
  local d ok=0
  for d in slurmctld slurmd; do
    if alive "$RUN/$d.pid"; then echo "$d: running (pid $(cat "$RUN/$d.pid"))"; else echo "$d: stopped"; ok=1; fi
  done
  if alive "$MUNGE_RUN/munged.pid"; then echo "munged: running (pid $(cat "$MUNGE_RUN/munged.pid"))"; else echo "munged: stopped"; ok=1; fi
  if ((ok == 0)) && sinfo 2>/dev/null; then return 0; fi
  return 1
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: bash scripts/slurm-local.sh up|down|status" >&2; exit 2 ;;
esac
