"""The ``judge`` backend: a generative judge run on any generator, as a :class:`~prmkit.scoring.Scorer`.

Each solution is rendered with the judge's prompt, ``samples`` verifications are
generated with a seed derived from the judge's seed and the solution's text (so
a solution gets the same samples whatever batch it comes in), each is parsed
strictly (a judge that ``execute`` (GenPRM) first has its python blocks run in
the sandbox and writes its verdicts in a second generation that sees their
output: :mod:`prmkit.scoring.judges.genprm`), and step scores are read by the judge's rule
(:mod:`prmkit.scoring.judges.spec`). Every result carries a
:class:`~prmkit.types.Judgement`: the texts, the parsed verdicts, tokens and
seconds. A solution none of whose samples parses is a ``verdict_error``
failure holding the texts.

>>> from prmkit.scoring import load_prm
>>> class Says:  # a generator that always writes the same verification
...     def generate(self, requests):
...         return [[Sample("Paragraph 1 is wrong: \\\\boxed{1}", 9, "stop", 80)] * r.n for r in requests]
>>> result = load_prm("judge-critic", generator=Says()).score([Solution("?", ("2+2=4", "4*3=13", "So 13."))])[0]
>>> result.scores, result.judgement.verdicts, result.tokens
((1.0, 0.0, 0.0), ('1',), 89)
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from collections import Counter
from collections.abc import Sequence

from prmkit.errors import ConfigError, ContextLengthError
from prmkit.generation import (
    GenerationError,
    GenerationRequest,
    Generator,
    Sample,
    ScoresContinuations,
)
from prmkit.scoring._backend import ScorerInfo, validate_solution
from prmkit.scoring.judges.genprm import code_stage, merged
from prmkit.scoring.judges.rules import logprob_scores, vote_scores
from prmkit.scoring.judges.spec import JudgeSpec
from prmkit.scoring.judges.verdicts import (
    VERDICTS,
    RubricScores,
    StepVerdicts,
    Verdict,
    VerdictError,
)
from prmkit.scoring.spec import PRMSpec
from prmkit.types import CodeRun, Judgement, ScoreFailure, ScoreResult, Solution, StepScores

__all__ = ["JudgeScorer", "solution_seed"]

_STOP = ("<|im_end|>", "<|endoftext|>")


def _failure(e: ContextLengthError | GenerationError, sol: Solution) -> ScoreFailure:
    """A generation that failed, as that solution's typed failure."""
    if isinstance(e, ContextLengthError):
        return ScoreFailure("context_length", str(e), sol.id)
    return ScoreFailure("backend_error", str(e), sol.id)


def solution_seed(seed: int, sol: Solution) -> int:
    """The seed of a solution's first sample: a function of the judge's ``seed`` and the solution's text.

    >>> solution_seed(0, Solution("q", ("a",))) == solution_seed(0, Solution("q", ("a",), id="other"))
    True
    """
    h = hashlib.blake2b(digest_size=8, person=b"prmkit-judge")
    for part in (str(seed), sol.problem, *sol.steps):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big") + data)
    return int.from_bytes(h.digest(), "big") % (2**31 - 2**10)


