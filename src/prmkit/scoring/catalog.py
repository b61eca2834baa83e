"""The public PRM families with their exact conventions (``../methods/A-scoring.md``).

Each entry is data. ``prmkit prms`` lists them.
"""

from __future__ import annotations

from pathlib import Path

from prmkit._registry import Registry
from prmkit.scoring.spec import PRMSpec

__all__ = ["DEFAULT_PRM", "SPECS", "get_spec", "register_spec"]

SPECS: Registry[PRMSpec] = Registry("PRM")

DEFAULT_PRM = "arith+prmkit-prm"
"""The embedded default: the best PRM prmkit runs offline on a laptop CPU with nothing fetched beyond PyPI
(prmkit's own PRM, per-step minimum with the ``arith`` verifier: ProcessBench GSM8K F1 34.5 vs 28.5 alone, MATH 33.4)."""


def register_spec(spec: PRMSpec, *, replace: bool = False) -> PRMSpec:
    """Add a family to the catalog; its ``name`` becomes the registry key and CLI value."""
    SPECS.register(spec.name, spec, replace=replace)
    return spec


def get_spec(name: str) -> PRMSpec:
    """Look a family up by name; unknown names get "did you mean ...".

    >>> get_spec("math-shepherd").step_marker
    ' ки'
    """
    return SPECS.get(name)


_model: str | None
_QWEN_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."

for _name, _model, _desc in (
    ("qwen2.5-math-prm-7b", "Qwen/Qwen2.5-Math-PRM-7B", "Qwen2.5-Math-PRM-7B; ProcessBench 73.5"),
    ("qwen2.5-math-prm-72b", "Qwen/Qwen2.5-Math-PRM-72B", "Qwen2.5-Math-PRM-72B; ProcessBench 78.3"),
    ("qwen2.5-math-7b-prm800k", "Qwen/Qwen2.5-Math-7B-PRM800K", "Qwen2.5-Math-7B trained on PRM800K; ProcessBench 56.5"),
):
    register_spec(
        PRMSpec(
            name=_name,
            readout="token_classify",
            format="chat",
            model=_model,
            description=_desc,
            system_prompt=_QWEN_SYSTEM,
            step_marker="<extra_0>",
            positive_index=1,
            reserved=("<extra_0>",),
        )
    )

register_spec(
    PRMSpec(
        name="math-shepherd",
        readout="tag_logits",
        format="text",
        model="peiyi9979/math-shepherd-mistral-7b-prm",
        description="Math-Shepherd Mistral-7B: P('+') over {'+','-'} at each ' ки'; ProcessBench 31.5",
        prompt_template="{problem} ",
        step_marker=" ки",
        step_joiner="\n",
        good_token="+",
        bad_token="-",
        add_bos=True,
        reserved=("ки",),
    )
)

for _name, _model, _desc in (
    ("rlhflow-8b-mistral", "RLHFlow/Llama3.1-8B-PRM-Mistral-Data", "RLHFlow Llama3.1-8B PRM (Mistral data); ProcessBench 28.4"),
    ("rlhflow-8b-deepseek", "RLHFlow/Llama3.1-8B-PRM-Deepseek-Data", "RLHFlow Llama3.1-8B PRM (Deepseek data); ProcessBench 26.6"),
):
    register_spec(
        PRMSpec(
            name=_name,
            readout="tag_logits",
            format="multiturn_chat",
            model=_model,
            description=_desc + "; multi-turn '+/-' chat scored in one pass",
            prompt_template="{problem}",
            first_turn_template="{problem} {step}",
            assistant_tag="+",
            good_token="+",
            bad_token="-",
            strip_steps=True,
        )
    )

for _name, _model, _desc in (
    ("skywork-prm-1.5b", "Skywork/Skywork-o1-Open-PRM-Qwen-2.5-1.5B", "Skywork-o1-Open-PRM 1.5B; ProcessBench 36.4"),
    ("skywork-prm-7b", "Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B", "Skywork-o1-Open-PRM 7B; ProcessBench 42.1"),
):
    register_spec(
        PRMSpec(
            name=_name,
            readout="value_head",
            format="segments",
            model=_model,
            description=_desc + "; sigmoid(value head) at each step's trailing newline",
            prompt_template="{problem}\n",
            step_marker="\n",
            split_steps_on_marker=True,
            add_bos=True,
            strip_steps=True,
        )
    )

_trl: tuple[tuple[str, str | None, str, str], ...] = (
    ("trl-prm", None, "\n", "any TRL PRMTrainer token classifier (step_separator '\\n'); give --model"),
    (
        "h4-qwen2.5-math-1.5b-prm-0.2",
        "HuggingFaceH4/Qwen2.5-Math-1.5B-Instruct-PRM-0.2",
        "\n\n",
        "TRL-trained Qwen2.5-Math-1.5B PRM (separator '\\n\\n'); weighted ProcessBench F1 40.4",
    ),
    (
        "h4-qwen2.5-math-7b-prm-0.2",
        "HuggingFaceH4/Qwen2.5-Math-7B-Instruct-PRM-0.2",
        "\n\n",
        "TRL-trained Qwen2.5-Math-7B PRM (separator '\\n\\n'); weighted ProcessBench F1 54.7",
    ),
)
for _name, _model, _sep, _desc in _trl:
    register_spec(
        PRMSpec(
            name=_name,
            readout="token_classify",
            format="segments",
            model=_model,
            description=_desc,
            prompt_template="{problem}",
            step_marker=_sep,
            add_bos=True,
            positive_index=1,
        )
    )

