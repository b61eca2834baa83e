"""PRMScore on the shipped PRMBench file: a hand-computed golden value and PRMBench's own procedure.

The reference below is the benchmark's code path written out literally, from
``ssmisya/PRMBench`` at a1ae4eab803e14c4c6316bf89d1679b0486faa8c:
``mr_eval/tasks/prmtest_classified/task.py`` (``load_data_function``,
``evaluate_function``, ``eval_on_hallucination_step``),
``mr_eval/utils/model_utils.py`` (``remove_step_prefix``), the models'
``item > self.validity_threshold`` (``mr_eval/models/qwen_prm.py``) and
``mr_visualize/eval_res_view/draw_tabs/form_latex_strs.ipynb``
(``get_prmscore_from_current_res_dict``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _shared_data import shared_path

from prmkit.errors import ConfigError
from prmkit.evaluation.prmbench import Confusion, prmscore, run_prmbench
from prmkit.types import Solution, StepScores

CIRCULAR = ("prmbench", "prm800k_test_p1_4o_circular.jsonl")


def hash_score(step: str) -> float:
    return int(hashlib.sha256(step.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


class HashScorer:
    """A deterministic stub PRM: a step's score is a fixed function of its text."""

    identity = "test-hash-v1"

    def __init__(self) -> None:
        self.seen: list[Solution] = []

    def score(self, solutions: Sequence[Solution]) -> list[StepScores]:
        self.seen.extend(solutions)
        return [StepScores(tuple(hash_score(s) for s in sol.steps)) for sol in solutions]


# ---- PRMBench's procedure, literally (see the module docstring) ----

def remove_step_prefix(text):
    text = text.strip()
    return re.sub(r"^(Step\s*\d+\.\s*|\d+\.\s*)", "", text, flags=re.IGNORECASE)


def load_data_function(raw_data):
    meta_data = []
    correct_sample_classification = "redundency"
    filter_dict = {}
    for idx, item in enumerate(raw_data):  # noqa: B007
        item_idx = item["idx"]
        question = item["modified_question"]
        steps = item["modified_process"]
        error_steps = item["error_steps"]
        classification = item["classification"]

        if classification == correct_sample_classification:
            correct_idx = f"correct_{item_idx}"
            if filter_dict.get(correct_idx) is None:
                correct_sample = dict(idx=correct_idx, question=item["original_question"],
                                      steps=item["original_process"], error_steps=[], classification="correct")
                meta_data.append(correct_sample)
                filter_dict[correct_idx] = 1
        classification_idx = f"{classification}_{item_idx}"
        if filter_dict.get(classification_idx) is None:
            res = dict(idx=classification_idx, question=question, steps=steps, error_steps=error_steps,
                       classification=classification)
            meta_data.append(res)
            filter_dict[classification_idx] = 1
    return meta_data


def eval_on_hallucination_step(hallucination_steps, labels, redundency_label=False):
    hallucination_steps = [i - 1 for i in hallucination_steps]
    if redundency_label:
        POSITIVE_LABEL = 0
        NEGATIVE_LABEL = 1
    else:
        POSITIVE_LABEL = 1
        NEGATIVE_LABEL = 0  # noqa: F841
    TP = 0
    FP = 0
    TN = 0
    FN = 0
    for idx in range(len(labels)):
        if idx in hallucination_steps:
            if labels[idx] == POSITIVE_LABEL:
                FP += 1
            else:
                TN += 1
        else:
            if labels[idx] == POSITIVE_LABEL:
                TP += 1
            else:
                FN += 1
    return dict(f1_matrix=dict(TP=TP, FP=FP, TN=TN, FN=FN))


def f1s(m):
    TP, FP, FN, TN = m["TP"], m["FP"], m["FN"], m["TN"]
    precision = TP / (TP + FP) if (TP + FP) != 0 else -1
    recall = TP / (TP + FN) if (TP + FN) != 0 else -1
    f1 = 2 * precision * recall / (precision + recall) if (precision + recall) != 0 else -1
    negative_precision = TN / (TN + FN) if (TN + FN) != 0 else -1
    negative_recall = TN / (TN + FP) if (TN + FP) != 0 else -1
    negative_f1 = (2 * negative_precision * negative_recall / (negative_precision + negative_recall)
                   if (negative_precision + negative_recall) != 0 else -1)
    return f1, negative_f1


