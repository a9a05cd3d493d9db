"""The headless runner: bad paths, failing notebooks, atomic in-place writes, clean outputs."""

import json
import sys
from pathlib import Path

import nbformat
import pytest

from mlcourse import runner
from mlcourse.notebooks import clean_outputs, clean_text, read_notebook, source_hash, NotANotebookError


@pytest.fixture(autouse=True)
def isolated_build(tmp_path, monkeypatch):
    """Keep these runs' timings and results out of the project's build/."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("MLCOURSE_ROOT", str(root))
    return root


def make_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A test notebook")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_rejects_a_path_that_is_not_a_notebook(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert runner.main(["run", str(bad)]) == 2
    assert "is not a notebook: expected a file ending in .ipynb" in capsys.readouterr().err


def test_run_rejects_a_missing_path(tmp_path, capsys):
    assert runner.main(["run", str(tmp_path / "missing.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_read_notebook_rejects_broken_json(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{\"cells\": [")
    with pytest.raises(NotANotebookError, match="not valid notebook JSON.*git checkout"):
        read_notebook(path)


def test_in_place_refuses_fast_mode(tmp_path, capsys):
    path = make_notebook(tmp_path / "a.ipynb", "x = 1")
    assert runner.main(["run", str(path), "--fast", "--in-place"]) == 2
    assert "must come from full mode" in capsys.readouterr().err


def test_failing_notebook_is_named_with_cell_and_run_continues(tmp_path, capsys):
    bad = make_notebook(tmp_path / "01_bad.ipynb", "x = 1", "raise RuntimeError('boom')")
    good = make_notebook(tmp_path / "02_good.ipynb", "print('fine')")
    code = runner.main(["run", str(bad), str(good), "--fast", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAILED" in captured.err and "01_bad.ipynb: cell 3: RuntimeError: boom" in captured.err
    assert (tmp_path / "out" / "02_good.ipynb").exists()
    table = captured.out
    assert "01_bad" in table and "failed" in table and "02_good" in table and "ok" in table


def test_in_place_failure_leaves_committed_notebook_untouched(tmp_path):
    path = make_notebook(tmp_path / "03_x.ipynb", "print('partial')", "1/0")
    before = path.read_bytes()
    assert runner.main(["run", str(path), "--in-place", "--out", str(tmp_path / "out")]) == 1
    assert path.read_bytes() == before


def test_in_place_success_stamps_mode_and_source_hash(tmp_path, isolated_build):
    path = make_notebook(tmp_path / "04_y.ipynb", "import sys; sys.stdout.write('a\\rb\\n')")
    assert runner.main(["run", str(path), "--in-place", "--out", str(tmp_path / "out")]) == 0
    nb = read_notebook(path)
    assert nb.metadata["mlcourse"]["mode"] == "full"
    assert nb.metadata["mlcourse"]["source_hash"] == source_hash(nb)
    assert nb.cells[1].outputs[0]["text"] == "b\n"
    assert json.loads((isolated_build / "build" / "timings.json").read_text())["full"]["04_y"] > 0


def test_kernel_runs_this_interpreter(tmp_path):
    path = make_notebook(tmp_path / "05_z.ipynb", "import sys; print(sys.executable)")
    out = tmp_path / "out"
    assert runner.main(["run", str(path), "--fast", "--out", str(out)]) == 0
    printed = read_notebook(out / path.name).cells[1].outputs[0]["text"].strip()
    assert Path(printed).resolve().parent == Path(sys.executable).resolve().parent


def test_clean_text_keeps_final_progress_state_and_drops_control_characters():
    assert clean_text("  0%|  |\r 50%|# |\r100%|##|\n") == "100%|##|\n"
    assert clean_text("ab\bc \x1b[31mred\x1b[0m") == "ac red"


def test_clean_outputs_merges_streams_and_drops_timestamps():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    nb.cells = [cell]
    clean_outputs(nb)
    assert cell.outputs[0]["text"] == "a\nb\n" and len(cell.outputs) == 1
    assert "execution" not in cell.metadata


def test_format_table_shows_metric_bar_and_seed():
    run = runner.NotebookRun(path=Path("04_xor_mlp.ipynb"), status="ok", seconds=12.3, metrics=[
        {"metric": "test_accuracy", "value": 0.91, "bar": "in [0.894, 0.924]", "seed_value": 0.919,
         "passed": True}])
    table = runner.format_table([run])
    assert "04_xor_mlp" in table and "test_accuracy" in table and "0.919" in table and "12.3 s" in table


def test_clean_outputs_strips_colour_codes_from_plain_text_results():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("model.summary()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "\x1b[1m Total params: \x1b[0m32"})]
    nb.cells = [cell]
    clean_outputs(nb)
    assert cell.outputs[0]["data"]["text/plain"] == " Total params: 32"
