"""Reading and writing the files prmkit works with: JSON Lines, candidate sets, ProcessBench, PRMBench, stepwise records."""

from prmkit.data._candidates_formats import GSM8K_EXAMPLE_MODELS
from prmkit.data._content import CONTENT_KEY, content_key, rewrite_jsonl
from prmkit.data._io import (
    JsonlAppender,
    json_utf8,
    read_json_records,
    read_jsonl,
    records_with_position,
)
from prmkit.data._lock import lock_output
from prmkit.data._paths import check_output_dir, check_output_file, child_path
from prmkit.data.candidates import (
    Candidate,
    CandidateProblem,
    CandidateSet,
    load_candidates,
    write_candidates,
)
from prmkit.data.prmbench import PRMBENCH_CATEGORIES, PRMBenchCase, load_prmbench
from prmkit.data.problems import read_problems
from prmkit.data.processbench import ProcessBenchCase, load_processbench, parse_processbench_record
from prmkit.data.stepwise import StepwiseRecord, write_stepwise

__all__ = [
    "CONTENT_KEY",
    "GSM8K_EXAMPLE_MODELS",
    "PRMBENCH_CATEGORIES",
    "Candidate",
    "CandidateProblem",
    "CandidateSet",
    "JsonlAppender",
    "PRMBenchCase",
    "ProcessBenchCase",
    "StepwiseRecord",
    "check_output_dir",
    "check_output_file",
    "child_path",
    "content_key",
    "json_utf8",
    "load_candidates",
    "load_prmbench",
    "load_processbench",
    "lock_output",
    "parse_processbench_record",
    "read_json_records",
    "read_jsonl",
    "read_problems",
    "records_with_position",
    "rewrite_jsonl",
    "write_candidates",
    "write_stepwise",
]
