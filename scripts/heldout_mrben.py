"""Model selection for the embedded PRM on held-out Mr-Ben questions (ProcessBench is never read).

The held-out fifth of Mr-Ben's questions is the one ``scripts/probe_layers.py`` uses
(question ids sorted, shuffled with seed 0, the first fifth).

``split`` writes a training file without those questions and a ProcessBench-format
validation file of their solutions, for ``prmkit train --val-path``::

    python scripts/heldout_mrben.py split runs/embedded-prm/train.jsonl --out runs/heldout

``mixes`` fits linear probes on the features a ``trainable: head`` run cached
(``<run>/model/features``), once per source mix, and prints step AUC and
first-error F1 on the held-out solutions. The run's training file must hold
Mr-Ben (ids ``<question>/<model>``) and may hold its rectified rewrites
(``.../rectified-<k>``), the policy sources, ``gsm8k-ref`` (ids ``gsm8k-test-<n>/<model>``) and
``qwen-math-inject`` (ids ``qwen-math-<problem>/<k>``). Policy solutions beyond the
first ``--policy-problems`` of the samples dataset count as the source ``policy-more``::

    python scripts/heldout_mrben.py mixes runs/rect
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from probe_layers import held_out_questions, probe  # noqa: E402


def held_out(ids: list[str]) -> set[str]:
    """The held-out fifth of the Mr-Ben question ids among ``ids`` (``<question>/...``)."""
    return held_out_questions(i.split("/")[0] for i in ids if "/" in i)


def split(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in Path(args.train).read_text(encoding="utf-8").splitlines()]
    held = held_out([str(r.get("id", "")) for r in rows])

    def is_held(r: dict) -> bool:  # type: ignore[type-arg]
        rid = str(r.get("id", ""))
        return "/" in rid and rid.split("/")[0] in held

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            if not is_held(r):
                fh.write(json.dumps(r) + "\n")
    val = [
        {"id": r["id"], "problem": r["prompt"], "steps": r["completions"],
         "label": next((i for i, v in enumerate(r["labels"]) if float(v) < 0.5), -1)}
        for r in rows
        if is_held(r) and "/rectified-" not in r["id"]
    ]
    (out / "val.json").write_text(json.dumps(val), encoding="utf-8")
    kept = sum(not is_held(r) for r in rows)
    print(json.dumps({"questions_held_out": len(held), "train": kept, "val": len(val),
                      "val_without_error": sum(v["label"] == -1 for v in val)}))


def _first(row: tuple) -> int:  # type: ignore[type-arg]
    """The first error of a row's labels, -1 if none."""
    return next((k for k, v in enumerate(row[4]) if v < 0.5), -1)


def _source(example_id: str, first_policy: set[str]) -> str:
    """Which source of the embedded PRM's data an example id comes from; policy solutions not in
    ``first_policy`` (the shipped head's problems) are ``policy-more``."""
    if "/rectified-" in example_id:
        return "rectified"
    for prefix, source in (("gsm8k-test-", "gsm8k-ref"), ("qwen-math-", "qwen-math")):
        if example_id.startswith(prefix):
            return source
    if "/" in example_id:
        return "mr-ben"
    return "policy" if example_id.split("#")[0] in first_policy else "policy-more"


