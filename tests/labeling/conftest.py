"""Shared fixtures for the labeling tests: the GSM8K train file beside the repo checkout."""

from __future__ import annotations

import json

import pytest
from _shared_data import shared_path


@pytest.fixture(scope="session")
def gsm8k_train() -> list[dict[str, str]]:
    with shared_path("gsm8k", "train.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]
