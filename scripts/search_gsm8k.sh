#!/usr/bin/env bash
# The README's live-search comparison: the Qwen2.5-Coder-0.5B-Instruct policy and prmkit's embedded PRM on the
# first 100 GSM8K test problems; majority vote, PRM-weighted vote and best-of-N from one pool of 8 samples,
# greedy step search, beam search, DVTS and particle filtering at N = 4 and 8.
# Resumable: rerun it after a stop. It grows the problem set in stages (20, 50, 100), so an early stop still
# leaves every method compared on the same problems. Hours on two CPU cores.
#   OUT=runs/search-gsm8k bash scripts/search_gsm8k.sh
set -euo pipefail
OUT=${OUT:-runs/search-gsm8k}
for limit in ${LIMITS:-20 50 100}; do
  prmkit search-compare --problems ../shared/data/gsm8k/test.jsonl --limit "$limit" --out "$OUT" \
    --methods bon,greedy,beam,dvts,particle --ns 4,8 --width 4 "$@"
done
