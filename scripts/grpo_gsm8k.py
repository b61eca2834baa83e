"""GRPO (TRL ``GRPOTrainer``) on easy GSM8K problems on the CPU: outcome reward alone, or outcome + PRM.

Arms (same seed, same problems, same order):

- ``outcome``: 1 when the completion's answer equals the reference, else 0 (``--grader``: ``lenient``, the
  default, reads the last number when no ``The answer is:`` line is stated; a 135M policy often omits it);
- ``outcome+prm``: the same plus PURE's min-form credit of the PRM's step scores
  (:func:`prmkit.rewards.prm_reward`, ``credit="min"``, in [-1, 1]).

Both arms score every completion with the PRM and log that reward; in ``outcome`` its weight is 0, so it
is watched, not trained on. The PRM is a ``prmkit serve`` process: given with ``--prm-url`` (key in
``$PRMKIT_API_KEY``), or started here (``--prm``, a loopback port, a fresh key).

Several ``--arm`` flags alternate: each arm runs ``--chunk`` steps, then the next, until ``--max-steps``;
one PRM server serves them all. Each arm writes to ``OUT/ARM``.

Problems: GSM8K train problems whose reference solution has at most ``--max-ref-steps`` lines (the
easiest), shuffled with ``--seed``; held-out: the same cut of GSM8K test, the first ``--eval-n``.
Every ``--eval-every`` steps (and at step 0) the policy answers the held-out problems greedily.

One JSON line per step in ``OUT/ARM/log.jsonl`` (``kind: train``) and per evaluation (``kind: eval``).
A rerun with ``--resume`` continues each arm from its last checkpoint (``--save-steps``)::

    python scripts/grpo_gsm8k.py --arm outcome --arm outcome+prm --out runs/grpo --max-steps 50 --resume
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from prmkit.rewards import prm_reward
from prmkit.scoring.remote import API_KEY_ENV, RemoteScorer
from prmkit.steps import grade_text, grade_text_lenient, step_prompt

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gsm8k"
ARMS = ("outcome", "outcome+prm")


def easy_problems(path: Path, max_ref_steps: int) -> list[dict[str, str]]:
    """GSM8K problems whose reference solution has at most ``max_ref_steps`` lines before ``####``."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        rec = json.loads(line)
        work, _, ref = rec["answer"].rpartition("####")
        if len([x for x in work.strip().splitlines() if x.strip()]) <= max_ref_steps:
            out.append({"id": f"{path.stem}-{i}", "problem": rec["question"], "reference": ref.strip().replace(",", "")})
    return out


def chat_prompt(problem: str, one_shot: bool = False) -> list[dict[str, str]]:
    """prmkit's step-structured prompt (one step per paragraph, ``The answer is:`` line)."""
    return list(step_prompt(problem, "gsm8k", example=one_shot).messages)


GRADERS = {"strict": grade_text, "lenient": grade_text_lenient}


def outcome_reward(grader: str = "lenient") -> Any:
    """1.0 when the completion's answer equals the reference (``grader``: ``strict`` or ``lenient``)."""
    grade = GRADERS[grader]

    def reward(prompts: Sequence[Any], completions: Sequence[Any], reference: Sequence[str], **_: Any) -> list[float]:
        return [float(grade(_text(c), str(r))) for c, r in zip(completions, reference, strict=True)]

    reward.__name__ = "outcome"
    return reward


def prm_min_reward(scorer: Any) -> Any:
    """PURE min-form credit of the PRM's step scores, the PRM shown the bare problem (column ``problem``)."""
    inner = prm_reward(scorer, credit="min", outcome_weight=0.0)

    def reward(prompts: Sequence[Any], completions: Sequence[Any], **kw: Any) -> list[float | None]:
        return inner(list(kw["problem"]), completions, **kw)

    reward.__name__ = "prm_min"
    return reward


def _text(c: Any) -> str:
    return c if isinstance(c, str) else "".join(str(m.get("content") or "") for m in c)


