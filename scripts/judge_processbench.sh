#!/usr/bin/env bash
# Generative judges next to prmkit-prm on ProcessBench (GSM8K and MATH splits), resumable.
#
#   bash scripts/judge_processbench.sh [--limit N] [--out DIR] [--prms "judge-critic judge-thinkprm ..."]
#                                      [--splits "gsm8k math"] [--judge-url URL]
#
# Each PRM writes to DIR/<prm>/ (one JSONL per split, summary.json), every score through one step-score cache,
# DIR/scores.sqlite, so a combination (a+b) reuses what its members scored alone, judgements included; rerunning the same command resumes
# without regenerating finished cases (a larger --limit scores only the new ones; a smaller one is refused). The judge model is
# Qwen2.5-Coder-0.5B-Instruct (a PyPI model package, `prmkit models`) on llama.cpp, or the OpenAI-compatible
# server --judge-url names. Prints each run's table, then judge tokens and seconds per case.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=20 out=runs/judge_processbench splits="gsm8k math" url=""
prms="prmkit-prm judge-critic judge-critic-maj8 judge-critic-direct judge-genprm judge-critic-direct+prmkit-prm"
data=${PROCESSBENCH_DIR:-../shared/data/processbench}
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --prms) prms=$2; shift 2 ;;
    --splits) splits=$2; shift 2 ;;
    --judge-url) url=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out/data"
args=()
for split in $splits; do
  # $limit cases of the split, erroneous and correct ones alternating in the data's order (ProcessBench's
  # files list every erroneous case first); a larger limit extends the same selection
  python - "$data/$split.json" "$out/data/$split.json" "$limit" <<'PY'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(src, encoding="utf-8").read()
try:
    rows = json.loads(text)
except json.JSONDecodeError:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
wrong = [r for r in rows if r["label"] != -1]
right = [r for r in rows if r["label"] == -1]
mixed = [r for pair in zip(wrong, right) for r in pair]
mixed += wrong[len(right):] + right[len(wrong):]
json.dump(mixed[:n], open(dst, "w", encoding="utf-8"), ensure_ascii=False)
PY
  args+=(--split "$split=$out/data/$split.json")
done
for prm in $prms; do
  extra=()
  if [ -n "$url" ] && [[ $prm == judge-* ]]; then extra+=(--judge-url "$url"); fi
  echo "== $prm" >&2
  python -m prmkit eval processbench --prm "$prm" "${args[@]}" --out "$out/$prm" --batch-size 1 --cache "$out/scores.sqlite" "${extra[@]}"
  python - "$out/$prm" $splits <<'PY'
import json, sys, pathlib
run = pathlib.Path(sys.argv[1])
for split in sys.argv[2:]:
    recs = [json.loads(l) for l in (run / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    judged = [r["judge"] for r in recs if "judge" in r]
    if not judged:
        continue
    n = len(judged)
    failed = sum(v.startswith("error:") for j in judged for v in j["verdicts"])
    samples = sum(len(j["verdicts"]) for j in judged)
    print(f"{split}: {n} cases judged; per case: {sum(j['prompt_tokens'] for j in judged) / n:.0f} prompt tokens, "
          f"{sum(j['generated_tokens'] for j in judged) / n:.0f} generated tokens, "
          f"{sum(j['seconds'] for j in judged) / n:.1f} s; unparsed verdicts {failed}/{samples}")
PY
done
