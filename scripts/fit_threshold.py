"""The decision threshold of a head folder (``save_head``), fitted on its own training data.

For ``trainable: head`` it reads the run's cached step features
(``output_dir/features``, nothing is recomputed) and applies the trained head;
otherwise (``lora``) it scores every training example with the head folder
itself, as the ``hf`` backend will. Then it picks
the threshold in 0.05 steps with the best first-error F1 (ProcessBench's
protocol: an error case is right when the first step below the threshold is
its first wrong step; a correct case when no step is) over the fully labelled
examples whose id matches ``--ids`` (default: all). Writes it into the head folder's
``prmkit_head.json`` and prints it. ProcessBench is never read.

In sample, a head scores its own training steps more confidently than new ones.
``--cross-fit K`` (``trainable: head``) scores each example with a head trained
exactly as configured on the other K-1 folds of problems instead; ``K = 1``
retrains on every example and reproduces the run's head bit for bit.

    python scripts/fit_threshold.py --config configs/embedded-prm.yaml \
        --train-path runs/embedded-prm/train.jsonl --output-dir runs/embedded-prm/model
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--train-path", required=True)
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--ids", default=".*", help="regular expression on example ids (default: every example)")
    ap.add_argument("--cross-fit", type=int, default=0, metavar="K",
                    help="trainable 'head' only: score each example with a head trained as configured on the "
                         "other K-1 folds of problems (default 0: the run's head, in sample)")
    args = ap.parse_args()

    import torch
    from safetensors.torch import load_file

    from prmkit.config import load_config
    from prmkit.training import TrainConfig, read_stepwise, training_spec
    from prmkit.training._encode import encode_examples
    from prmkit.training._features import features_key, step_features
    from prmkit.training._model import load_tokenizer
    from prmkit.training._validate import first_error_f1
    from prmkit.types import StepScores

    cfg = load_config(TrainConfig, args.config, {"train_path": args.train_path, "output_dir": args.output_dir})
    out = Path(cfg.output_dir)
    tok = load_tokenizer(cfg)
    spec = training_spec(cfg)
    examples, data = [], []
    for ex in read_stepwise(cfg.train_path, cfg.label_kind, threshold=cfg.label_threshold):
        enc, _ = encode_examples([ex], tok, spec, max_length=cfg.max_length)  # training skipped the rest too
        if enc:
            examples.append(ex)
            data.extend(enc)
    pick = re.compile(args.ids)
    # an example with an unlabelled step (a wrong answer whose first error is unknown) has no first-error label
    chosen = [i for i, ex in enumerate(examples) if pick.search(str(ex.solution.id)) and ex.fully_labelled]
    examples_all, examples = examples, [examples[i] for i in chosen]
    results: list[StepScores] = []
    if cfg.trainable == "head":  # the cached features and the head: instant, and exactly what training saw
        feats = step_features(None, data, 0, cache_dir=out / "features", key=features_key(cfg.to_dict(), data),  # type: ignore[arg-type]
                              progress=False)
        if args.cross_fit:
            heads = cross_fitted_heads(cfg, spec, examples_all, data, feats, args.cross_fit)
        else:
            heads = [load_file(str(out / "head" / "head.safetensors"))] * len(data)
        for i in chosen:
            head = heads[i]
            results.append(StepScores(tuple(torch.softmax(feats[i] @ head["weight"].T + head["bias"], -1)[:, 1].tolist())))
    else:
        from prmkit.scoring import load_prm
        from prmkit.training import load_spec

        prm = load_prm(load_spec(out / "head"))
        for i in range(0, len(examples), 8):
            for sc in prm.score([ex.solution for ex in examples[i : i + 8]]):
                if not isinstance(sc, StepScores):
                    raise SystemExit(f"scoring a training example failed: {sc}")
                results.append(sc)
            print(f"\rscored {len(results)}/{len(examples)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    first_errors = [ex.first_error for ex in examples]

    def f1(t: float) -> float:
        return first_error_f1(results, first_errors, t)["f1"]

    grid = [round(k / 20, 2) for k in range(1, 20)]
    best = max(grid, key=f1)
    meta_path = out / "head" / "prmkit_head.json"
    meta = json.loads(meta_path.read_text())
    meta["threshold"] = best
    meta["threshold_fit"] = {"cases": len(results), "ids": args.ids, "f1": round(f1(best), 4),
                             **({"cross_fit": args.cross_fit} if args.cross_fit else {})}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps({"threshold": best, "f1": round(f1(best), 4), "cases": len(results),
                      "by_threshold": {t: round(f1(t), 4) for t in grid}}))


def cross_fitted_heads(cfg, spec, examples, data, feats, k):  # type: ignore[no-untyped-def]
    """Per example, the head trained by ``prmkit train``'s own update steps on the folds without its problem.

    Problems are dealt into ``k`` folds after a shuffle seeded by ``cfg.seed``: every solution of a
    problem (Mr-Ben's several models, an injected copy and its original) is held out together.
    """
    import random

    from prmkit.training._model import build_model, head_module_names
    from prmkit.training.trainer import (
        _Batches,
        _optimization,
        _seed_everything,
        _total_steps,
        _update,
    )

    problems = sorted({ex.solution.problem for ex in examples})
    random.Random(cfg.seed).shuffle(problems)
    fold = {p: n % k for n, p in enumerate(problems)}
    heads: list = [None] * len(data)
    for f in range(k):
        train_idx = [i for i, ex in enumerate(examples) if fold[ex.solution.problem] != f or k == 1]
        _seed_everything(cfg.seed)
        model = build_model(cfg)
        batches = _Batches([data[i] for i in train_idx], cfg, 0, [feats[i] for i in train_idx])
        total = _total_steps(cfg, batches)
        params, optimizer, scheduler = _optimization(cfg, model, total)
        model.train()
        for step in range(1, total + 1):
            _update(cfg, spec, model, None, batches, step, params, optimizer, scheduler)
        head = model.get_submodule(head_module_names(model)[0])
        weights = {"weight": head.weight.detach().float(), "bias": head.bias.detach().float()}
        for i, ex in enumerate(examples):
            if fold[ex.solution.problem] == f:
                heads[i] = weights
        print(f"fold {f + 1}/{k}: {len(train_idx)} training examples", file=sys.stderr, flush=True)
    return heads


if __name__ == "__main__":
    main()
