"""Guards over the committed notebooks: fresh full-mode outputs, clean outputs, conventions."""

import re

import pytest

from mlcourse.notebooks import checked_cells, find_notebooks, output_text, read_notebook, source_hash

NOTEBOOKS = find_notebooks()
TIMING = re.compile(r"\d+(\.\d+)?\s?(ms|s|us|µs)/(step|epoch|it)|\d+(\.\d+)?\s?it/s|\[\d\d:\d\d<|"
                    r"\b(elapsed|wall time|took)\b.*\d+(\.\d+)?\s?s\b", re.I)
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
CONTROL = re.compile(r"[\r\b]|\x1b\[")
KERAS_PROGRESS = re.compile(r"\d+/\d+\s+━+")  # "25/25 ━━━━━━━━━━ 0s 2ms/step"; summaries' borders are fine


def ids(paths):
    return [p.stem for p in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no numbered notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_outputs_come_from_full_run_of_current_sources(path):
    nb = read_notebook(path)
    stamp = nb.metadata.get("mlcourse")
    fix = f"refresh them with `make reference` or `.venv/bin/python -m mlcourse run --in-place {path.relative_to(path.parents[1])}`"
    assert stamp, f"{path.name} has no reference outputs stamp; {fix}"
    assert stamp["mode"] == "full", f"{path.name}: committed outputs come from {stamp['mode']} mode; {fix}"
    assert stamp["source_hash"] == source_hash(nb), f"{path.name}: sources changed after its outputs were made; {fix}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_code_cell_ran_without_error(path):
    nb = read_notebook(path)
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code" and cell.source.strip():
            assert cell.get("execution_count") is not None, f"{path.name} cell {index} was not executed"
            assert not any(o.output_type == "error" for o in cell.outputs), f"{path.name} cell {index} holds an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_outputs_have_no_control_characters_or_keras_progress_bars(path):
    nb = read_notebook(path)
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            text = output_text(cell) if not any(o.output_type == "error" for o in cell.outputs) else ""
            assert not CONTROL.search(text), f"{path.name} cell {index}: control characters in output"
            assert not KERAS_PROGRESS.search(text), f"{path.name} cell {index}: a Keras progress bar (use verbose=0)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_checked_cells_hold_no_timings_or_memory_addresses(path):
    nb = read_notebook(path)
    for index, cell in checked_cells(nb):
        text = output_text(cell)
        assert not TIMING.search(text), f"{path.name} cell {index + 1}: a timing in a checked output"
        assert not ADDRESS.search(text), f"{path.name} cell {index + 1}: a memory address in a checked output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_first_code_cell_starts_mlcourse(path):
    nb = read_notebook(path)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "mlcourse.config.start(" in first.source or "config.start(" in first.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_notebook_has_title_and_output_checks(path):
    nb = read_notebook(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert list(checked_cells(nb)), f"{path.name}: no cell tagged nbval-check-output"
