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
    args = ap.parse_args()

    import torch
    from safetensors.torch import load_file

    from prmkit.cli._config_args import _read_yaml, config_from_mapping
    from prmkit.training import TrainConfig, read_stepwise, training_spec
    from prmkit.training._encode import encode_examples
    from prmkit.training._features import features_key, step_features
    from prmkit.training._model import load_tokenizer
    from prmkit.training._validate import first_error_f1
    from prmkit.types import StepScores

    values = {**_read_yaml(args.config), "train_path": args.train_path, "output_dir": args.output_dir}
    cfg = config_from_mapping(TrainConfig, values, source=args.config)
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
    examples = [examples[i] for i in chosen]
    results: list[StepScores] = []
    if cfg.trainable == "head":  # the cached features and the head: instant, and exactly what training saw
        feats = step_features(None, data, 0, cache_dir=out / "features", key=features_key(cfg.to_dict(), data),  # type: ignore[arg-type]
                              progress=False)
        head = load_file(str(out / "head" / "head.safetensors"))
        for i in chosen:
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
    meta["threshold_fit"] = {"cases": len(results), "ids": args.ids, "f1": round(f1(best), 4)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps({"threshold": best, "f1": round(f1(best), 4), "cases": len(results),
                      "by_threshold": {t: round(f1(t), 4) for t in grid}}))


if __name__ == "__main__":
    main()
