"""Reading and writing the files prmkit works with: JSON Lines, candidate sets, ProcessBench, PRMBench, stepwise records."""

from prmkit.data._candidates_formats import GSM8K_EXAMPLE_MODELS
from prmkit.data._io import (
    JsonlAppender,
    json_utf8,
    read_json_records,
    read_jsonl,
    records_with_position,
)
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
    "json_utf8",
    "load_candidates",
    "load_prmbench",
    "load_processbench",
    "parse_processbench_record",
    "read_json_records",
    "read_jsonl",
    "read_problems",
    "records_with_position",
    "write_candidates",
    "write_stepwise",
]
