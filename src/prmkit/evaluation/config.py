"""Run configs of the evaluations: ``prmkit eval processbench``, ``prmkit eval prmbench``, ``prmkit eval bon``,
``prmkit eval calibration`` and ``prmkit report``.

>>> ProcessBenchConfig(out="runs/pb").scorer.name == ProcessBenchConfig(out="o").scorer.name
True
>>> BonRunConfig(candidates="c.jsonl").selectors[:2]
('best_of_n', 'majority')
>>> ReportConfig("runs/pb").out is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from prmkit.answers import AnswerStyle
from prmkit.config import option
from prmkit.data.candidates import CandidateFormat
from prmkit.errors import ConfigError
from prmkit.evaluation.bon import BonConfig, BonJudge
from prmkit.generation import GENERATORS, load_generator
from prmkit.scoring.config import ScorerConfig
from prmkit.search.pairwise import JsonlMemo, PairwiseJudge
from prmkit.search.select import SELECTORS

__all__ = ["DEFAULT_SWEEP", "BonJudgeConfig", "BonRunConfig", "CalibrationConfig", "PRMBenchConfig", "ProcessBenchConfig", "ReportConfig"]

DEFAULT_SWEEP = tuple(round(0.05 * i, 2) for i in range(21))
"""The thresholds a ProcessBench or PRMBench sweep reports without a grid: 0, 0.05, ..., 1."""


def _check_threshold_protocol(threshold: float | None, fit_on: str | None, sweep: bool,
                              grid: tuple[float, ...] | None, batch_size: int) -> None:
    """The rules ProcessBench and PRMBench runs share: one threshold protocol, finite thresholds (a NaN or
    infinite one compares false with every score: refuse it, never print its zeros), a positive batch."""
    problems = []
    if sum((threshold is not None, fit_on is not None, sweep)) > 1:
        problems.append("give at most one of threshold, fit_on and sweep")
    bad = [t for t in ((threshold,) if threshold is not None else ()) + tuple(grid or ()) if not math.isfinite(t)]
    if bad:
        problems.append(f"thresholds must be finite numbers, got {', '.join(map(repr, bad))}")
    if batch_size < 1:
        problems.append(f"batch_size must be >= 1, got {batch_size}")
    if problems:
        raise ConfigError("; ".join(problems))


@dataclass(frozen=True)
class ProcessBenchConfig:
    """Settings of a ProcessBench run: splits, threshold protocol, output, PRM."""

    out: str
    """Output directory (per-case JSONL, ``summary.json``); rerunning the same run resumes it."""
    data: tuple[str, ...] = ()
    """Split files (official JSON array or JSONL); the split is named after the file (``gsm8k.json`` -> ``gsm8k``)."""
    split: tuple[str, ...] = ()
    """Splits with an explicit name, ``NAME=PATH``."""
    threshold: float | None = field(default=None, metadata=option(group="threshold"))
    """Fixed threshold: a step scoring below it is predicted wrong (unset: the PRM's own, see
    ``prmkit prms --show NAME``; 0.5 for most)."""
    fit_on: str | None = field(default=None, metadata=option(group="threshold"))
    """Pick the threshold with the best F1 on this split and apply it to all (the paper's protocol)."""
    sweep: bool = field(default=False, metadata=option(group="threshold"))
    """Also report F1 against thresholds (``grid``, else 0, 0.05, ..., 1)."""
    grid: tuple[float, ...] | None = None
    """With ``fit_on``: extra candidate thresholds; with ``sweep``: the thresholds to sweep."""
    batch_size: int = 8
    """Solutions per scoring call."""
    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    """The PRM."""

    def __post_init__(self) -> None:
        _check_threshold_protocol(self.threshold, self.fit_on, self.sweep, self.grid, self.batch_size)


@dataclass(frozen=True)
class PRMBenchConfig:
    """Settings of a PRMBench run: data files, threshold protocol, output, PRM."""

    out: str
    """Output directory (``cases.jsonl``, ``summary.json``); rerunning the same run resumes it."""
    data: tuple[str, ...] = ()
    """PRMBench files (JSONL, one error category each, as in ``mr_eval/tasks/prmtest_classified/data``)."""
    threshold: float | None = field(default=None, metadata=option(group="threshold"))
    """Fixed threshold: a step scoring above it is predicted right (unset: the PRM's own, see
    ``prmkit prms --show NAME``; 0.5 for most, as in PRMBench)."""
    fit_on: str | None = field(default=None, metadata=option(group="threshold"))
    """Pick the threshold with the best PRMScore on this category (``overall``: on every case; optimistic)
    and apply it to all."""
    sweep: bool = field(default=False, metadata=option(group="threshold"))
    """Also report PRMScore against thresholds (``grid``, else 0, 0.05, ..., 1)."""
    grid: tuple[float, ...] | None = None
    """With ``fit_on``: extra candidate thresholds; with ``sweep``: the thresholds to sweep."""
    strip_numbers: bool = True
    """Remove a leading step number (``3.``, ``Step 3.``) from each step before scoring, as PRMBench's
    model wrappers do."""
    batch_size: int = 8
    """Solutions per scoring call."""
    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    """The PRM."""

    def __post_init__(self) -> None:
        _check_threshold_protocol(self.threshold, self.fit_on, self.sweep, self.grid, self.batch_size)


@dataclass(frozen=True)
class BonJudgeConfig:
    """The pairwise judge of the judge selectors (``knockout``, ``elo``) in a Best-of-N run."""

    backend: str = field(default="llamacpp", metadata=option(flag="--pairwise-backend"))
    """Judge generation backend, a name in ``prmkit.generation.GENERATORS`` (hf, llamacpp, openai, vllm)."""
    model: str = field(default="qwen2.5-coder-0.5b-instruct", metadata=option(flag="--pairwise-model"))
    """The judge: a catalog name, a ``.gguf`` path, a model directory, or the served model's name (openai)."""
    url: str | None = field(default=None, metadata=option(flag="--pairwise-url"))
    """Base URL of an OpenAI-compatible server, with the version prefix (backend openai only)."""
    max_tokens: int = field(default=512, metadata=option(flag="--pairwise-max-tokens"))
    """Most tokens of reasoning and verdict per order of a pair."""
    seed: int = field(default=0, metadata=option(flag="--pairwise-seed"))
    """Seeds the judge's requests (each also by its prompt)."""
    max_n: int = field(default=16, metadata=option(flag="--pairwise-max-n"))
    """Most candidates per problem a judge selector reads: every pair of them is judged, C(n, 2) x 2
    generations per problem (16: 240)."""
    batch: int = field(default=64, metadata=option(flag="--pairwise-batch"))
    """Judge requests per generate call, each batch saved to the memo as it returns."""

    def __post_init__(self) -> None:
        problems = []
        if self.backend not in GENERATORS:
            problems.append(f"pairwise judge backend {self.backend!r} is not one of {', '.join(GENERATORS.names())}")
        if self.backend == "openai" and not self.url:
            problems.append("pairwise judge backend openai needs a url (the server's base URL)")
        if self.url and self.backend != "openai":
            problems.append(f"the pairwise judge url is for backend openai, not {self.backend!r}")
        for name, lo in (("max_tokens", 1), ("max_n", 2), ("batch", 1)):
            if getattr(self, name) < lo:
                problems.append(f"pairwise {name} must be >= {lo}, got {getattr(self, name)}")
        if problems:
            raise ConfigError("; ".join(problems))

    def load(self, memo: str | None = None) -> BonJudge:
        """The judge, its samples kept in the JSONL ``memo`` (resume) or in memory."""
        options: dict[str, str] = {"model": self.model}
        if self.url:
            options["base_url"] = self.url
        judge = PairwiseJudge(load_generator(self.backend, **options), max_tokens=self.max_tokens, seed=self.seed)
        if memo is not None:
            judge.memo = JsonlMemo(memo)
        return BonJudge(judge, self.max_n, self.batch)


@dataclass(frozen=True)
class BonRunConfig:
    """Settings of a Best-of-N run: the candidates, where scores come from, selectors, statistics, output."""

    candidates: str
    """Candidate file: prmkit JSONL (docs/candidates.md), Qwen2.5-Math ``math_cot`` or GSM8K example solutions."""
    format: CandidateFormat = "auto"
    """Candidate file format (``auto``: detect)."""
    answer_style: AnswerStyle = "auto"
    """Where to find answers in text without a given answer."""
    scores_from_file: bool = False
    """Use the step (or outcome) scores stored in the candidate file instead of a PRM."""
    save_scored: str | None = None
    """Write the scored candidates here (prmkit JSONL) to reuse with ``scores_from_file``."""
    selectors: tuple[str, ...] = field(
        default_factory=lambda: tuple(k for k in SELECTORS.in_order() if not SELECTORS.get(k).uses_judge),
        metadata=option(sep=","),
    )
    """Selectors, ``name[:param]``, names in ``prmkit.search.select.SELECTORS``; by default every registered one
    that needs no judge, in order (``knockout`` and ``elo`` need the ``judge_*`` settings)."""
    aggregators: tuple[str, ...] = field(default=("last",), metadata=option(sep=","))
    """Step-score aggregators, ``[sigmoid:]rule[:window]`` (see ``prmkit.search.aggregate``)."""
    baseline: str | None = None
    """Compare every other selector with this one, paired (unset: ``majority`` when it runs)."""
    out: str | None = None
    """Directory for ``bon.json`` and ``accuracy_vs_n.png``/``.svg``."""
    plot: bool = True
    """Draw accuracy against N into ``out``."""
    quiet: bool = False
    """No progress bars."""
    batch_size: int = 16
    """Solutions per scoring call (when a PRM scores the candidates)."""
    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    """The PRM, when one scores the candidates (``prm`` set, ``save_scored``, or a selector reads scores)."""
    bon: BonConfig = field(default_factory=BonConfig)
    """Subsets, bootstrap and grading of the evaluation."""
    pairwise: BonJudgeConfig = field(default_factory=BonJudgeConfig)
    """The pairwise judge, when a judge selector (``knockout``, ``elo``) runs (``--pairwise-*``; the ``--judge-*``
    flags belong to a generative-judge PRM)."""

    def __post_init__(self) -> None:
        problems = []
        if self.scorer.prm is not None and self.scores_from_file:
            problems.append("give prm or scores_from_file, not both")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {self.batch_size}")
        if problems:
            raise ConfigError("; ".join(problems))


@dataclass(frozen=True)
class ReportConfig:
    """Settings of ``prmkit report``: the run directory, the HTML file, the run kind and the heading."""

    run_dir: str = field(metadata=option(positional=True))
    """Run directory of ``prmkit eval processbench`` or ``prmkit eval bon`` (or any with a ``summary.json``)."""
    out: str | None = None
    """HTML file to write (unset: ``RUN_DIR/report.html``)."""
    kind: str | None = None
    """Run kind, a name in ``prmkit.evaluation.report.RUN_KINDS`` (unset: told by the files in the run directory)."""
    title: str | None = None
    """Heading of the page (unset: the run kind and the directory's name)."""


@dataclass(frozen=True)
class CalibrationConfig:
    """Settings of a calibration run: labelled steps, target, calibrator, split, output, PRM."""

    data: str
    """Labelled stepwise JSONL(.gz): ``prompt``, ``completions``, ``labels`` and, for ``target=mc``, ``mc``."""
    out: str
    """Output directory: ``summary.json``, ``scores.jsonl``, ``calibrator.json``, ``reliability.png``."""
    target: Literal["labels", "mc"] = "labels"
    """What a step score is compared with: the step's label (0/1) or its Monte Carlo value (a fraction)."""
    fit: Literal["isotonic", "platt", "temperature", "none"] = "isotonic"
    """Calibrator fitted on the fitting part (``none``: only measure, on every solution)."""
    split: float = 0.5
    """Share of the solutions (a seeded random choice) the calibrator is fitted on; the rest are measured."""
    seed: int = 0
    """Seeds the split."""
    bins: int = 10
    """Bins of the expected calibration errors and the reliability diagram."""
    batch_size: int = 8
    """Solutions per scoring call."""
    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    """The PRM."""

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.split < 1:
            problems.append(f"split must be in (0, 1), got {self.split}")
        if self.bins < 1:
            problems.append(f"bins must be >= 1, got {self.bins}")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {self.batch_size}")
        if problems:
            raise ConfigError("; ".join(problems))
