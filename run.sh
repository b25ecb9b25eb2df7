#!/usr/bin/env bash
# One entry point on a fresh Debian/Ubuntu machine: installs what is missing, then runs
#   bash run.sh demo [args]   the main demo (writes into out/)
#   bash run.sh test [args]   the whole test suite (pytest args pass through)
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-demo}
shift || true

# A Python 3.11+ interpreter: $PYTHON, else the newest python3.x found.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3 python3.13 python3.12 python3.11; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$c; break
    fi
  done
fi
[ -n "$PY" ] || { echo "run.sh: needs Python 3.11 or newer (apt-get install python3)" >&2; exit 1; }

# System packages: Graphviz's dot (graphs), venv support, and Chromium for the stepper test.
apt_pkgs=()
command -v dot >/dev/null || apt_pkgs+=(graphviz)
"$PY" -c 'import ensurepip, venv' 2>/dev/null || apt_pkgs+=(python3-venv)
if [ "$mode" = test ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  apt_pkgs+=(chromium)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing ${apt_pkgs[*]} with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null \
      || echo "run.sh: apt-get could not install ${apt_pkgs[*]}; the parts that need them will say so"
  else
    echo "run.sh: not root: install ${apt_pkgs[*]} with apt-get for graphs and the stepper test"
  fi
fi

# The virtual environment with the package and its extras.
[ -x .venv/bin/python ] || "$PY" -m venv .venv
echo "run.sh: installing tinygrad_bn and its extras into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[examples,test,fast]" >.venv/pip.log 2>&1 \
  || { cat .venv/pip.log; echo "run.sh: pip install failed (log above)" >&2; exit 1; }

case "$mode" in
  demo)
    exec .venv/bin/tinygrad-bn demo "$@" ;;
  test)
    # PyTorch 2.13.0 CPU, for the cross-checks; without it those tests skip and say why.
    # NO_TORCH=1 skips the install (without a local torch 2.13.0 wheel it is a large download).
    [ -n "${NO_TORCH:-}" ] || .venv/bin/python -c 'import torch' 2>/dev/null \
      || .venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0 >.venv/pip-torch.log 2>&1 \
      || echo "run.sh: torch==2.13.0 could not be installed; PyTorch cross-checks will be skipped"
    set +e
    .venv/bin/python -m pytest "$@"
    rc=$?
    [ $rc -eq 5 ] && echo "run.sh: pytest collected no tests; that is a failure"
    exit $rc ;;
  *)
    echo "usage: bash run.sh demo|test [args]" >&2; exit 2 ;;
esac
