#!/usr/bin/env bash
# Train prmkit's embedded PRM (prmkit-prm) from its sources and install it into the package.
#   bash scripts/train_embedded_prm.sh   # data -> features -> probe head -> LoRA fine-tune -> src/prmkit/scoring/embedded/prmkit-prm
# Stage 1 fits a linear head on the frozen 14-block backbone (minutes); stage 2 starts from it and fine-tunes
# LoRA adapters on every projection for one epoch (about 55 minutes on 2 cores). STAGES=probe stops after stage 1.
# Resumable: rerun after an interruption; finished feature parts and checkpoints are reused.
# ProcessBench's solutions and labels are never read (its problem texts are, to drop them). Needs ../shared/data and the policy
# solutions in datasets/gsm8k-train-qwen2.5-coder-0.5b-samples (and, for policy-mc, the labelled datasets/gsm8k-train-qwen2.5-coder-0.5b).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=runs/embedded-prm
SOURCES=(${SOURCES:-mr-ben policy-correct policy-inject qwen-math-inject})  # add policy-mc for the policy's Monte Carlo labels
POLICY_PROBLEMS=${POLICY_PROBLEMS:-100}  # the shipped head saw the policy samples of the first 100 problems (of 700)
python scripts/embedded_prm_data.py --out "$OUT/data" --policy-problems "$POLICY_PROBLEMS"
: > "$OUT/train.jsonl"
for s in "${SOURCES[@]}"; do cat "$OUT/data/$s.jsonl" >> "$OUT/train.jsonl"; done
prmkit train --config configs/embedded-prm.yaml --train-path "$OUT/train.jsonl" --output-dir "$OUT/model"
python scripts/fit_threshold.py --config configs/embedded-prm.yaml --train-path "$OUT/train.jsonl" --output-dir "$OUT/model"
FINAL=$OUT/model
if [[ "${STAGES:-probe lora}" == *lora* ]]; then
  prmkit train --config configs/embedded-prm-lora.yaml --train-path "$OUT/train.jsonl" --output-dir "$OUT/lora" \
    --init-head "$OUT/model/head"
  # stage 2 keeps stage 1's threshold (fitted on the same examples; the fine-tuned model has seen them once)
  python - "$OUT/model/head/prmkit_head.json" "$OUT/lora/head/prmkit_head.json" <<'PY'
import json, sys
probe, lora = (json.load(open(p)) for p in sys.argv[1:])
lora.update({k: probe[k] for k in ("threshold", "threshold_fit")})
json.dump(lora, open(sys.argv[2], "w"), indent=2); open(sys.argv[2], "a").write("\n")
PY
  FINAL=$OUT/lora
fi
DEST=src/prmkit/scoring/embedded/prmkit-prm
mkdir -p "$DEST"
rm -f "$DEST/lora.safetensors"
cp "$FINAL/head/"*.safetensors "$FINAL/head/prmkit_head.json" "$DEST/"
echo "installed $FINAL/head in $DEST"