class JudgeScorer:
    """Step scores from a generative judge (``judge``) on a generator; see the module docstring."""

    def __init__(
        self, spec: PRMSpec, judge: JudgeSpec, generator: Generator, *, seed: int = 0
    ) -> None:
        if judge.rule == "logprob" and not isinstance(generator, ScoresContinuations):
            raise ConfigError(
                f"judge {judge.name!r} reads log-probabilities, which {type(generator).__name__} does not give; "
                "use an hf or llamacpp engine, or a judge with rule 'vote'"
            )
        self.spec, self.judge, self.generator, self.seed = spec, judge, generator, seed
        self.parse = VERDICTS.get(judge.verdict)

    @property
    def identity(self) -> str:
        """Names the format by a hash of its fields that differ from their defaults, so that a field added
        later with a default keeps every existing judge's identity (and its cached scores)."""
        changed = {
            f.name: getattr(self.judge, f.name)
            for f in dataclasses.fields(self.judge)
            if getattr(self.judge, f.name) != f.default
        }
        judge = hashlib.sha256(repr(sorted(changed.items())).encode()).hexdigest()[:12]
        engine = getattr(self.generator, "identity", type(self.generator).__name__)
        return f"judge:{self.spec.name}:{self.judge.name}-{judge}:{engine}:seed{self.seed}"

    @property
    def info(self) -> ScorerInfo:
        """Not causal (the judge reads every step); the spec's threshold."""
        return ScorerInfo(self.identity, threshold=self.spec.threshold, causal=False)

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order. The verifications of every valid solution are asked of the
        generator in one call (one request per solution, its own seeds); if that call fails, each solution
        is asked alone, so an engine error or an overlong prompt is that solution's failure only. A judge
        that runs code (GenPRM) then runs every solution's code and asks for all their verdicts in a second
        call (if it fails, each solution's verdicts are asked alone; its code is not run again). A
        solution's ``seconds`` are its share of the
        batches' generation plus its own code runs and log-probability reads."""
        out: list[ScoreResult | None] = []
        todo: list[tuple[int, Solution, str, GenerationRequest]] = []
        for i, sol in enumerate(solutions):
            failure = validate_solution(sol, self.spec.reserved)
            out.append(failure)
            if failure is None:
                prompt = self.judge.render(sol.problem, sol.steps)
                todo.append((i, sol, prompt, self._request(prompt, sol)))
        batch: list[list[Sample]] | None = None
        if len(todo) > 1:
            start = time.perf_counter()
            with contextlib.suppress(ContextLengthError, GenerationError):
                batch = self.generator.generate([request for *_, request in todo])
            share = (time.perf_counter() - start) / len(todo)
        done = self._executed_batch(todo, batch, share) if batch is not None and self.judge.execute else {}
        for k, (i, sol, prompt, request) in enumerate(todo):
            if i in done:
                out[i] = done[i]
            elif batch is None:
                out[i] = self._one(sol, prompt, request)
            else:
                out[i] = self._finish(sol, prompt, request, batch[k], time.perf_counter() - share)
        assert all(r is not None for r in out)
        return out  # type: ignore[return-value]

    def _request(self, prompt: str, sol: Solution) -> GenerationRequest:
        j = self.judge
        return GenerationRequest(
            prompt,
            n=j.samples,
            max_tokens=j.max_tokens,
            temperature=j.temperature,
            top_p=j.top_p,
            # a judge that runs code stops before its verdicts (the first line of verdict_prefix)
            stop=_STOP + ((j.verdict_prefix.strip().splitlines()[0],) if j.execute else ()),
            seed=solution_seed(self.seed, sol),
        )

    def _one(self, sol: Solution, prompt: str, request: GenerationRequest) -> ScoreResult:
        start = time.perf_counter()
        try:
            samples = self.generator.generate([request])[0]
        except (ContextLengthError, GenerationError) as e:
            return _failure(e, sol)
        return self._finish(sol, prompt, request, samples, start)

    def _finish(
        self,
        sol: Solution,
        prompt: str,
        request: GenerationRequest,
        samples: list[Sample],
        start: float,
    ) -> ScoreResult:
        runs: list[CodeRun] = []
        if self.judge.parse_prefix:
            prompt, samples = self._prefixed(prompt, samples)
        if self.judge.execute:
            try:
                samples, runs = self._executed(prompt, request, samples)
            except (ContextLengthError, GenerationError) as e:
                return _failure(e, sol)
        return self._judged(sol, prompt, samples, start, runs)

    def _executed(
        self, prompt: str, request: GenerationRequest, samples: list[Sample]
    ) -> tuple[list[Sample], list[CodeRun]]:
        """GenPRM: run each sample's code, then one verdict generation per sample with the outputs in
        context; each sample becomes its whole text (analysis, code, outputs, verdicts) and its tokens."""
        contexts, runs, requests = code_stage(self.judge, prompt, request, samples, _STOP)
        return merged(samples, contexts, self._verdicts(requests)), runs

    def _verdicts(self, requests: list[GenerationRequest]) -> list[Sample]:
        return [out[0] for out in self.generator.generate(requests)] if requests else []

    def _executed_batch(
        self,
        todo: Sequence[tuple[int, Solution, str, GenerationRequest]],
        batch: list[list[Sample]],
        share: float,
    ) -> dict[int, ScoreResult]:
        """GenPRM over a batch: every solution's code runs, then all their verdict requests in one call; if
        that call fails, each solution's verdicts are asked alone, so a failure is that solution's only."""
        staged = []
        for (_, _, prompt, request), samples in zip(todo, batch, strict=True):
            start = time.perf_counter()
            staged.append(
                (
                    code_stage(self.judge, prompt, request, samples, _STOP),
                    time.perf_counter() - start,
                )
            )
        t0 = time.perf_counter()
        flat: list[Sample] | None = None
        with contextlib.suppress(ContextLengthError, GenerationError):
            flat = self._verdicts([r for (_, _, reqs), _ in staged for r in reqs])
        share += (time.perf_counter() - t0) / len(todo)
        out: dict[int, ScoreResult] = {}
        at = 0
        for (i, sol, prompt, _), samples, ((contexts, runs, reqs), code_s) in zip(
            todo, batch, staged, strict=True
        ):
            start = time.perf_counter() - share - code_s
            if flat is None:
                try:
                    verdicts = self._verdicts(reqs)
                except (ContextLengthError, GenerationError) as e:
                    out[i] = _failure(e, sol)
                    continue
            else:
                verdicts, at = flat[at : at + len(reqs)], at + len(reqs)
            out[i] = self._judged(sol, prompt, merged(samples, contexts, verdicts), start, runs)
        return out

    def _parse(self, text: str, n_steps: int) -> Verdict:
        """The judge's verdict in ``text`` (after the last ``verdict_prefix`` for a judge that runs code);
        a rubric's total must be its number of criteria."""
        j = self.judge
        if j.execute:
            cut = text.rfind(j.verdict_prefix)
            if cut < 0:
                raise VerdictError("missing", "the verdict generation never started", text)
            start = cut + len(j.verdict_prefix)
            verdict = self.parse(text[start:], n_steps)
            # offsets in the whole text, for the logprob readout
            if isinstance(verdict, StepVerdicts):
                verdict = dataclasses.replace(verdict, at=tuple(start + a for a in verdict.at))
        else:
            verdict = self.parse(text, n_steps)
        if isinstance(verdict, RubricScores) and verdict.out_of != len(j.rubric):
            raise VerdictError(
                "out_of_range",
                f"scores out of {verdict.out_of}, the rubric has {len(j.rubric)} criteria",
                text,
            )
        return verdict

    def rescore(self, sol: Solution, texts: Sequence[str]) -> ScoreResult:
        """Step scores read from verifications already written (``texts``, e.g. a run's stored
        ``judge.texts``) without generating: with rule ``logprob`` the engine reads the verdict
        probabilities again; with ``vote`` only the parsers run. Token counts are 0.

        >>> class Never:
        ...     def generate(self, requests): raise AssertionError("no generation")
        >>> from prmkit.scoring import get_spec
        >>> from prmkit.scoring.judges import get_judge
        >>> judge = JudgeScorer(get_spec("judge-critic"), get_judge("critic"), Never())
        >>> judge.rescore(Solution("?", ("a", "b")), ["\\\\boxed{-1}"]).scores
        (1.0, 1.0)
        """
        failure = validate_solution(sol, self.spec.reserved)
        if failure is not None:
            return failure
        samples = [Sample(t, 0, "stop", 0) for t in texts]
        prompt = self.judge.render(sol.problem, sol.steps)
        if self.judge.parse_prefix:  # stored texts hold the prefix already
            prompt = self._unprefixed(prompt)
        return self._judged(sol, prompt, samples, time.perf_counter())

    def _prefixed(self, prompt: str, samples: list[Sample]) -> tuple[str, list[Sample]]:
        """``parse_prefix``: the prompt without the reply's prefix, and each sample's text with it."""
        prefix = self.judge.assistant_prefix
        return self._unprefixed(prompt), [dataclasses.replace(s, text=prefix + s.text) for s in samples]

    def _unprefixed(self, prompt: str) -> str:
        """The rendered prompt without the reply's opening ``assistant_prefix``."""
        return prompt[: len(prompt) - len(self.judge.assistant_prefix)]

    def _judged(
        self,
        sol: Solution,
        prompt: str,
        samples: list[Sample],
        start: float,
        runs: Sequence[CodeRun] = (),
    ) -> ScoreResult:
        verdicts: list[Verdict | VerdictError] = []
        for s in samples:
            try:
                verdicts.append(self._parse(s.text, sol.n_steps))
            except VerdictError as e:
                verdicts.append(e)
        parsed = [v for v in verdicts if not isinstance(v, VerdictError)]
        scores, error = None, None
        if parsed:
            try:
                scores = self._scores(prompt, samples, verdicts, sol.n_steps)
            except (ContextLengthError, GenerationError) as e:  # reading log-probabilities
                error = e
        judgement = Judgement(
            tuple(s.text for s in samples),
            tuple(
                f"error: {v.reason}" if isinstance(v, VerdictError) else str(v) for v in verdicts
            ),
            prompt_tokens=samples[0].n_prompt_tokens if samples else 0,
            generated_tokens=sum(s.n_tokens for s in samples),
            seconds=round(time.perf_counter() - start, 3),  # generation, code and log-probabilities
            executions=tuple(runs),
        )
        if error is not None:
            if isinstance(error, ContextLengthError):
                return ScoreFailure("context_length", str(error), sol.id, judgement)
            return ScoreFailure("backend_error", str(error), sol.id, judgement)
        if scores is None:
            reasons = Counter(v.reason for v in verdicts if isinstance(v, VerdictError))
            detail = f"no verdict parsed in {len(samples)} sample(s): " + ", ".join(
                f"{r} x{n}" for r, n in reasons.items()
            )
            return ScoreFailure("verdict_error", detail, sol.id, judgement)
        return StepScores(
            scores, tokens=judgement.prompt_tokens + judgement.generated_tokens, judgement=judgement
        )

    def _scores(
        self, prompt: str, samples: list[Sample], verdicts: list[Verdict | VerdictError], n: int
    ) -> tuple[float, ...]:
        pairs = [
            (s.text, v)
            for s, v in zip(samples, verdicts, strict=True)
            if not isinstance(v, VerdictError)
        ]
        if self.judge.rule == "logprob":
            return logprob_scores(self.generator, prompt, pairs)
        return vote_scores(self.judge.aggregate, [v for _, v in pairs], n)
