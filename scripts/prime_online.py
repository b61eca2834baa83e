"""PRIME on the CPU: an implicit PRM updated online from the run's graded outcomes (Cui et al., 2502.01456).

Per step, for ``--prompts-per-step`` easy GSM8K problems (as in scripts/grpo_gsm8k.py):

1. the policy samples ``--group`` completions per problem; each is graded (outcome v = 1 or 0);
2. the implicit PRM psi and the frozen reference give every completion token the reward
   ``log psi(y_t) - log ref(y_t)`` (psi *before* its update, as PRIME's ``update: after``);
3. psi takes one step of the cross-entropy on the outcome labels (:func:`prmkit.training.losses.implicit_ce`,
   beta = ``--prm-beta``) -- the online update;
4. the token rewards and outcomes become returns with PRIME's RLOO per source
   (:func:`prmkit.rewards.prime_credit`), whitened over the batch;
5. the policy takes one policy-gradient step on them (one epoch on fresh samples: PPO's ratio is 1, so
   clipping never acts and the update is REINFORCE with token-level advantages).

psi and the reference start as the policy's initial weights (PRIME: the SFT model). One JSON line per step
in ``OUT/log.jsonl``: accuracy, mean implicit reward of correct and of wrong completions (before the update),
the PRM's loss, the policy loss, seconds per step::

    python scripts/prime_online.py --out /work/runs/grpo/prime --steps 5
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grpo_gsm8k import DATA, chat_prompt, easy_problems

from prmkit.rewards import prime_credit
from prmkit.steps import grade_text
from prmkit.training.implicit import response_logprobs
from prmkit.training.losses import implicit_ce


def group_tensors(prompt_ids: Any, seqs: Any, eos_id: int) -> tuple[Any, Any, Any, list[int]]:
    """For one prompt's sampled rows: ``(input_ids, attention_mask, response_mask, lengths)``.

    A completion runs from the end of the prompt to its first EOS (included); later positions are padding.
    """
    import torch

    p = prompt_ids.shape[1]
    comp = seqs[:, p:]
    is_eos = comp == eos_id
    first = torch.where(is_eos.any(1), is_eos.float().argmax(1) + 1, torch.full_like(is_eos[:, 0], comp.shape[1], dtype=torch.long))
    pos = torch.arange(comp.shape[1])[None, :]
    resp = torch.cat([torch.zeros(len(seqs), p, dtype=torch.bool), pos < first[:, None]], dim=1)
    att = torch.cat([torch.ones(len(seqs), p, dtype=torch.long), (pos < first[:, None]).long()], dim=1)
    return seqs, att, resp, first.tolist()


def split_rows(values_N: Any, lengths: Sequence[int]) -> list[Any]:
    """The flattened per-token values of :func:`response_logprobs` split back per row."""
    out, start = [], 0
    for n in lengths:
        out.append(values_N[start : start + n])
        start += n
    return out


def step(policy: Any, psi: Any, ref: Any, tok: Any, rows: list[dict[str, str]], opt_pi: Any, opt_psi: Any,
         args: argparse.Namespace) -> dict[str, Any]:
    """One PRIME iteration on ``rows`` (problems with ``problem`` and ``reference``)."""
    import torch

    t0 = time.monotonic()
    groups = []
    policy.eval()
    for r in rows:
        text = tok.apply_chat_template(chat_prompt(r["problem"]), tokenize=False, add_generation_prompt=True)
        ids = tok(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            seqs = policy.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True,
                                   temperature=args.temperature, max_new_tokens=args.max_completion,
                                   num_return_sequences=args.group, pad_token_id=tok.pad_token_id)
        ids_, att, resp, lengths = group_tensors(ids, seqs, tok.eos_token_id)
        texts = [tok.decode(s[ids.shape[1]:ids.shape[1] + n], skip_special_tokens=True) for s, n in zip(seqs, lengths, strict=True)]
        v = [float(grade_text(t, r["reference"])) for t in texts]
        groups.append((ids_, att, resp, lengths, v))
    policy.train()

    # 2-3: token rewards from psi before its update, then psi's cross-entropy step on the outcomes
    token_rewards, prm_losses = [], []
    opt_psi.zero_grad()
    for ids_, att, resp, lengths, v in groups:
        with torch.no_grad():
            ref_lp = response_logprobs(ref, ids_, att, resp)
        psi_lp = response_logprobs(psi, ids_, att, resp)
        token_rewards.append([x.detach().double().numpy() for x in split_rows(psi_lp.detach() - ref_lp, lengths)])
        sums = torch.stack([x.sum() for x in split_rows(psi_lp - ref_lp, lengths)])
        loss = implicit_ce(sums, torch.tensor(v), beta=args.prm_beta) / len(groups)
        loss.backward()
        prm_losses.append(float(loss) * len(groups))
    opt_psi.step()

    # 4: PRIME's RLOO per source, returns whitened over the batch
    credits = [prime_credit(tr, v) for tr, (*_, v) in zip(token_rewards, groups, strict=True)]
    flat = np.concatenate([ret for c in credits for ret in c.returns_T_N])
    mu, sd = flat.mean(), flat.std() + 1e-8

    # 5: the policy-gradient step
    opt_pi.zero_grad()
    n_tokens = sum(sum(g[3]) for g in groups)
    pg = 0.0
    for (ids_, att, resp, _lengths, _v), c in zip(groups, credits, strict=True):
        adv = torch.tensor(np.concatenate([(ret - mu) / sd for ret in c.returns_T_N]), dtype=torch.float32)
        lp = response_logprobs(policy, ids_, att, resp)
        loss = -(adv * lp).sum() / n_tokens
        loss.backward()
        pg += float(loss)
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 10.0)
    opt_pi.step()

    v_all = [x for g in groups for x in g[4]]
    r_sum = [float(x.sum()) for tr in token_rewards for x in tr]
    right = [s for s, x in zip(r_sum, v_all, strict=True) if x == 1.0]
    wrong = [s for s, x in zip(r_sum, v_all, strict=True) if x == 0.0]
    return {
        "accuracy": sum(v_all) / len(v_all),
        "implicit_reward_correct": float(np.mean(right)) if right else None,
        "implicit_reward_wrong": float(np.mean(wrong)) if wrong else None,
        "prm_loss": float(np.mean(prm_losses)),
        "policy_loss": pg,
        "completion_length": float(np.mean([n for g in groups for n in g[3]])),
        "step_time": time.monotonic() - t0,
    }


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--prompts-per-step", type=int, default=4)
    p.add_argument("--group", type=int, default=4)
    p.add_argument("--max-completion", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--lr", type=float, default=2e-6, help="policy learning rate")
    p.add_argument("--prm-lr", type=float, default=1e-6, help="implicit PRM learning rate (PRIME: 1e-6)")
    p.add_argument("--prm-beta", type=float, default=0.05)
    p.add_argument("--max-ref-steps", type=int, default=2)
    p.add_argument("--train-path", type=Path, default=DATA / "train.jsonl")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    import torch
    import transformers

    from prmkit.models import to_transformers_dir

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    path = args.model if Path(args.model).is_dir() else str(to_transformers_dir(args.model))
    tok = transformers.AutoTokenizer.from_pretrained(path)
    policy = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    psi = copy.deepcopy(policy)
    ref = copy.deepcopy(policy).eval().requires_grad_(False)
    opt_pi = torch.optim.AdamW(policy.parameters(), lr=args.lr, weight_decay=0.0)
    opt_psi = torch.optim.AdamW(psi.parameters(), lr=args.prm_lr, weight_decay=0.0)
    problems = easy_problems(args.train_path, args.max_ref_steps)
    random.Random(args.seed).shuffle(problems)
    args.out.mkdir(parents=True, exist_ok=True)
    log = []
    for i in range(args.steps):
        rows = problems[i * args.prompts_per_step : (i + 1) * args.prompts_per_step]
        rec = {"kind": "prime", "step": i + 1, **step(policy, psi, ref, tok, rows, opt_pi, opt_psi, args)}
        log.append(rec)
        with (args.out / "log.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
    return log


if __name__ == "__main__":
    main()
