"""Every flag of every subcommand is a config field: its name, help and default come from the dataclass.

The walk covers the whole parser ``prmkit`` builds. A subcommand without a config
must be listed in ``HAND_WRITTEN`` with the reason; a flag name used by several
configs with different defaults must be listed in ``DIFFERENT_DEFAULTS`` with
the reason.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterator
from typing import Any, Literal, get_args, get_origin

import pytest

from prmkit.cli import build_parser
from prmkit.cli._config_args import EXTRA_FLAGS, config_from_args, dest, flag_default
from prmkit.config import ConfigField, config_fields

HAND_WRITTEN = {
    "prms": "prints the PRM catalog; nothing to configure",
    "models list": "prints the model catalog; nothing to configure",
    "models fetch": "a one-off download and hash check, not a run",
    "models path": "prints one path",
    "models verify": "a one-off hash check, not a run",
    "cache stats": "prints the state of a cache file; nothing to configure",
    "cache export": "a one-off dump of a cache file, not a run",
    "cache prune": "a one-off deletion in a cache file, not a run",
}
"""Subcommands whose flags are written by hand: inspection and maintenance commands, not runs."""

EXCLUDED_FIELDS: dict[str, str] = {}
"""``"Config.field": reason`` for a config field that has no flag (none today)."""

DIFFERENT_DEFAULTS = {
    "--no-cache": "a search stores every PRM answer in its run directory, so the step-score cache is off unless "
    "asked for; scoring and evaluation commands read and fill it",
    "--ns": "eval bon: every power of two up to the pool (unset); search-compare: the budgets it runs (4, 8)",
    "--n": "label sample/dataset: problems drawn (unset: all); search: the search budget N (8)",
    "--method": "the labelling method (mc) or the search algorithm (beam)",
    "--batch-size": "a different unit per command: solutions per PRM call (score, processbench: 8; bon: 16, the "
    "numbers in docs/bon.md), samples per generate call (label sample, dataset: 96), requests per generate call "
    "(label run: 32), solutions per training forward pass (train: 4)",
    "--backend": "the scoring engine (unset: verifier for model-free verifiers, else hf; prmkit.scoring.BACKENDS) "
    "is another registry than the generation engine (hf; prmkit.generation.GENERATORS)",
    "--dtype": "a PRM runs in its backend's dtype (unset); a labelling policy in bfloat16",
    "--device": "a PRM runs on its backend's device (unset); training defaults to cpu",
    "--max-length": "scoring leaves the input limit to the backend (unset); training skips examples over 1024 tokens",
    "--temperature": "a judge decodes greedily (label consensus: 0.0); a policy samples (0.7)",
    "--max-tokens": "a judge's verdict is longer than a rollout (label consensus: 1024; rollouts: 512)",
    "--style": "label sample and dataset ask for the policy's own boxed chain of thought (the stored dataset); "
    "label run's rollouts continue prmkit's structured steps",
    "--model": "a PRM's weights default to its catalog entry's (unset); training needs a backbone (required)",
    "--out": "an output file or directory: required where the command writes one, optional in eval bon and in "
    "report (RUN_DIR/report.html)",
    "--data": "eval processbench takes any number of split files (none: give --split NAME=FILE); eval calibration "
    "reads one labelled file (required)",
    "--split": "eval processbench: named split files NAME=FILE (none); eval calibration: the share of solutions the "
    "calibrator is fitted on (0.5)",
}


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
        return
    for name, sub in subs[0].choices.items():
        yield from _subcommands(sub, (*path, name))


def _generated() -> list[tuple[str, Any, type]]:
    out = []
    for name, sub in _subcommands(build_parser()):
        cls = sub.get_default("config_class")
        if cls is None:
            assert name in HAND_WRITTEN, f"`prmkit {name}` has no config dataclass and no reason in HAND_WRITTEN"
        else:
            assert name not in HAND_WRITTEN, f"`prmkit {name}` is generated; drop it from HAND_WRITTEN"
            out.append((name, sub, cls))
    return out


def test_every_subcommand_is_generated_or_listed_with_a_reason() -> None:
    generated = {name for name, _, _ in _generated()}
    assert {"score", "eval processbench", "eval bon", "train", "train-data", "label run"} <= generated


@pytest.mark.parametrize(("name", "sub", "cls"), _generated(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_flag_is_a_field_whose_default_it_shows_and_uses(name: str, sub: Any, cls: type) -> None:
    fields = {dest(f): f for f in config_fields(cls)}
    seen: set[str] = set()
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        flag = action.option_strings[0] if action.option_strings else action.dest
        if flag in EXTRA_FLAGS:
            continue
        assert action.dest in fields, f"prmkit {name} {flag}: not a field of {cls.__name__}"
        f = fields[action.dest]
        assert flag == f.flag
        if not (f.option.positional and f.required):
            assert action.default is argparse.SUPPRESS, f"prmkit {name} {flag}: a default of its own"
        assert f"({flag_default(f)})" in (action.help or "").replace("%%", "%"), f"prmkit {name} {flag}"
        seen.add(action.dest)
    missing = {f.key for d, f in fields.items() if d not in seen} - set(EXCLUDED_FIELDS)
    assert not missing, f"prmkit {name}: fields without a flag: {sorted(missing)}"

    # what a run given only the required flags uses is each field's dataclass default
    argv: list[str] = []
    for f in fields.values():
        if f.required:
            argv += [_dummy(f)] if f.option.positional else [f.flag, _dummy(f)]
    cfg = config_from_args(cls, sub.parse_args(argv))
    for f in fields.values():
        if not f.required:
            assert _get(cfg, f.path) == f.default, f"prmkit {name} {f.flag}"


def test_a_flag_name_has_one_default_across_subcommands_unless_a_reason_is_given() -> None:
    defaults: dict[str, dict[str, Any]] = {}
    for name, _, cls in _generated():
        for f in config_fields(cls):
            defaults.setdefault(f.flag, {})[name] = "required" if f.required else f.default
    differing = {flag: by_cmd for flag, by_cmd in defaults.items() if len({repr(v) for v in by_cmd.values()}) > 1}
    unexplained = {flag: by_cmd for flag, by_cmd in differing.items() if flag not in DIFFERENT_DEFAULTS}
    assert not unexplained, f"the same flag with different defaults, with no reason given: {unexplained}"
    assert not set(DIFFERENT_DEFAULTS) - set(differing), "DIFFERENT_DEFAULTS lists flags whose defaults agree"


def test_generation_backend_is_the_same_in_every_label_subcommand() -> None:
    backends = {
        name: f.default
        for name, _, cls in _generated()
        for f in config_fields(cls)
        if name.startswith("label ") and f.flag == "--backend"
    }
    assert set(backends) == {"label sample", "label dataset", "label run", "label consensus"}
    assert set(backends.values()) == {"hf"}


def test_the_run_labeller_options_are_the_labellers_own_defaults() -> None:
    from prmkit.labeling import LABELLERS
    from prmkit.labeling.config import LabelRunConfig

    run = LabelRunConfig(input="x", job="y")
    for method in LABELLERS.names():
        cls = LABELLERS.get(method)
        built = dataclasses.replace(run, method=method).labeller()
        for f in dataclasses.fields(cls):
            if f.name == "label" and method == "tree_search":  # the command's 'hard' for every method (soft: --label soft)
                assert (built.label, f.default) == ("hard", "soft")
                continue
            assert getattr(built, f.name) == getattr(cls(), f.name), (method, f.name)


def _dummy(f: ConfigField) -> str:
    if f.option.choices is not None:
        return next(iter(f.option.choices))
    if get_origin(f.type) is Literal:
        return str(get_args(f.type)[0])
    return "1" if f.type in (int, float) else "x"


def _get(cfg: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        cfg = getattr(cfg, key)
    return cfg
