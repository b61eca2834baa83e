"""Reading and writing the files prmkit works with."""

from prmkit.data._io import JsonlAppender, read_json_records, read_jsonl
from prmkit.data.candidates import (
    Candidate,
    CandidateProblem,
    CandidateSet,
    load_candidates,
    split_steps,
    write_candidates,
)
from prmkit.data.processbench import ProcessBenchCase, load_processbench

__all__ = [
    "Candidate",
    "CandidateProblem",
    "CandidateSet",
    "JsonlAppender",
    "ProcessBenchCase",
    "load_candidates",
    "load_processbench",
    "read_json_records",
    "read_jsonl",
    "split_steps",
    "write_candidates",
]