def evaluate_function(results, meta_data):
    meta_data_dict = {meta["idx"]: meta for meta in meta_data}
    classification_types = set([meta["classification"] for meta in meta_data])
    per_class = {i: dict(TP=0, FP=0, TN=0, FN=0) for i in classification_types}
    total = dict(TP=0, FP=0, TN=0, FN=0)
    correct_ids_dict = {meta["idx"]: 1 for meta in meta_data if meta["classification"] == "correct"}
    for prediction in results:
        reference_item = meta_data_dict[prediction["idx"]]
        labels = prediction["scores"]["step_level_validity_labels"]
        res_dict = eval_on_hallucination_step(reference_item["error_steps"], labels, redundency_label=False)
        for k in ("TP", "FP", "TN", "FN"):
            per_class[reference_item["classification"]][k] += res_dict["f1_matrix"][k]
            if prediction["idx"] not in correct_ids_dict:
                total[k] += res_dict["f1_matrix"][k]
    f1, negative_f1 = f1s(total)
    out = dict(total_hallucination_results=dict(f1=f1, negative_f1=negative_f1),
               hallucination_type_results=dict(f1={}, negative_f1={}))
    for c in classification_types:
        out["hallucination_type_results"]["f1"][c], out["hallucination_type_results"]["negative_f1"][c] = f1s(
            per_class[c])
    return out


def get_prmscore_from_current_res_dict(res_dict, classification=None):
    if not classification:
        prm_score = (res_dict["total_hallucination_results"]["f1"] * 0.5
                     + res_dict["total_hallucination_results"]["negative_f1"] * 0.5)
    else:
        if classification in ["multi_solutions"]:
            prm_score = res_dict["hallucination_type_results"]["f1"][classification]
        else:
            prm_score = (res_dict["hallucination_type_results"]["f1"][classification] * 0.5
                         + res_dict["hallucination_type_results"]["negative_f1"][classification] * 0.5)
    prm_score = prm_score if prm_score > 0 else 0
    return prm_score


