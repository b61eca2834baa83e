#!/usr/bin/env bash
# The test command: the whole suite, on CPU, offline. Given test paths, only those run
# (bash scripts/test.sh tests/scoring -x); given only options, the whole suite runs with them.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
for arg in "$@"; do
  case "$arg" in
    tests|tests/*) exec python -m pytest "$@" ;;
  esac
done
exec python -m pytest tests "$@"
