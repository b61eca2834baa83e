"""Shared fixtures for the labeling tests: the GSM8K train file beside the repo checkout."""

from __future__ import annotations

import json

import pytest
from _shared import SHARED


@pytest.fixture(scope="session")
def gsm8k_train() -> list[dict[str, str]]:
    path = SHARED / "gsm8k" / "train.jsonl"
    if not path.exists():
        pytest.skip(f"GSM8K train split not found at {path} (set PRMKIT_SHARED_DATA)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]
