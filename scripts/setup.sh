#!/usr/bin/env bash
# All set-up on a fresh machine: Debian packages (OCR engine, fonts, the PDF renderer's libraries), a venv,
# pinned Python packages, and the pages' front-end libraries from the npm registry (package-lock.json).
# Idempotent: a second run only checks. Called by scripts/demo.sh and scripts/test.sh.
#   scripts/setup.sh            the product: jinnang and requirements.lock (no torch)
#   scripts/setup.sh --dev      also the test and lint tools (requirements-dev.lock) and the optional
#                               sentence-transformers backend (torch CPU, requirements-st.lock), so
#                               its tests run too, and Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0
[ "${1:-}" = "--dev" ] && dev=1

APT_PACKAGES=(tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0)
[ "$dev" = 1 ] && APT_PACKAGES+=(chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing ${missing[*]} from Debian" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "setup: missing system packages; run as root, then run this script again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ] && ! "$PYTHON" -m venv .venv >&2; then
  rm -rf .venv  # a half-made venv (no pip) would pass the check above next time
  echo "setup: cannot create a venv; on Debian run:  sudo apt-get install -y python3-venv" >&2
  exit 1
fi

pip() { .venv/bin/python -m pip -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }

stamp=.venv/.jinnang-installed
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (first run takes a few minutes)" >&2
  pip install --upgrade pip
  pip install -r requirements.lock
  pip install --no-deps -e .
  echo "$want" > "$stamp"
fi

if [ "$dev" = 1 ]; then
  dev_stamp=.venv/.jinnang-dev-installed
  want=$(cat requirements-dev.lock requirements-st.lock | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$dev_stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing the test tools and the sentence-transformers backend into .venv" >&2
    # torch first and exactly this version: it is the CPU build on disk; anything else pulls CUDA
    pip install torch==2.13.0
    pip install -r requirements-st.lock -r requirements-dev.lock
    echo "$want" > "$dev_stamp"
  fi
fi

# ECharts, Swagger UI and ReDoc, served by the service itself (never a CDN): exactly the lock file's versions
assets=src/jinnang/web/assets
want=$(sha256sum "$assets/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$assets/node_modules/.jinnang-installed" 2>/dev/null)" != "$want" ]; then
  if ! command -v npm >/dev/null; then
    echo "setup: npm is needed for the pages' chart and API-docs libraries; on Debian: sudo apt-get install -y npm" >&2
    exit 1
  fi
  echo "setup: installing the pages' front-end libraries (npm ci)" >&2
  (cd "$assets" && npm ci --omit=peer --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$assets/node_modules/.jinnang-installed"
fi

# the shipped training notes' features, which every data dir's `jinnang learn` reads: prepared once a machine
# (40–50 s the first time, a second's check after), so that a team's first refit takes seconds, not a minute
echo "setup: the training notes prepared for \`jinnang learn\` (40–50 s the first time on a machine)" >&2
.venv/bin/python -c "from jinnang.nlp.learning import warm_shared_cache; warm_shared_cache()" >&2
