"""The training configuration: one dataclass, one docstring per field; the CLI is generated from it.

>>> cfg = TrainConfig(train_path="train.jsonl", model="tiny", output_dir="out", loss="soft_bce")
>>> cfg.readout, cfg.num_labels, cfg.label_kind
('token_classify', 2, 'soft')
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

from prmkit.config import option
from prmkit.errors import ConfigError
from prmkit.scoring.readouts import ModelReadout, get_readout
from prmkit.training.convert import SOURCES, AfterError

__all__ = ["Loss", "TrainConfig", "TrainDataConfig", "Trainable"]

Loss = Literal["bce", "soft_bce", "pqm", "implicit"]
Trainable = Literal["lora", "top_layers", "full", "head"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``prmkit train`` needs. ``__post_init__`` reports every problem at once."""

    train_path: str
    """Training data: stepwise JSONL (``prompt``, ``completions``, ``labels``; ``outcome`` for ``implicit``)."""
    model: str
    """Backbone weights: a local directory or hub id (a causal LM; the step head is added on top)."""
    output_dir: str
    """Where checkpoints, the metrics log and the final PRM are written."""
    loss: Loss = "bce"
    """``bce``: hard labels (0/1); ``soft_bce``: float labels in [0, 1]; ``pqm``: comparative Q-value ranking; ``implicit``: outcome cross-entropy of a policy/reference log-ratio."""
    spec: str | None = None
    """Catalogued PRM family whose input format is used (default ``trl-prm``, ``implicit-prm`` for ``implicit``)."""
    step_marker: str | None = None
    """Override the family's step marker / separator (e.g. ``"\\n\\n"``)."""
    gguf_file: str | None = None
    """A GGUF file inside ``model`` to load (dequantized) instead of safetensors."""
    tokenizer: str | None = None
    """Tokenizer directory or hub id (default: ``model``)."""
    label_threshold: float | None = None
    """``bce``/``pqm``: read soft labels in [0, 1] as hard, 1 iff label > this (Lessons: 0, any rollout reached the answer)."""
    max_length: int = 1024
    """Examples longer than this many tokens are skipped (never truncated: that drops step markers)."""
    zeta: float = 4.0
    """``pqm``: margin ζ added to the Q-values of wrong steps."""
    beta: float = 0.05
    """``implicit``: β in r = β Σ log π/π_ref, for training and for the exported scorer."""
    trainable: Trainable = "lora"
    """What is trained: LoRA adapters (+ the head), the top ``top_layers`` blocks (+ final norm and head), everything, or
    only the ``head`` on a frozen backbone (its features at the step positions are computed once, so epochs cost little)."""
    layers: int | None = None
    """Keep only the first this many transformer blocks of the backbone (the final norm follows the last one kept):
    a shallower PRM, cheaper to train and to score. Unset: all blocks."""
    top_layers: int = 2
    """``top_layers``: how many of the last transformer blocks are trained."""
    classifier_dropout: float | None = None
    """Dropout on the hidden states before the step head while training (a transformers token classifier's
    ``classifier_dropout``; unset: the architecture's default, 0.1 for most). Set 0 to fine-tune a head that was
    fitted without dropout (``init_head`` from ``trainable: head``), whose logits dropout would scramble."""
    init_head: str | None = None
    """Start the step head from these weights instead of a random one: a ``head.safetensors`` file or a head
    folder holding one (e.g. a head trained with ``trainable: head`` on the same backbone and ``layers``). Probe
    first, then fine-tune: the adapters then start from the probe's solution instead of a random head."""
    lora_r: int = 16
    """``lora``: adapter rank."""
    lora_alpha: int = 32
    """``lora``: adapter scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.0
    """``lora``: dropout on the adapter input."""
    lora_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    """``lora``: names of the linear modules that get adapters (``all-linear`` for all)."""
    learning_rate: float = 1e-5
    """Peak learning rate of AdamW."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    warmup_steps: int = 0
    """Optimizer steps of linear warm-up (step k of w uses k/w of the peak); then linear decay, reaching 0 after the last step."""
    batch_size: int = 4
    """Solutions per forward pass."""
    grad_accum: int = 1
    """Forward passes accumulated per optimizer step."""
    epochs: int = 1
    """Passes over the training data (ignored when ``max_steps`` is set)."""
    max_steps: int | None = None
    """Total optimizer steps; overrides ``epochs``."""
    max_grad_norm: float = 1.0
    """Clip the gradient norm to this (0 disables clipping)."""
    bf16: bool = False
    """Run forward passes under bf16 autocast (CPU or GPU); weights and optimizer stay fp32."""
    seed: int = 0
    """Seeds the head and adapter initialisation, data order and dropout."""
    device: str = "cpu"
    """Torch device to train on."""
    threads: int | None = None
    """CPU threads for torch (default: torch's choice)."""
    save_every: int = 500
    """Write a resumable checkpoint every this many optimizer steps (0: only at the end)."""
    keep_checkpoints: int = 2
    """How many of the latest checkpoints to keep."""
    resume: bool = True
    """Resume from the latest checkpoint in ``output_dir`` when there is one."""
    val_path: str | None = None
    """ProcessBench-style validation file (``problem``, ``steps``, ``label``) or stepwise JSONL."""
    val_every: int = 0
    """Validate every this many optimizer steps (0: only at the end, when ``val_path`` is set)."""
    val_max: int | None = None
    """Validate on the first this many examples only."""
    log_every: int = 10
    """Append training metrics to ``metrics.jsonl`` every this many optimizer steps."""
    save_adapter: bool = False
    """``lora``: also save the adapter (LoRA weights and the head, peft format) in ``output_dir/adapter``."""
    save_head: bool = False
    """``head`` or ``lora``: also write ``output_dir/head``, a small PRM folder (the head, the LoRA factors in
    float16 for ``lora``, and the name of the backbone) that loads the backbone from ``model`` when scored and
    merges the factors into it; ``model`` should be a catalog name or a path that exists wherever the folder is
    used."""
    save_reference: bool = True
    """``implicit``: copy the reference model into ``output_dir/reference`` (False: record its path only)."""
    progress: bool = True
    """Show a progress bar on stderr."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("train_path", "model", "output_dir"):
            if not getattr(self, name):
                problems.append(f"{name} is empty")
        positive = ("max_length", "lora_r", "lora_alpha", "batch_size", "grad_accum", "epochs", "keep_checkpoints", "log_every")
        for name in positive:
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("warmup_steps", "save_every", "val_every", "top_layers"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("max_steps", "val_max", "threads", "layers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                problems.append(f"{name} must be >= 1 or unset, got {value}")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.weight_decay < 0 or self.max_grad_norm < 0:
            problems.append("weight_decay and max_grad_norm must be >= 0")
        if self.classifier_dropout is not None and not 0 <= self.classifier_dropout < 1:
            problems.append(f"classifier_dropout must be in [0, 1), got {self.classifier_dropout}")
        if not 0 <= self.lora_dropout < 1:
            problems.append(f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        if self.beta <= 0:
            problems.append(f"beta must be > 0, got {self.beta}")
        if self.label_threshold is not None and not 0 <= self.label_threshold < 1:
            problems.append(f"label_threshold must be in [0, 1), got {self.label_threshold}")
        if self.label_threshold is not None and self.label_kind != "hard":
            problems.append(f"label_threshold applies to hard-label losses (bce, pqm), not {self.loss!r}")
        if self.zeta < 0:
            problems.append(f"zeta must be >= 0, got {self.zeta}")
        if self.trainable == "top_layers" and self.top_layers < 1:
            problems.append("trainable 'top_layers' needs top_layers >= 1")
        if self.init_head is not None and self.loss == "implicit":
            problems.append("init_head sets a step head; loss 'implicit' has none")
        if self.trainable == "head" and self.loss == "implicit":
            problems.append("trainable 'head' trains a step head; loss 'implicit' has none")
        if self.save_head and (self.trainable not in ("head", "lora") or self.loss == "implicit"):
            problems.append(f"save_head needs trainable 'head' or 'lora' and a step head, got {self.trainable!r}"
                            f" with loss {self.loss!r}")
        if self.trainable == "lora" and not self.lora_targets:
            problems.append("trainable 'lora' needs at least one lora_targets entry")
        if self.step_marker == "":
            problems.append("step_marker may not be empty (leave it unset to use the family's)")
        if problems:
            raise ConfigError("TrainConfig: " + "; ".join(problems))

    @property
    def spec_name(self) -> str:
        """The catalogued family that sets the input format."""
        return self.spec or ("implicit-prm" if self.loss == "implicit" else "trl-prm")

    @property
    def readout(self) -> str:
        """The scoring readout of the trained PRM."""
        return {"bce": "token_classify", "soft_bce": "token_classify", "pqm": "value_head", "implicit": "log_ratio"}[self.loss]

    @property
    def num_labels(self) -> int:
        """Outputs of the step head: what the readout needs (1: PQM's scalar Q-value, ``value_head``), else 2
        (a TRL-compatible classifier)."""
        readout = get_readout(self.readout)
        return (readout.num_labels if isinstance(readout, ModelReadout) else None) or 2

    @property
    def label_kind(self) -> Literal["hard", "soft", "outcome"]:
        """Which labels the loss reads from the data."""
        return "soft" if self.loss == "soft_bce" else "outcome" if self.loss == "implicit" else "hard"

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class TrainDataConfig:
    """Everything ``prmkit train-data`` needs: labelled step data to convert to stepwise JSONL."""

    source: str = field(metadata=option(positional=True, choices=SOURCES))
    """The format of the input files."""
    inputs: tuple[str, ...] = field(metadata=option(positional=True))
    """Input files of that format."""
    out: str
    """Stepwise JSONL to write (``prompt``, ``completions``, ``labels``, ``outcome``, ``id``)."""
    after_error: AfterError = "truncate"
    """Steps after the first error: drop them (``truncate``) or label them wrong (``zero``)."""
    rectified: bool = False
    """Mr-Ben: also write each wrong solution's correct steps followed by an annotator's rewrite of its first wrong
    step, all labelled correct."""
    exclude_problems_of: tuple[str, ...] = ()
    """``candidates``, ``gsm8k-reference``: drop every problem that these ProcessBench-format files hold (keep
    evaluation problems out of training)."""
