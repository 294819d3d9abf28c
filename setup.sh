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
# Not root (a TA's laptop): ./.venv in this folder, and the worker runs as you.
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
dev=0
[ "${1:-}" = "--dev" ] && dev=1

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
fi
echo "setup.sh: ready ($("$venv/bin/python" --version), $venv). Activate it with: . .venv/bin/activate"
