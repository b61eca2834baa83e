"""Accuracy-vs-N plot: PNG and SVG, one line and band per selector."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prmkit.evaluation.bon import BonRow
from prmkit.evaluation.plot import plot_accuracy_vs_n, series_label


def _rows() -> list[BonRow]:
    rows = []
    for sel, agg, base in [
        ("best_of_n", "last", 0.6),
        ("majority", None, 0.55),
        ("pass_at_n", None, 0.8),
    ]:
        for k, n in enumerate([1, 2, 4, 8]):
            a = base + 0.02 * k
            rows.append(BonRow(sel, agg, n, a, a - 0.05, a + 0.04, 50, 10, None, None))
    return rows


def test_png_and_svg(tmp_path: Path) -> None:
    paths = plot_accuracy_vs_n(_rows(), tmp_path / "sub" / "acc")
    assert [p.name for p in paths] == ["acc.png", "acc.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = paths[1].read_text(encoding="utf-8")
    for label in ["best_of_n (last)", "majority", "pass_at_n", "accuracy (%)"]:
        assert label in svg
    assert (
        svg.count('id="FillBetweenPolyCollection') + svg.count('id="PolyCollection') == 3
    )  # one band each
    again = plot_accuracy_vs_n(_rows(), tmp_path / "again")
    assert again[1].read_text(encoding="utf-8") == svg  # reproducible bytes


def test_labels() -> None:
    assert series_label(_rows()[0]) == "best_of_n (last)"
    assert series_label(_rows()[4]) == "majority"


def test_matplotlib_is_imported_only_when_plotting() -> None:
    code = "import sys, prmkit.evaluation.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