def reference(raw_data: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    meta_data = load_data_function(raw_data)
    results = []
    for item in meta_data:
        scores = [hash_score(remove_step_prefix(step)) for step in item["steps"]]
        results.append(dict(idx=item["idx"], scores=dict(step_level_validity_scores=scores,
                                                         step_level_validity_labels=[s > threshold for s in scores])))
    return evaluate_function(results, meta_data)


# ---- the tests ----

def raw(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_prmscore_on_the_shipped_file_equals_the_hand_computed_value(tmp_path: Path) -> None:
    report = run_prmbench(HashScorer(), shared_path(*CIRCULAR), tmp_path)
    # the hash scorer's step predictions at 0.5 on the 1064 steps (276 wrong), counted once
    TP, FP, TN, FN = 374, 142, 134, 414
    assert report.categories["circular"].counts == Confusion(tp=TP, fp=FP, tn=TN, fn=FN)
    assert report.overall.counts == Confusion(tp=TP, fp=FP, tn=TN, fn=FN)
    f1 = 2 * (374 / 516) * (374 / 788) / (374 / 516 + 374 / 788)  # P = TP/(TP+FP), R = TP/(TP+FN)
    negative_f1 = 2 * (134 / 548) * (134 / 276) / (134 / 548 + 134 / 276)  # P- = TN/(TN+FN), R- = TN/(TN+FP)
    golden = 0.5 * f1 + 0.5 * negative_f1
    assert golden == pytest.approx(0.5 * 748 / 1304 + 0.5 * 268 / 824) and round(golden, 6) == 0.449431
    assert report.prmscore == pytest.approx(golden, abs=1e-12)
    assert report.categories["circular"].prmscore == pytest.approx(golden, abs=1e-12)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["prmscore"] == pytest.approx(golden, abs=1e-12) and summary["threshold"] == 0.5


def test_prmscore_equals_prmbench_procedure_on_the_shipped_file(tmp_path: Path) -> None:
    path = shared_path(*CIRCULAR)
    for threshold in (0.5, 0.3):
        ref = reference(raw(path), threshold)
        report = run_prmbench(HashScorer(), path, tmp_path / str(threshold), threshold=threshold)
        assert report.prmscore == pytest.approx(get_prmscore_from_current_res_dict(ref), abs=1e-12)
        assert report.overall.counts.f1 == pytest.approx(ref["total_hallucination_results"]["f1"], abs=1e-12)


def test_every_category_path_equals_prmbench_procedure(tmp_path: Path) -> None:
    """Redundency records (with their unmodified copies), multi_solutions (F1 only) and circular ones."""
    recs = raw(shared_path(*CIRCULAR))
    red = [{**r, "classification": "redundency"} for r in recs[:30]]
    ms = [{**r, "classification": "multi_solutions", "error_steps": [], "ground_truth": "x",
           "original_response": "y"} for r in recs[30:60]]
    files = []
    for name, part in (("r_redundency", red), ("m_multi_solutions", ms), ("c_circular", recs[60:])):
        files.append(tmp_path / f"{name}.jsonl")
        files[-1].write_text("".join(json.dumps(r) + "\n" for r in part))
    ref = reference(red + ms + recs[60:], 0.5)
    report = run_prmbench(HashScorer(), files, tmp_path / "out")
    assert set(report.categories) == {"correct", "redundency", "multi_solutions", "circular"}
    assert report.categories["correct"].n == 30 and report.categories["correct"].prmscore is None
    assert report.overall.n == 90
    for c in ("redundency", "multi_solutions", "circular"):
        assert report.categories[c].prmscore == pytest.approx(get_prmscore_from_current_res_dict(ref, c), abs=1e-12)
    assert report.prmscore == pytest.approx(get_prmscore_from_current_res_dict(ref), abs=1e-12)
    simplicity = (get_prmscore_from_current_res_dict(ref, "redundency")
                  + get_prmscore_from_current_res_dict(ref, "circular")) / 2
    assert report.groups == {"simplicity": pytest.approx(simplicity, abs=1e-12)}  # the others lack categories


def test_sweep_fit_and_step_numbers(tmp_path: Path) -> None:
    path = shared_path(*CIRCULAR)
    grid = (0.2, 0.5, 0.8)
    swept = run_prmbench(HashScorer(), path, tmp_path / "s", sweep=grid)
    for row in swept.sweep:
        fixed = run_prmbench(HashScorer(), path, tmp_path / "s", threshold=row.threshold)
        assert row.prmscore == fixed.prmscore and row.categories["circular"] == fixed.categories["circular"].prmscore
    fitted = run_prmbench(HashScorer(), path, tmp_path / "s", fit_on="overall", grid=grid)
    assert fitted.fit_on == "overall" and fitted.prmscore >= max(r.prmscore for r in swept.sweep)
    on_circular = run_prmbench(HashScorer(), path, tmp_path / "s", fit_on="circular")
    assert on_circular.threshold == fitted.threshold  # one category: the same pool
    stub = HashScorer()
    kept = run_prmbench(stub, path, tmp_path / "n", strip_numbers=False)
    assert stub.seen[0].steps[0].startswith("1. ") and kept.prmscore != swept.sweep[1].prmscore


def test_prmscore_edge_cases() -> None:
    assert prmscore(Confusion(tp=3)) == 0.0  # no wrong step: negative F1 is -1, 0.5 - 0.5 = 0
    assert prmscore(Confusion(tp=3), "multi_solutions") == 1.0
    assert prmscore(Confusion()) == 0.0


def test_bad_arguments(tmp_path: Path) -> None:
    path = shared_path(*CIRCULAR)
    with pytest.raises(ConfigError, match="fit_on='gsm8k' is not one of: overall, circular"):
        run_prmbench(HashScorer(), path, tmp_path, fit_on="gsm8k")
    with pytest.raises(ConfigError, match="batch_size"):
        run_prmbench(HashScorer(), path, tmp_path, batch_size=0)
