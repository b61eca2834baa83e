import argparse
import json
import os

import pytest
from _shared_data import shared_path

from prmkit.cli._label import add_parser


def _parse(argv):
    parser = argparse.ArgumentParser(prog="prmkit")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_label_inject_writes_records_with_the_injected_index(tmp_path, capsys) -> None:
    train = shared_path("gsm8k", "train.jsonl")
    src = tmp_path / "in.jsonl"
    src.write_text("".join(train.read_text().splitlines(keepends=True)[:30]))
    out = tmp_path / "out.jsonl"
    args = _parse(["label", "inject", "--input", str(src), "--out", str(out), "--types", "wrong_operation,wrong_unit"])
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary["injected"] == len(records) > 0 and set(summary["by_type"]) == {"wrong_operation", "wrong_unit"}
    for rec in records:
        fe = rec["first_error"]
        assert rec["labels"] == [1.0] * fe + [0.0] * (len(rec["completions"]) - fe)
        assert rec["method"] == "inject" and rec["extra"]["error_type"] in ("wrong_operation", "wrong_unit")


def test_unknown_error_type_is_a_config_error(tmp_path) -> None:
    from prmkit.errors import ConfigError

    args = _parse(["label", "inject", "--input", "x.jsonl", "--out", str(tmp_path / "o"), "--types", "typo"])
    with pytest.raises(ConfigError, match="unknown error types"):
        args.func(args)


def test_a_dataset_run_is_stoppable_by_sigterm_and_by_an_inherited_ignored_sigint() -> None:
    """``label dataset`` exports its state on KeyboardInterrupt; both signals must raise it, even when a
    background start left SIGINT ignored, and the old handlers must come back."""
    import signal

    import pytest

    from prmkit.cli._label import stoppable

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with pytest.raises(KeyboardInterrupt), stoppable():
                os.kill(os.getpid(), sig)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, before)
