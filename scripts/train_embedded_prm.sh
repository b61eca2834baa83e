#!/usr/bin/env bash
# Train prmkit's embedded PRM (prmkit-prm) from its sources and install its head into the package.
#   bash scripts/train_embedded_prm.sh            # data -> features -> head -> src/prmkit/scoring/embedded/prmkit-prm
# Resumable: rerun after an interruption; finished feature parts and checkpoints are reused.
# ProcessBench is never read. Needs ../shared/data (Mr-Ben, BIG-Bench-Mistake) and the policy
# solutions in datasets/gsm8k-train-qwen2.5-coder-0.5b.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/embedded-prm
SOURCES=(${SOURCES:-mr-ben policy-correct policy-inject})  # add policy-mc for the policy's Monte Carlo labels
POLICY_PROBLEMS=${POLICY_PROBLEMS:-100}  # the shipped head saw the policy dataset's first 100 problems
python scripts/embedded_prm_data.py --out "$OUT/data" --policy-problems "$POLICY_PROBLEMS"
: > "$OUT/train.jsonl"
for s in "${SOURCES[@]}"; do cat "$OUT/data/$s.jsonl" >> "$OUT/train.jsonl"; done
prmkit train --config configs/embedded-prm.yaml --train-path "$OUT/train.jsonl" --output-dir "$OUT/model"
python scripts/fit_threshold.py --config configs/embedded-prm.yaml --train-path "$OUT/train.jsonl" --output-dir "$OUT/model"
DEST=src/prmkit/scoring/embedded/prmkit-prm
mkdir -p "$DEST"
cp "$OUT/model/head/head.safetensors" "$OUT/model/head/prmkit_head.json" "$DEST/"
echo "installed the head in $DEST"
