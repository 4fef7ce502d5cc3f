#!/usr/bin/env bash
# The main job on the embedded default: set up, ingest the bundled demo documents into
# ./.jinnang (SQLite + Chroma), print what was ingested, then serve the API on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_THREAD_LIMIT=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/jinnang demo "$@"