def mixes(args: argparse.Namespace) -> None:
    import torch
    import transformers

    from prmkit.models import to_transformers_dir
    from prmkit.scoring import get_spec
    from prmkit.training._encode import encode_examples
    from prmkit.training.data import read_stepwise

    run = Path(args.run)
    tok = transformers.AutoTokenizer.from_pretrained(str(to_transformers_dir(args.model, dtype="float32")))
    spec = get_spec(args.spec)
    with gzip.open(args.samples, "rt", encoding="utf-8") as fh:
        first_policy = {json.loads(line)["id"] for line in itertools.islice(fh, args.policy_problems)}
    rows = []  # (source, question, -, -, labels, id), as probe() reads them
    for ex in read_stepwise(run / "train.jsonl", "hard"):
        if not encode_examples([ex], tok, spec, max_length=args.max_length)[0]:
            continue  # the trainer skipped it too
        i = str(ex.id)
        rows.append((_source(i, first_policy), i.split("/")[0], None, None, ex.labels, i))
    parts = sorted((run / "model" / "features").glob("part-*.pt"))
    feats = [f.unsqueeze(0) for p in parts for f in torch.load(p, weights_only=True)]
    if len(feats) != len(rows):
        raise SystemExit(f"{run}: {len(feats)} cached feature rows for {len(rows)} examples; rerun its training")
    held = held_out([r[5] for r in rows if r[0] == "mr-ben"])
    test = [i for i, r in enumerate(rows) if r[0] == "mr-ben" and r[1] in held]

    def base(r: tuple) -> bool:  # type: ignore[type-arg]
        return r[0] in ("mr-ben", "policy")

    def plus(source, keep=lambda r: True):  # type: ignore[no-untyped-def]
        return lambda r: base(r) or (r[0] == source and keep(r))

    first_edit: dict[str, str] = {}  # each qwen-math solution's first injected error, in file order
    for r in rows:
        if r[0] == "qwen-math" and "#" in r[5]:
            first_edit.setdefault(r[5].split("#")[0], r[5])
    one_edit = set(first_edit.values())

    table = [  # (mix, the source it adds, which rows it trains on)
        ("mr-ben+policy", None, base),
        ("+rectified", "rectified", plus("rectified")),
        ("+rectified (first rewrite)", "rectified", plus("rectified", lambda r: r[5].endswith("/rectified-0"))),
        ("+gsm8k-ref", "gsm8k-ref", plus("gsm8k-ref")),
        ("+gsm8k-ref (right only)", "gsm8k-ref", plus("gsm8k-ref", lambda r: _first(r) < 0)),
        ("+gsm8k-ref (errors only)", "gsm8k-ref", plus("gsm8k-ref", lambda r: _first(r) >= 0)),
        ("+gsm8k-ref (no step-1 errors)", "gsm8k-ref", plus("gsm8k-ref", lambda r: _first(r) != 0)),
        ("+gsm8k-ref (175B only)", "gsm8k-ref", plus("gsm8k-ref", lambda r: "/175b" in r[5])),
        ("+qwen-math-inject", "qwen-math", plus("qwen-math")),
        ("+qwen-math-inject (right only)", "qwen-math", plus("qwen-math", lambda r: _first(r) < 0)),
        ("+qwen-math-inject (one injection each)", "qwen-math", plus("qwen-math", lambda r: "#" not in r[5] or r[5] in one_edit)),
        ("+policy-more", "policy-more", plus("policy-more")),
        ("+qwen-math-inject +policy-more", "policy-more", lambda r: base(r) or r[0] in ("qwen-math", "policy-more")),
    ]
    present = {r[0] for r in rows}
    for name, adds, use in table:
        if adds is not None and adds not in present:
            continue
        train = [i for i, r in enumerate(rows) if r[1] not in held and use(r)]
        print(json.dumps({"mix": name, "n_train": len(train), **probe(torch, feats, rows, train, test, 0)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("split", help="training file without the held-out questions, and their validation file")
    s.add_argument("train")
    s.add_argument("--out", required=True)
    s.set_defaults(func=split)
    m = sub.add_parser("mixes", help="linear probes per source mix on a head run's cached features")
    m.add_argument("run")
    m.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    m.add_argument("--spec", default="prmkit-prm")
    m.add_argument("--max-length", type=int, default=2048)
    m.add_argument("--samples", default=str(ROOT / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b-samples" / "solutions.jsonl.gz"),
                   help="the policy's sampled solutions, in draw order")
    m.add_argument("--policy-problems", type=int, default=100,
                   help="policy solutions of the first N problems are the base mix's (default 100, the shipped head's)")
    m.set_defaults(func=mixes)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
