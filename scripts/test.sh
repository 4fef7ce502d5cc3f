#!/usr/bin/env bash
# Set up (as scripts/demo.sh does, plus the test tools), lint, type-check, then run the whole test
# suite with the real engines and models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export OMP_THREAD_LIMIT=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check src tests training
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