@contextlib.contextmanager
def served_prm(prm: str, log: Path, extra: Sequence[str] = (), timeout: float = 3600) -> Iterator[tuple[str, str]]:
    """``prmkit serve --prm PRM`` on a free loopback port with a fresh key: yields ``(url, key)``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    key = secrets.token_hex(16)
    env = {**os.environ, "PRMKIT_API_KEYS": key, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "prmkit", "serve", "--prm", prm, "--host", "127.0.0.1", "--port", str(port), *extra]
    with log.open("ab") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"prmkit serve exited with {proc.returncode}; see {log}")
            with contextlib.suppress(OSError):
                if opener.open(url + "/health", timeout=2).status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"prmkit serve not ready after {timeout} s; see {log}")
            time.sleep(0.5)
        yield f"{url}/{prm}", key
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arm", choices=ARMS, action="append", required=True, help="repeat to alternate arms")
    p.add_argument("--out", type=Path, required=True, help="runs folder: OUT/ARM/log.jsonl, checkpoints")
    p.add_argument("--chunk", type=int, default=10, help="steps per arm before the next arm's turn")
    p.add_argument("--grader", choices=sorted(GRADERS), default="lenient")
    p.add_argument("--one-shot", action="store_true", help="add prmkit's worked example to the prompt")
    p.add_argument("--model", default="smollm2-135m-instruct", help="policy: catalogued name or HF directory")
    p.add_argument("--prm", default="prmkit-prm", help="PRM to serve when --prm-url is not given")
    p.add_argument("--prm-url", help="a running server, http://host:port/NAME (key in $PRMKIT_API_KEY)")
    p.add_argument("--serve-flag", action="append", default=[], help="extra flag for the started server")
    p.add_argument("--serve-timeout", type=float, default=3600, help="seconds to wait for the started server")
    p.add_argument("--train-path", type=Path, default=DATA / "train.jsonl")
    p.add_argument("--eval-path", type=Path, default=DATA / "test.jsonl")
    p.add_argument("--max-ref-steps", type=int, default=2, help="easiest problems: reference lines <= this")
    p.add_argument("--max-steps", type=int, default=80)
    p.add_argument("--data-steps", type=int, default=1000, help="the fixed problem order covers this many steps")
    p.add_argument("--prompts-per-step", type=int, default=2)
    p.add_argument("--group", type=int, default=4, help="G: completions per prompt")
    p.add_argument("--max-completion", type=int, default=96)
    p.add_argument("--lr", type=float, default=2e-6)
    p.add_argument("--beta", type=float, default=0.02, help="KL coefficient")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--prm-weight", type=float, default=1.0, help="PRM reward weight in outcome+prm")
    p.add_argument("--eval-every", type=int, default=20)
    p.add_argument("--eval-n", type=int, default=40)
    p.add_argument("--save-steps", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    return p


def main(argv: Sequence[str] | None = None) -> Any:
    """Train one arm (the PRM server started and stopped around it); returns the trainer."""
    args = build_parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the started server is stopped too
    if not args.resume and any(any((args.out / arm).glob("checkpoint-*")) for arm in args.arm):
        raise SystemExit(f"{args.out} has checkpoints: pass --resume to continue, or use another --out")
    if args.prm_url:
        return alternate(args, args.prm_url, os.environ.get(API_KEY_ENV))
    with served_prm(args.prm, args.out / "serve.log", args.serve_flag, args.serve_timeout) as (url, key):
        return alternate(args, url, key)


def alternate(args: argparse.Namespace, prm_url: str, key: str | None) -> dict[str, Any]:
    """Run the arms in turns of ``--chunk`` steps up to ``--max-steps``; returns each arm's last trainer."""
    trainers: dict[str, Any] = {}
    last = args.max_steps
    for target in [*range(args.chunk, last, args.chunk), last]:
        for arm in dict.fromkeys(args.arm):
            out = args.out / arm
            done = max((int(c.name.split("-")[1]) for c in out.glob("checkpoint-*")), default=0)
            if done >= target:
                continue
            trainers[arm] = run(args, arm, out, target, done > 0, prm_url, key)
    return trainers


def run(args: argparse.Namespace, arm: str, out: Path, max_steps: int, resume: bool, prm_url: str,
        key: str | None) -> Any:
    """Train ``arm`` in ``out`` up to step ``max_steps`` (from its last checkpoint if ``resume``)."""
    import torch
    import trl
    from grpo_callbacks import JsonlLog  # scripts/, beside this file

    import datasets
    from prmkit.models import to_transformers_dir

    torch.set_num_threads(args.threads)
    os.environ.setdefault("WANDB_DISABLED", "true")
    rng = random.Random(args.seed)
    train = easy_problems(args.train_path, args.max_ref_steps)
    rng.shuffle(train)
    held = easy_problems(args.eval_path, args.max_ref_steps)[: args.eval_n]
    out.mkdir(parents=True, exist_ok=True)
    n = max(args.data_steps, max_steps) * args.prompts_per_step
    rows = (train * (n // len(train) + 1))[:n]
    data = datasets.Dataset.from_dict({
        "prompt": [chat_prompt(r["problem"], args.one_shot) for r in rows],
        "problem": [r["problem"] for r in rows],
        "reference": [r["reference"] for r in rows],
    })
    model = str(to_transformers_dir(args.model)) if not Path(args.model).is_dir() else args.model
    scorer = RemoteScorer(prm_url, api_key=key)
    cfg = trl.GRPOConfig(
        output_dir=str(out),
        max_steps=max_steps,
        lr_scheduler_type="constant",  # the same schedule whatever the chunking
        per_device_train_batch_size=args.prompts_per_step * args.group,
        num_generations=args.group,
        max_completion_length=args.max_completion,
        temperature=args.temperature,
        learning_rate=args.lr,
        beta=args.beta,
        reward_weights=[1.0, args.prm_weight if arm == "outcome+prm" else 0.0],
        shuffle_dataset=False,
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,  # on, generation runs without a KV cache
        report_to="none",
        logging_steps=1,
        save_strategy="steps",
        save_steps=args.save_steps,
        save_total_limit=1,
        save_only_model=False,
        seed=args.seed,
        data_seed=args.seed,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[outcome_reward(args.grader), prm_min_reward(scorer)],
        args=cfg,
        train_dataset=data,
    )
    log = JsonlLog(out / "log.jsonl", arm=arm, held=held, every=args.eval_every, max_new_tokens=args.max_completion,
                   prompt=lambda q: chat_prompt(q, args.one_shot), tokenizer=trainer.processing_class,
                   grade=GRADERS[args.grader])
    trainer.add_callback(log)
    trainer.train(resume_from_checkpoint=resume)
    return trainer


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
