#!/usr/bin/env bash
# One-time setup: Gradescope's setup script, and the setup command of the README anywhere else.
#
#   ./setup.sh          runtime packages (requirements.txt): what Gradescope runs, the worker included
#   ./setup.sh --dev    plus the developers' tools (requirements-dev.txt: pytest, ruff, mypy, ...),
#                       into the same environment: as root that is the shared one the worker also
#                       runs in, so use --dev on a development machine, never in a Gradescope build
#
# As root (Gradescope, CI) it also makes grading safe for untrusted code:
#   - the virtual environment lives in /opt/rnn-autograder/venv, readable by every user, so the
#     unprivileged worker can start Python and import numpy; ./.venv links to it;
#   - it creates the worker users `rnn-worker` and rnn-worker1..N-1 (N = AUTOGRADER_WORKERS, default
#     16; no home, no shell, no password): each grading leases one for itself alone, machine-wide, so a
#     TA's batch grades at most N submissions at once, beside any other grading on the machine;
#   - it closes this folder (reference solutions, configuration) to every other user.
#   - it checks that the worker user can run the environment's Python and import numpy, and says why not.
# Not root (a TA's laptop): ./.venv in this folder, and the worker runs as you.
#
#   ./setup.sh --check-worker   only that last check (as root), installing nothing
#
# Settings (environment variables; docs/instructor.md lists them too):
#   AUTOGRADER_VENV          where the environment goes (root: /opt/rnn-autograder/venv; else ./.venv)
#   AUTOGRADER_BASE_PYTHON   the interpreter it is made from (default: /usr/bin/python3, else python3 on PATH)
#   AUTOGRADER_WORKER_USER   the worker users' name (default rnn-worker; then rnn-worker1, rnn-worker2, ...)
#   AUTOGRADER_WORKERS       how many worker users, hence gradings at once on the machine (default 16)
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
dev=0
check_only=0
case "${1:-}" in
  --dev) dev=1 ;;
  --check-worker) check_only=1 ;;
  "") ;;
  *) echo "setup.sh: unknown option '$1' (known: --dev, --check-worker)" >&2; exit 2 ;;
esac

worker_user=${AUTOGRADER_WORKER_USER:-rnn-worker}
if [ "$(id -u)" = 0 ]; then
  venv=${AUTOGRADER_VENV:-/opt/rnn-autograder/venv}
else
  venv=${AUTOGRADER_VENV:-$here/.venv}
fi

# The system interpreter: readable by every user, unlike a pyenv or conda one in a home folder.
base=${AUTOGRADER_BASE_PYTHON:-}
if [ -z "$base" ]; then
  for candidate in /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
      base=$candidate; break
    fi
  done
fi

# The worker user must be able to start the environment's Python and import numpy: else every grading would
# score 0. A closed folder on the way (a pyenv or conda interpreter under /root, an environment in a home
# folder) is the usual cause; say which one.
check_worker() {
  local python=$venv/bin/python real dir closed="" why as_worker
  if ! id "$worker_user" >/dev/null 2>&1; then
    echo "setup.sh: no worker user '$worker_user': run ./setup.sh as root to create the worker users" >&2
    return 1
  fi
  as_worker=(setpriv --reuid="$worker_user" --regid="$(id -g "$worker_user")" --clear-groups)
  if why=$(cd / && "${as_worker[@]}" "$python" -c 'import numpy' 2>&1); then
    return 0
  fi
  real=$(readlink -f "$python" || echo "$python")
  for path in "$python" "$real"; do
    dir=$(dirname "$path")
    while [ "$dir" != / ]; do
      if ! (cd / && "${as_worker[@]}" test -x "$dir"); then closed=$dir; fi
      dir=$(dirname "$dir")
    done
    [ -n "$closed" ] && break
  done
  if [ -n "$closed" ]; then
    echo "setup.sh: the worker user '$worker_user' cannot run $python (it is $real): the folder $closed is" \
      "closed to other users, so every grading would score 0. Make the environment from an interpreter every" \
      "user can reach, outside a closed folder: rm -rf $venv && AUTOGRADER_BASE_PYTHON=/usr/bin/python3" \
      "AUTOGRADER_VENV=/opt/rnn-autograder/venv ./setup.sh (or open $closed with chmod o+x)." >&2
  else
    echo "setup.sh: the worker user '$worker_user' cannot import numpy with $python, so every grading would" \
      "score 0: ${why##*$'\n'} (is the environment readable by every user? chmod -R a+rX $venv)" >&2
  fi
  return 1
}
if [ "$check_only" = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "setup.sh: --check-worker needs root (as you, the worker runs as you)" >&2; exit 2; }
  check_worker && echo "setup.sh: the worker user '$worker_user' runs $venv/bin/python and imports numpy"
  exit
fi

[ -n "$base" ] || { echo "setup.sh: needs Python 3.10 or newer (python3)" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
  if ! "$base" -m venv "$venv" 2>/dev/null; then
    # Ubuntu and Debian ship venv's ensurepip separately.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      ver=$("$base" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$ver-venv" >/dev/null
      rm -rf "$venv"; "$base" -m venv "$venv"
    else
      echo "setup.sh: '$base -m venv' failed; install your distribution's python3-venv package" >&2; exit 1
    fi
  fi
fi
requirements=$here/requirements.txt
[ "$dev" = 1 ] && requirements=$here/requirements-dev.txt
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
# The grader's bytecode, compiled once here (as root, before the folder is closed below), so that no grading
# compiles it: Gradescope runs each submission in a fresh container from this image.
"$venv/bin/python" -m compileall -q "$here/autograder" >/dev/null
if [ "$dev" = 1 ]; then
  echo "setup.sh: --dev installed the developers' tools (requirements-dev.txt) into $venv$([ "$(id -u)" = 0 ] && echo ", which the worker also runs in")"
fi

if [ "$(id -u)" = 0 ]; then
  [ "$venv" = "$here/.venv" ] || ln -sfn "$venv" "$here/.venv"
  chmod -R a+rX "$venv"
  # One user per concurrent grading (a TA's batch runs several at once; Gradescope, one).
  workers=${AUTOGRADER_WORKERS:-16}
  for name in "$worker_user" $(seq -f "$worker_user%g" 1 $((workers - 1))); do
    if ! id "$name" >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$name"
    fi
  done
  chmod -R go-rwx "$here"
  check_worker || exit 1
fi
echo "setup.sh: ready ($("$venv/bin/python" --version), $venv). Activate it with: . .venv/bin/activate"
