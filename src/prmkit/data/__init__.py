"""Reading and writing the files prmkit works with."""

from prmkit.data._io import JsonlAppender, read_json_records, read_jsonl

__all__ = ["JsonlAppender", "read_json_records", "read_jsonl"]
