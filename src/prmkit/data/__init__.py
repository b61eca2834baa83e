"""Reading and writing the files prmkit works with."""

from prmkit.data._io import JsonlAppender, read_json_records, read_jsonl
from prmkit.data.candidates import (
    Candidate,
    CandidateProblem,
    CandidateSet,
    load_candidates,
    write_candidates,
)

__all__ = [
    "Candidate",
    "CandidateProblem",
    "CandidateSet",
    "JsonlAppender",
    "load_candidates",
    "read_json_records",
    "read_jsonl",
    "write_candidates",
]