_implicit: tuple[tuple[str, str | None, str | None, bool, str], ...] = (
    (
        "eurus-prm-stage1",
        "PRIME-RL/EurusPRM-Stage1",
        "Qwen/Qwen2.5-Math-7B-Instruct",
        False,
        "EurusPRM-Stage1 implicit PRM, beta 0.001, per-step reward; ProcessBench 31.2",
    ),
    (
        "eurus-prm-stage2",
        "PRIME-RL/EurusPRM-Stage2",
        "Qwen/Qwen2.5-Math-7B-Instruct",
        True,
        "EurusPRM-Stage2 implicit PRM, beta 0.001, cumulative reward; ProcessBench 31.3",
    ),
    ("implicit-prm", None, None, True, "any implicit PRM: give --model and --reference-model"),
)
for _name, _model, _ref, _cum, _desc in _implicit:
    register_spec(
        PRMSpec(
            name=_name,
            readout="log_ratio",
            format="chat",
            model=_model,
            reference_model=_ref,
            description=_desc,
            system_prompt=None,
            step_joiner="\n\n",
            beta=0.001,
            cumulative=_cum,
            sigmoid=True,
        )
    )

register_spec(
    PRMSpec(
        name="arith",
        readout="verifier",
        format="none",
        description="tool-grounded verifier: every arithmetic claim checked exactly with rationals",
    )
)
register_spec(
    PRMSpec(
        name="sympy",
        readout="verifier",
        format="none",
        verifier="sympy",
        description="tool-grounded verifier: equations, identities and solves re-derived with SymPy (prmkit[verify])",
    )
)
register_spec(
    PRMSpec(
        name="z3",
        readout="verifier",
        format="none",
        verifier="z3",
        description="tool-grounded verifier: formal-logic steps checked for entailment with Z3 (prmkit[verify])",
    )
)

_EMBEDDED = Path(__file__).parent / "embedded"
register_spec(
    PRMSpec(
        name="prmkit-prm",
        readout="token_classify",
        format="segments",
        model=str(_EMBEDDED / "prmkit-prm"),
        description=(
            "prmkit's own PRM: Qwen2.5-Coder-0.5B-Instruct cut to its first blocks with a step head and LoRA "
            "factors (backbone from PyPI, `prmkit models`); trained by scripts/train_embedded_prm.sh"
        ),
        prompt_template=(
            "<|im_start|>system\n" + _QWEN_SYSTEM + "<|im_end|>\n<|im_start|>user\n{problem}<|im_end|>\n"
            "<|im_start|>assistant\n"
        ),
        step_marker="\n\n",
        strip_steps=True,
        add_bos=False,
        positive_index=1,
        threshold=0.45,  # fitted on its training data (scripts/fit_threshold.py), as in prmkit_head.json
        dtype="bfloat16",
    )
)

_JUDGE_MODEL = "qwen2.5-coder-0.5b-instruct"
for _name, _judge, _desc in (
    ("judge-critic", "critic", "ProcessBench critic (\\boxed{k}, one greedy sample)"),
    ("judge-critic-maj8", "critic-maj8", "ProcessBench critic, majority of 8 samples (T=1, top-p 0.9)"),
    ("judge-critic-logprob", "critic-logprob", "ProcessBench critic read by log-probability of every index"),
    ("judge-critic-direct", "critic-direct", "ProcessBench critic answering at once, P(index) at a prefilled \\boxed{"),
    ("judge-thinkprm", "thinkprm", "ThinkPRM-style per-step \\boxed{correct}/\\boxed{incorrect}, by log-probability"),
    ("judge-thinkprm-vote8", "thinkprm-vote8", "ThinkPRM-style chain, vote of 8 samples (T=0.6)"),
    ("judge-genprm", "genprm", "GenPRM-style analysis + sandboxed code per paragraph, \\boxed{Yes}/\\boxed{No}"),
    ("judge-genprm-vote8", "genprm-vote8", "GenPRM-style with code execution, vote of 8 samples (T=0.6)"),
    ("judge-genprm-logprob", "genprm-logprob", "GenPRM-style with code execution, P(Yes) by log-probability"),
    ("judge-rprm", "rprm", "R-PRM-style analysis, then \\boxed{Yes}/\\boxed{No} per step"),
    ("judge-rprm-vote4", "rprm-vote4", "R-PRM-style analyse-then-judge, vote of 4 samples (T=0.7)"),
    ("judge-rubric", "rubric", "4-criterion rubric per step, \\boxed{k/4} -> k/4"),
    ("judge-rubric-vote4", "rubric-vote4", "4-criterion rubric per step, mean of 4 samples (T=0.7)"),
):
    register_spec(
        PRMSpec(
            name=_name,
            readout="generative",
            format="none",
            model=_JUDGE_MODEL,
            judge=_judge,
            description=f"generative judge: {_desc}; Qwen2.5-Coder-0.5B-Instruct on llama.cpp (docs/judges.md)",
        )
    )
