"""Which depth of a frozen backbone carries step-correctness? Linear probes per layer, held-out by question.

Reads every training source of the embedded PRM (``scripts/embedded_prm_data.py``
writes them), renders it in the PRM's format, runs the backbone cut to
``--layers`` blocks once (bf16), and keeps the final-norm-applied hidden state
at each step marker for every other layer (``--concat 14,22`` also probes
layer sets side by side). Then, per layer and per source mix,
fits a logistic probe on questions outside a held-out fifth of Mr-Ben and
prints, on that fifth: step AUC and first-error F1 (ProcessBench's protocol)
at the threshold that is best on the training questions. ProcessBench is never
read.

    python scripts/probe_layers.py --data runs/embedded-prm/data --out runs/probe
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="runs/embedded-prm/data")
    ap.add_argument("--out", default="runs/probe")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    ap.add_argument("--spec", default="prmkit-prm")
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--only-layers", type=int, nargs="*", help="probe only these layers")
    ap.add_argument(
        "--concat", nargs="*", default=[], metavar="L1,L2",
        help="also probe these layer sets, their hidden states concatenated (e.g. 14,22)",
    )
    args = ap.parse_args()

    import torch
    import transformers

    from prmkit.models import to_transformers_dir
    from prmkit.scoring import get_spec
    from prmkit.scoring.render import render, resolve_ids
    from prmkit.training.data import read_stepwise

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "features.pt"
    src = str(to_transformers_dir(args.model, dtype="float32"))
    tok = transformers.AutoTokenizer.from_pretrained(src)
    spec = get_spec(args.spec)
    ids = resolve_ids(tok, spec)
    rows = []  # (source, group, input_ids, positions, labels)
    for f in sorted(Path(args.data).glob("*.jsonl")):
        for ex in read_stepwise(f, "hard"):
            r = render(tok, spec, ex.solution, ids)
            group = str(ex.solution.id).split("/")[0] if f.stem == "mr-ben" else str(ex.solution.id)
            rows.append((f.stem, group, r.input_ids, r.positions, ex.labels))
    print({s: sum(1 for r in rows if r[0] == s) for s in sorted({r[0] for r in rows})})
    keep = list(range(2, args.layers + 1, 2))
    if cache.exists():
        feats = torch.load(cache, weights_only=True)
    else:
        model = transformers.AutoModel.from_pretrained(src, dtype=torch.bfloat16).eval()
        del model.layers[args.layers :]
        captured: dict[int, torch.Tensor] = {}
        for i, layer in enumerate(model.layers):
            if i + 1 in keep:
                layer.register_forward_hook(lambda _m, _a, o, i=i: captured.__setitem__(i + 1, o[0] if isinstance(o, tuple) else o))
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][2]))
        feats = [None] * len(rows)
        t0, done, batch = time.perf_counter(), 0, []

        def flush(batch: list[int]) -> None:
            n_t = max(len(rows[i][2]) for i in batch)
            x = torch.zeros((len(batch), n_t), dtype=torch.long)
            m = torch.zeros_like(x)
            for b, i in enumerate(batch):
                x[b, : len(rows[i][2])] = torch.tensor(rows[i][2])
                m[b, : len(rows[i][2])] = 1
            with torch.no_grad():
                model(input_ids=x, attention_mask=m)
                for b, i in enumerate(batch):
                    pos = list(rows[i][3])
                    feats[i] = torch.stack([model.norm(captured[k][b, pos]).float() for k in keep]).half()

        for i in order:
            if batch and len(rows[i][2]) * (len(batch) + 1) > args.batch_tokens:
                flush(batch)
                done += len(batch)
                batch = []
                print(f"\r{done}/{len(rows)} {time.perf_counter() - t0:.0f}s", end="", flush=True)
            batch.append(i)
        flush(batch)
        print(f"\nfeatures in {time.perf_counter() - t0:.0f}s")
        torch.save(feats, cache)

    held = held_out_questions(r[1] for r in rows if r[0] == "mr-ben")
    test = [i for i, r in enumerate(rows) if r[0] == "mr-ben" and r[1] in held]
    mixes = {
        "mr-ben": {"mr-ben"},
        "mr-ben+policy": {"mr-ben", "policy-inject", "policy-correct"},
        "mr-ben+policy+mc": {"mr-ben", "policy-inject", "policy-correct", "policy-mc"},
        "mr-ben+policy+mr-ben-inject": {"mr-ben", "policy-inject", "policy-correct", "mr-ben-inject"},
        "math": {"mr-ben", "policy-inject", "policy-correct", "bbm-multistep_arithmetic"},
        "all": {r[0] for r in rows},
    }
    concatenated = {  # per layer set, each row's hidden states side by side
        layer_set: [torch.cat([f[keep.index(int(v))] for v in layer_set.split(",")], -1)[None] for f in feats]
        for layer_set in args.concat
    }
    results = []
    for mix, sources in mixes.items():
        train = [i for i, r in enumerate(rows) if r[0] in sources and not (r[0] == "mr-ben" and r[1] in held)]
        for li, layer in enumerate(keep):
            if args.only_layers and layer not in args.only_layers:
                continue
            res = probe(torch, feats, rows, train, test, li)
            res.update(mix=mix, layer=layer, n_train=len(train))
            results.append(res)
            print(json.dumps(res))
        for layer_set, joined in concatenated.items():
            res = probe(torch, joined, rows, train, test, 0)
            res.update(mix=mix, layer=layer_set, n_train=len(train))
            results.append(res)
            print(json.dumps(res))
    (out / "results.json").write_text(json.dumps(results, indent=1))


def held_out_questions(questions: Iterable[str]) -> set[str]:
    """The held-out fifth of Mr-Ben's question ids: sorted, shuffled with seed 0, the first fifth."""
    groups = sorted(set(questions))
    random.Random(0).shuffle(groups)
    return set(groups[: len(groups) // 5])


def probe(torch, feats, rows, train, test, li):  # type: ignore[no-untyped-def]
    def xy(idx):  # type: ignore[no-untyped-def]
        x = torch.cat([feats[i][li].float() for i in idx])
        y = torch.tensor([v for i in idx for v in rows[i][4]], dtype=torch.float32)
        return x, y

    x, y = xy(train)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    pos = float(y.mean())
    weight = torch.where(y > 0.5, 0.5 / pos, 0.5 / (1 - pos))
    opt = torch.optim.LBFGS([w, b], max_iter=200, line_search_fn="strong_wolfe")
    xs = (x - mu) / sd

    def closure():  # type: ignore[no-untyped-def]
        opt.zero_grad()
        z = xs @ w + b
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(z, y, weight=weight)) + 1e-2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)

    def scores(idx):  # type: ignore[no-untyped-def]
        with torch.no_grad():
            return [torch.sigmoid(((feats[i][li].float() - mu) / sd) @ w + b).tolist() for i in idx]

    def f1(idx, s, t):  # type: ignore[no-untyped-def]
        ok_err = ok_cor = n_err = n_cor = 0
        for i, sc in zip(idx, s, strict=True):
            labels = rows[i][4]
            truth = next((k for k, v in enumerate(labels) if v < 0.5), -1)
            pred = next((k for k, v in enumerate(sc) if v < t), -1)
            if truth < 0:
                n_cor += 1
                ok_cor += pred == -1
            else:
                n_err += 1
                ok_err += pred == truth
        ea, ca = ok_err / max(n_err, 1), ok_cor / max(n_cor, 1)
        return 2 * ea * ca / (ea + ca) if ea + ca else 0.0

    s_train = scores(train)
    grid = [k / 20 for k in range(1, 20)]
    t_best = max(grid, key=lambda t: f1(train, s_train, t))
    s_test = scores(test)
    flat = [(v, lab) for sc, i in zip(s_test, test, strict=True) for v, lab in zip(sc, rows[i][4], strict=True)]
    pos_s = [v for v, lab in flat if lab > 0.5]
    neg_s = [v for v, lab in flat if lab <= 0.5]
    auc = sum((p > n) + 0.5 * (p == n) for p in pos_s for n in neg_s) / max(1, len(pos_s) * len(neg_s))
    return {"auc": round(auc, 3), "threshold": t_best, "f1": round(f1(test, s_test, t_best), 3),
            "f1_at_0.5": round(f1(test, s_test, 0.5), 3)}


if __name__ == "__main__":
    main()
