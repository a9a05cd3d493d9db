"""README tables are generated from the runner's full-mode results files, never typed, never partial."""

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from mlcourse import report, results
from mlcourse.notebooks import read_notebook, source_hash

ROOT = Path(__file__).resolve().parents[1]


def _record(notebook, metric, value=0.9, **extra):
    rec = {"notebook": notebook, "metric": metric, "value": value, "bar": ">= 0.5", "mode": "full",
           "passed": True, "coursework": None, "coursework_note": "", "note": ""}
    rec.update(extra)
    return rec


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with two notebooks and a README with both markers."""
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    for name in ("04_xor_mlp", "05_digits_perceptron"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(f"print('{name}')")]
        nbformat.write(nb, tmp_path / "notebooks" / f"{name}.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- notebooks:start -->\nold\n<!-- notebooks:end -->\n"
                      "<!-- results:start -->\nold\n<!-- results:end -->\n"
                      "<!-- spreads:start -->\nold\n<!-- spreads:end -->\n"
                      "<!-- threads:start -->\n<!-- threads:end -->\n")
    return tmp_path


def _write(project, name, status="ok", records=None, run=None, **kw):
    hashed = source_hash(read_notebook(project / "notebooks" / f"{name}.ipynb"))
    return results.write_run_results(name, "full", records if records is not None else [_record(name, "acc")],
                                     status=status, seconds=61, source_hash=kw.pop("source_hash", hashed),
                                     run=run, **kw)


def test_results_table_lists_full_mode_records_only():
    records = [
        _record("04_xor_mlp", "test_accuracy", 0.9, bar=">= 0.89", coursework=0.919,
                coursework_note="160 test points"),
        _record("04_xor_mlp", "test_accuracy", 0.5, bar=">= 0.4", mode="fast"),
    ]
    table = report.results_table(records)
    assert "| 04_xor_mlp | test_accuracy | 0.9 | >= 0.89 | yes | 0.919 | coursework: 160 test points |" in table
    assert "0.5" not in table


def test_update_readme_requires_markers(project):
    readme = project / "README.md"
    readme.write_text("no markers here\n")
    with pytest.raises(ValueError, match="markers"):
        report.update_readme(readme)


def test_update_readme_writes_both_tables(project):
    _write(project, "04_xor_mlp")
    _write(project, "05_digits_perceptron", records=[_record("05_digits_perceptron", "test_accuracy", 0.97)])
    report.update_readme(project / "README.md")
    text = (project / "README.md").read_text()
    assert "| 04_xor_mlp | acc | 0.9 | >= 0.5 | yes |  |  |" in text
    assert "| 05_digits_perceptron | test_accuracy | 0.97 | >= 0.5 | yes |  |  |" in text
    assert text.count("| 1 min 01 s |") == 2 and "old" not in text


def test_update_readme_refuses_a_partial_set_and_names_the_command(project):
    _write(project, "04_xor_mlp")
    before = (project / "README.md").read_text()
    with pytest.raises(results.ResultsError) as info:
        report.update_readme(project / "README.md")
    message = str(info.value)
    assert "no full-mode results for 05_digits_perceptron" in message
    assert "python -m mlcourse run notebooks/05_digits_perceptron.ipynb" in message
    assert (project / "README.md").read_text() == before


def test_update_readme_never_reads_interactive_records(project):
    _write(project, "04_xor_mlp")
    folder = project / "build" / "results"
    (folder / "interactive").mkdir()
    (folder / "interactive" / "05_digits_perceptron.full.json").write_text(
        json.dumps([_record("05_digits_perceptron", "acc")]))
    with pytest.raises(results.ResultsError, match="no full-mode results for 05_digits_perceptron"):
        report.update_readme(project / "README.md")


def test_update_readme_refuses_an_interactive_file_copied_in(project):
    _write(project, "04_xor_mlp")
    (project / "build" / "results" / "05_digits_perceptron.full.json").write_text(
        json.dumps([_record("05_digits_perceptron", "acc")]))
    with pytest.raises(results.ResultsError, match="not written by `python -m mlcourse run`"):
        report.update_readme(project / "README.md")


def test_update_readme_refuses_corrupt_results(project):
    _write(project, "04_xor_mlp")
    (project / "build" / "results" / "05_digits_perceptron.full.json").write_text('{"source": ')
    with pytest.raises(results.ResultsError, match="05_digits_perceptron.full.json is not valid JSON"):
        report.update_readme(project / "README.md")


def test_update_readme_refuses_results_older_than_the_notebook(project):
    _write(project, "04_xor_mlp")
    _write(project, "05_digits_perceptron", source_hash="0" * 64)
    with pytest.raises(results.ResultsError, match="changed since their full-mode results were made: "
                                                   "05_digits_perceptron"):
        report.update_readme(project / "README.md")


def test_update_readme_refuses_a_failed_run_unless_allowed(project):
    _write(project, "04_xor_mlp")
    _write(project, "05_digits_perceptron", status="failed", failed_cell=7, error="BarMissed: low")
    with pytest.raises(results.ResultsError, match=r"failed for 05_digits_perceptron \(cell 7: BarMissed: "
                                                   r"low\).*--allow-failed"):
        report.update_readme(project / "README.md")
    report.update_readme(project / "README.md", allow_failed=True)
    assert "| 05_digits_perceptron | *the full run failed: cell 7: BarMissed: low* |" in \
        (project / "README.md").read_text()


def test_timing_note_names_the_machine_and_the_whole_run(project):
    run = {"id": "r1", "jobs": 2, "threads": 1,
           "machine": {"cpu": "Test CPU", "cores": 2, "system": "Linux x86_64"}}
    _write(project, "04_xor_mlp", run=run)
    _write(project, "05_digits_perceptron", run=run)
    (project / "build" / "timings.json").write_text(json.dumps(
        {"full": {"id": "r1", "finished": "2026-01-02T03:04:05+00:00", "wall_seconds": 125.0, "notebooks": {}}}))
    report.update_readme(project / "README.md")
    text = (project / "README.md").read_text()
    assert ("Times measured in one full run (`make run`) on 2026-01-02: Test CPU, 2 cores, Linux x86_64; "
            "2 notebooks at a time, 1 thread per kernel; 2 min 05 s for the whole run.") in text


def test_timing_note_says_when_times_come_from_different_runs(project):
    machine = {"cpu": "Test CPU", "cores": 2, "system": "Linux x86_64"}
    _write(project, "04_xor_mlp", run={"id": "r1", "jobs": 2, "threads": 1, "machine": machine})
    _write(project, "05_digits_perceptron", run={"id": "r2", "jobs": 1, "threads": 1, "machine": machine})
    report.update_readme(project / "README.md")
    assert "Times of each notebook's latest full run (`python -m mlcourse run`), not one run" in \
        (project / "README.md").read_text()


def _parse_readme_tables(text):
    """Records and times as the README's tables show them (values print back identically at 4 digits)."""
    block = lambda name: re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S).group(1)
    seconds = {}
    for line in [l for l in block("notebooks").splitlines()[2:] if l.startswith("|")]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name, time_text = re.search(r"\[(.*?)\]", cells[0]).group(1), cells[-1]
        m = re.fullmatch(r"(?:(\d+) min (\d+) s|(\d+) s)", time_text)
        seconds[name] = int(m.group(1)) * 60 + int(m.group(2)) if m.group(1) else int(m.group(3))
    records = {}
    for line in block("results").splitlines()[2:]:
        nb, metric, ours, bar, met, coursework, notes = [c.strip() for c in line.strip()[1:-1].split("|", 6)]
        note, _, coursework_note = notes.partition("coursework: ")
        records.setdefault(nb, []).append(_record(
            nb, metric, float(ours), bar=bar, passed=met == "yes",
            coursework=float(coursework) if coursework else None,
            coursework_note=coursework_note, note=note.rstrip("; ").strip()))
    return seconds, records


def test_current_readme_tables_come_out_the_same_from_the_same_records(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "benchmarks" / "spreads", tmp_path / "benchmarks" / "spreads")
    if (ROOT / "benchmarks" / "threads.json").exists():
        shutil.copyfile(ROOT / "benchmarks" / "threads.json", tmp_path / "benchmarks" / "threads.json")
    readme = tmp_path / "README.md"
    shutil.copyfile(ROOT / "README.md", readme)
    original = readme.read_text()
    seconds, records = _parse_readme_tables(original)
    assert len(seconds) == len(list((ROOT / "notebooks").glob("[0-9]*.ipynb")))
    for name, secs in seconds.items():
        hashed = source_hash(read_notebook(tmp_path / "notebooks" / f"{name}.ipynb"))
        results.write_run_results(name, "full", records.get(name, []), status="ok", seconds=secs,
                                  source_hash=hashed)
    report.update_readme(readme)
    # records rebuilt from the tables carry no machine, so the timing note under the table is not made
    assert readme.read_text() == re.sub(r"\n\nTimes (measured|of each notebook's) [^\n]*\n", "\n", original)
