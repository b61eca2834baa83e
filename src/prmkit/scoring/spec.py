"""A PRM spec: how one PRM family reads a solution, as data.

Which PRM it is, is data (this module); which engine runs it is code (the
backends). Adding a family means writing a :class:`PRMSpec`, not a class.

Formats (how ``(problem, steps)`` becomes tokens):

``chat``
    The tokenizer's chat template over ``system`` (optional), ``user`` =
    ``prompt_template`` and ``assistant`` = each step followed by
    ``step_marker`` (Qwen2.5-Math-PRM: ``<extra_0>`` after every step,
    including the last), with ``step_joiner`` between one step's marker and
    the next step. The whole text is tokenised once; the readout is at the
    marker's single token after each step. For ``log_ratio`` there is no
    marker: the steps are joined by ``step_joiner`` and each step owns the
    response tokens that start in its text or in the joiner after it.
``text``
    ``prompt_template`` then each step followed by ``step_marker`` (and
    ``step_joiner`` before the next step), as one string tokenised once
    (Math-Shepherd: ``"Step 1 ки\\nStep 2 ки"``).
``segments``
    The prompt and each step are tokenised **separately** and the token ids of
    ``step_marker`` are appended to each step (TRL's ``PRMTrainer``,
    Skywork-o1-Open-PRM); the readout is at the last token of each
    step + marker. This is the convention whose string-join variant costs
    about four ProcessBench F1 points.
``multiturn_chat``
    A conversation with one user turn per step (the first is
    ``first_turn_template``) and an assistant turn ``assistant_tag`` after
    each (RLHFlow); the readout is at the position that predicts each
    assistant tag. One forward pass scores every step.

With ``split_steps_on_marker`` (``segments``), a step that contains the
separator is cut into pieces, each tokenised and followed by the separator
ids, and the step is read after its last piece: Skywork's own pipeline splits
the whole response on every ``"\\n"``, so a multi-line step is several pieces.

Readouts (what is read at those positions):

``token_classify``
    softmax over the head's labels, index ``positive_index``.
``tag_logits``
    softmax over the LM logits of ``good_token`` and ``bad_token`` only, index 0.
``value_head``
    sigmoid of a scalar head (``num_labels == 1``).
``log_ratio``
    implicit PRM: ``beta`` x the summed log-prob ratio of the model and a
    reference over each step's tokens (``cumulative`` sums from the first
    response token, as EurusPRM-Stage2 and ImplicitPRM's ProcessBench script
    do; ``sigmoid`` maps the reward to (0, 1)).
``generative``
    a generative judge: the registered judge format named by ``judge``
    (:data:`prmkit.scoring.judges.JUDGES`) run on a generator, ``model`` being
    the judge model (``docs/judges.md``).
``verifier``
    a model-free checker: the registered verifier named by ``verifier``
    (:data:`prmkit.scoring.verifiers.VERIFIERS`; ``arith`` when unset).

Each readout is one registered object (:data:`prmkit.scoring.readouts.READOUTS`)
that every backend uses; a new readout is one object there and a spec here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from prmkit.errors import ConfigError, UnknownNameError
from prmkit.scoring.readouts import READOUTS

__all__ = ["DType", "Format", "PRMSpec"]

Format = Literal["chat", "text", "segments", "multiturn_chat", "none"]
DType = Literal["float32", "bfloat16"]


@dataclass(frozen=True)
class PRMSpec:
    """How a PRM family reads a solution. Frozen: one spec, one convention.

    >>> s = PRMSpec(name="demo", readout="verifier", format="none")
    >>> s.fingerprint() == PRMSpec(name="demo", readout="verifier", format="none").fingerprint()
    True
    """

    name: str
    """Registry key; the same string is the CLI value and the config value."""
    readout: str
    """What is read at the step positions: a registered readout (see the module docstring)."""
    format: Format
    """How the problem and steps become tokens (see the module docstring)."""
    model: str | None = None
    """Default weights: a hub id or a local path. ``None`` for model-free verifiers."""
    description: str = ""
    """One line for ``prmkit prms``: the family, its paper, its headline number."""
    system_prompt: str | None = None
    """``chat``: system message; ``None`` for none."""
    prompt_template: str = "{problem}"
    """The problem as the model sees it (``chat``: the user message; ``text``/``segments``: the prefix)."""
    step_marker: str = ""
    """Text appended after every step (``chat``/``text``: a single-token tag; ``segments``: separator)."""
    step_joiner: str = ""
    """``chat``/``text``: text between one step's marker and the next step (Math-Shepherd: ``"\\n"``)."""
    split_steps_on_marker: bool = False
    """``segments``: cut a step containing ``step_marker`` into separately tokenised pieces (Skywork)."""
    strip_steps: bool = False
    """Strip surrounding whitespace of each step before rendering."""
    add_bos: bool = False
    """``text``/``segments``: prepend the tokenizer's BOS token if it has one."""
    first_turn_template: str = "{problem} {step}"
    """``multiturn_chat``: the first user turn."""
    assistant_tag: str = "+"
    """``multiturn_chat``: the assistant turn after each step."""
    positive_index: int = 1
    """``token_classify``: which label is "step is correct"."""
    good_token: str = "+"
    """``tag_logits``: the token meaning "correct" (its last token id is used)."""
    bad_token: str = "-"
    """``tag_logits``: the token meaning "wrong"."""
    beta: float = 0.001
    """``log_ratio``: scale of the log-prob ratio (EurusPRM inference: 0.001)."""
    reference_model: str | None = None
    """``log_ratio``: the reference policy's weights."""
    cumulative: bool = True
    """``log_ratio``: step score = reward summed from the first response token (True) or over the step only."""
    sigmoid: bool = True
    """``log_ratio``: map rewards through a sigmoid to (0, 1)."""
    verifier: str | None = None
    """``verifier``: the registered verifier that checks each step (``None``: ``arith``)."""
    judge: str | None = None
    """``generative``: the judge format, a name in :data:`prmkit.scoring.judges.JUDGES`; ``model`` is the judge model."""
    threshold: float = 0.5
    """Default decision threshold: a step scoring below it is predicted wrong."""
    dtype: DType | None = None
    """Precision the family is meant to run in when the caller names none (``None``: the backend's, float32)."""
    reserved: tuple[str, ...] = field(default=())
    """Strings that must not occur inside a step (they would be read as markers)."""

    def __post_init__(self) -> None:
        problems = []
        if not self.name:
            problems.append("name is empty")
        try:
            readout = READOUTS.get(self.readout)
        except UnknownNameError as e:
            problems.append(str(e))
        else:
            problems += readout.check_spec(self)
            if self.format in ("chat", "text") and not self.step_marker and readout.at_markers:
                problems.append(f"format {self.format!r} needs a step_marker")
        if self.format == "segments" and not self.step_marker:
            problems.append("format 'segments' needs a step_marker (the separator)")
        if self.dtype not in (None, "float32", "bfloat16"):
            problems.append(f"dtype must be 'float32', 'bfloat16' or unset, got {self.dtype!r}")
        if "{problem}" not in self.prompt_template and self.format != "multiturn_chat" and self.format != "none":
            problems.append("prompt_template must contain '{problem}'")
        if problems:
            raise ConfigError(f"PRMSpec {self.name!r}: " + "; ".join(problems))

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def fingerprint(self) -> str:
        """A stable hash of every field that changes scores (``description`` excluded)."""
        d = self.to_dict()
        d.pop("description")
        for key in ("dtype", "verifier", "judge"):  # added later: specs without one keep their fingerprints
            if d[key] is None:
                d.pop(key)
        package = Path(__file__).resolve().parents[1]
        for key in ("model", "reference_model"):  # weights shipped in the package: the same wherever it is installed
            value = d[key]
            if isinstance(value, str) and Path(value).is_absolute() and Path(value).resolve().is_relative_to(package):
                d[key] = "prmkit/" + Path(value).resolve().relative_to(package).as_posix()
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
