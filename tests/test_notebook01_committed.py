"""The committed run of notebook 01 (seed 0, full mode) reaches test accuracy >= 0.996 (issue 13).

The notebook's own bar (``expect("test_accuracy", ...)``) sits at or below the worst of a 5-seed study
(benchmarks/spreads/01_lstm_digit_sum.json), so any honest seed passes it; this test asks more of the one
run whose outputs are committed. It reads the value from the committed notebook's outputs (the results
table of a run lives in build/, which is not committed): the line the graded test cell printed, checked
against the count of wrong test series the evaluation cell printed.
"""

import re

import pytest

from mlcourse import config
from mlcourse.notebooks import output_text, read_notebook, source_hash

NOTEBOOK = config.project_root() / "notebooks" / "01_lstm_digit_sum.ipynb"
COMMITTED_AT_LEAST = 0.996
EXPECT_LINE = re.compile(r"^(passed|FAILED): test_accuracy = ([0-9.eE+-]+)\s", re.M)
WRONG_LINE = re.compile(r"^test\s+accuracy ([0-9.]+)\s+\((\d+) of ([\d,]+) series wrong\)", re.M)


def _cell(nb, grade_id):
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, f"{NOTEBOOK.name}: expected one cell with grade_id {grade_id!r}, found {len(cells)}"
    return cells[0]


@pytest.fixture(scope="module")
def committed():
    nb = read_notebook(NOTEBOOK)
    stamp = nb.metadata.get("mlcourse") or {}
    assert stamp.get("mode") == "full", f"{NOTEBOOK.name}: the committed outputs are not from a full run"
    assert stamp.get("source_hash") == source_hash(nb), f"{NOTEBOOK.name}: the outputs are stale"
    return nb


def test_committed_run_reaches_the_issue_bar(committed):
    text = output_text(_cell(committed, "test_accuracy"))
    found = EXPECT_LINE.findall(text)
    assert len(found) == 1, f"no single test_accuracy line in the committed test cell's output:\n{text}"
    status, value = found[0]
    assert status == "passed", text
    assert float(value) >= COMMITTED_AT_LEAST, (
        f"committed run: test accuracy {value} < {COMMITTED_AT_LEAST} (issue 13 asks the committed run for more "
        "than the seed-study bar)")


def test_committed_accuracy_agrees_with_the_error_count(committed):
    text = output_text(_cell(committed, "task_evaluate"))
    found = WRONG_LINE.findall(text)
    assert len(found) == 1, f"no single test accuracy line in the committed evaluation cell's output:\n{text}"
    accuracy, wrong, total = float(found[0][0]), int(found[0][1]), int(found[0][2].replace(",", ""))
    assert total == 2_000
    assert accuracy == pytest.approx(1 - wrong / total, abs=1e-4)
    assert 1 - wrong / total >= COMMITTED_AT_LEAST, f"committed run: {wrong} of {total} test series wrong"
