"""mlcourse.results: expect's records, bars and input checks; the runner's results files."""

import ast
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mlcourse import results


@pytest.fixture
def results_file(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    monkeypatch.setenv("MLCOURSE_RESULTS", str(path))
    monkeypatch.setenv("MLCOURSE_NOTEBOOK", "04_xor_mlp")
    monkeypatch.setenv("MLCOURSE_FAST", "0")
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    return path


def test_expect_records_value_bar_mode_and_coursework_value(results_file):
    assert results.expect("test_accuracy", 0.91, at_least=0.894, at_most=0.924) is None
    (record,) = json.loads(results_file.read_text())
    assert record["notebook"] == "04_xor_mlp" and record["metric"] == "test_accuracy"
    assert record["value"] == 0.91 and record["mode"] == "full" and record["passed"]
    assert record["bar"] == "in [0.894, 0.924]"
    assert record["coursework"] == 0.919 and record["coursework_note"] == "160 test points"
    assert "seed_value" not in record and "seed_note" not in record


def test_expect_prints_the_same_line_as_before(results_file, capsys):
    results.expect("test_accuracy", 0.91, at_least=0.894, note="n")
    assert capsys.readouterr().out == "passed: test_accuracy = 0.91  (bar >= 0.894 in full mode; coursework 0.919; n)\n"


def test_expect_raises_naming_metric_and_bar(results_file, capsys):
    with pytest.raises(results.BarMissed, match=r"04_xor_mlp: 'test_accuracy' = 0.5 is outside its bar >= 0.9 \(full mode\)"):
        results.expect("test_accuracy", 0.5, at_least=0.9)
    assert capsys.readouterr().out.startswith("FAILED: test_accuracy = 0.5  (bar >= 0.9 in full mode")
    (record,) = json.loads(results_file.read_text())
    assert record["passed"] is False


def test_expect_uses_fast_bar_only_in_fast_mode(results_file, monkeypatch):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    results.expect("acc", 0.6, at_least=0.9, fast_at_least=0.5)
    monkeypatch.setenv("MLCOURSE_FAST", "0")
    with pytest.raises(results.BarMissed):
        results.expect("acc", 0.6, at_least=0.9, fast_at_least=0.5)


def test_expect_keeps_one_record_per_metric_and_mode(results_file, monkeypatch):
    results.expect("acc", 0.95, at_least=0.9)
    results.expect("acc", 0.97, at_least=0.9)
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    results.expect("acc", 0.8, at_least=0.9, fast_at_least=0.5)
    records = json.loads(results_file.read_text())
    assert sorted((r["mode"], r["value"]) for r in records) == [("fast", 0.8), ("full", 0.97)]


def test_expect_without_bar_is_an_error(results_file):
    with pytest.raises(ValueError, match="give a bar"):
        results.expect("acc", 0.9)


def test_expect_rejects_inverted_band(results_file):
    with pytest.raises(ValueError, match="above at_most"):
        results.expect("acc", 0.9, at_least=0.95, at_most=0.9)


@pytest.mark.parametrize("bad, said", [
    (float("nan"), "value is NaN"), (float("inf"), "value is inf"), (-float("inf"), "value is -inf"),
    ("0.97", "got str '0.97'"), (True, "got bool True"), (np.bool_(True), "got bool np.True_"),
    (None, "got NoneType None"), ([0.9], "got list"), (np.array([0.9, 0.8]), "got ndarray")])
def test_expect_rejects_what_is_not_a_finite_real_number(results_file, bad, said):
    with pytest.raises(ValueError, match=r"expect\('acc'\)") as info:
        results.expect("acc", bad, at_least=0.5)
    assert said in str(info.value)
    assert not results_file.exists()


@pytest.mark.parametrize("bars, said", [
    ({"at_least": float("inf")}, "the bar at_least= is inf"),
    ({"at_most": float("nan")}, "the bar at_most= is NaN"),
    ({"at_least": 0.5, "fast_at_least": "0.4"}, "the bar fast_at_least= must be a finite real number, got str"),
    ({"at_least": True}, "the bar at_least= must be a finite real number, got bool")])
def test_expect_rejects_bars_that_are_not_finite_numbers(results_file, bars, said):
    with pytest.raises(ValueError) as info:
        results.expect("acc", 0.9, **bars)
    assert said in str(info.value) and "'acc'" in str(info.value)


@pytest.mark.parametrize("good", [1, np.float32(0.75), np.float64(0.75), np.int64(1), np.array(0.75)])
def test_expect_accepts_ints_and_numpy_scalars(results_file, good):
    results.expect("acc", good, at_least=0.5)
    (record,) = json.loads(results_file.read_text())
    assert record["value"] == float(good) and type(record["value"]) is float


def test_corrupt_kernel_results_file_names_the_fix(results_file):
    results_file.write_text("{not json")
    with pytest.raises(results.ResultsError, match="is not valid JSON.*delete it"):
        results.expect("acc", 0.9, at_least=0.5)


def test_results_module_is_portable_without_fcntl():
    tree = ast.parse(Path(results.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "fcntl" not in imported and "msvcrt" not in imported


def test_interactive_kernel_records_apart_under_its_session_name(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLCOURSE_RESULTS", raising=False)
    monkeypatch.delenv("MLCOURSE_NOTEBOOK", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "notebooks" / "04_xor_mlp.ipynb"))
    monkeypatch.setenv("MLCOURSE_FAST", "0")
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    results.expect("test_accuracy", 0.9, at_least=0.5)
    folder = tmp_path / "build" / "results"
    assert [p.name for p in folder.glob("*.json")] == []          # nothing the README could publish
    (record,) = json.loads((folder / "interactive" / "04_xor_mlp.full.json").read_text())
    assert record["notebook"] == "04_xor_mlp" and record["value"] == 0.9


def test_interactive_kernel_without_a_name_is_called_interactive(tmp_path, monkeypatch):
    for var in ("MLCOURSE_RESULTS", "MLCOURSE_NOTEBOOK", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    results.expect("acc", 0.9, at_least=0.5)
    assert (tmp_path / "build" / "results" / "interactive" / "interactive.fast.json").is_file()


def test_interactive_kernel_with_unwritable_build_still_checks(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLCOURSE_RESULTS", raising=False)
    monkeypatch.setenv("MLCOURSE_NOTEBOOK", "04_xor_mlp")
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    (tmp_path / "build").write_text("a file where build/ belongs")
    results.expect("acc", 0.9, at_least=0.5)
    out = capsys.readouterr().out
    assert "note: this interactive result was not recorded" in out and "passed: acc = 0.9" in out
    with pytest.raises(results.BarMissed):
        results.expect("acc", 0.1, at_least=0.5)


def test_record_files_are_standard_json(results_file):
    results.expect("acc", 0.9, at_least=0.5)
    text = results_file.read_text()
    assert "Infinity" not in text and "NaN" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "x.txt"
    results.atomic_write_text(target, "old")
    results.atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_atomic_write_keeps_readable_permissions(tmp_path):
    target = tmp_path / "nb.ipynb"
    results.atomic_write_text(target, "{}")
    assert target.stat().st_mode & 0o044 == 0o044  # group and others can read, as with open()
    target.chmod(0o640)
    results.atomic_write_text(target, "{}")
    assert target.stat().st_mode & 0o777 == 0o640


def test_remove_stale_temporaries_removes_only_old_ones(tmp_path):
    old, new = tmp_path / ".x.json.abc.tmp", tmp_path / ".y.json.def.tmp"
    old.write_text("half")
    new.write_text("half")
    os.utime(old, (0, 0))
    assert results.remove_stale_temporaries(tmp_path, older_than=60) == [old]
    assert not old.exists() and new.exists()


def _record(notebook="04_xor_mlp", metric="acc", mode="full", value=0.9):
    return {"notebook": notebook, "metric": metric, "value": value, "bar": ">= 0.5", "mode": mode,
            "passed": True, "coursework": None, "coursework_note": "", "note": ""}


def test_run_results_file_round_trip_keeps_only_its_notebook_and_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    records = [_record(metric="b"), _record(metric="a"), _record(mode="fast"), _record(notebook="other")]
    path = results.write_run_results("04_xor_mlp", "full", records, status="ok", seconds=12.34,
                                     source_hash="abc", run={"jobs": 2})
    assert path == tmp_path / "build" / "results" / "04_xor_mlp.full.json"
    data = results.load_run_results(path)
    assert [r["metric"] for r in data["records"]] == ["a", "b"]
    assert (data["status"], data["seconds"], data["source_hash"], data["run"]) == ("ok", 12.3, "abc", {"jobs": 2})
    assert results.check_results_files() == []


def test_load_run_results_refuses_an_interactive_list_of_records(tmp_path):
    path = tmp_path / "04_xor_mlp.full.json"
    path.write_text(json.dumps([_record()]))
    with pytest.raises(results.ResultsError, match="not written by `python -m mlcourse run`.*"
                       r"run notebooks/04_xor_mlp.ipynb` to remake it"):
        results.load_run_results(path)


def test_check_results_files_names_corrupt_and_misnamed_files(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    results.write_run_results("04_xor_mlp", "full", [_record()], status="ok", seconds=1)
    good = tmp_path / "build" / "results" / "04_xor_mlp.full.json"
    (good.parent / "05_digits_perceptron.full.json").write_text("{truncated")
    (good.parent / "06_jet_tagging.fast.json").write_text(good.read_text())
    problems = dict(results.check_results_files())
    assert set(p.name for p in problems) == {"05_digits_perceptron.full.json", "06_jet_tagging.fast.json"}
    assert "is not valid JSON" in problems[good.parent / "05_digits_perceptron.full.json"]
    assert "not of its file name" in problems[good.parent / "06_jet_tagging.fast.json"]


def test_write_run_results_rejects_unknown_status(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    with pytest.raises(ValueError, match="status must be 'ok' or 'failed'"):
        results.write_run_results("x", "full", [], status="maybe", seconds=1)


# --------------------------------------------------------------------------- claims


def test_claim_that_holds_prints_and_records_it(results_file, capsys):
    assert results.claim("Adam ends above SGD", np.float64(0.74) > 0.68, adam=0.74, sgd=np.float32(0.68)) is None
    assert capsys.readouterr().out.startswith("claim holds: Adam ends above SGD  (adam=0.74, sgd=0.68")
    (record,) = json.loads(results_file.read_text())
    assert record["kind"] == "claim" and record["holds"] is True and record["claim"] == "Adam ends above SGD"
    assert results.is_claim(record) and record["values"]["adam"] == 0.74


def test_false_claim_stops_a_full_run_naming_the_sentence(results_file, monkeypatch, capsys):
    monkeypatch.setenv("MLCOURSE_CLAIMS", "stop")      # as the runner sets it
    with pytest.raises(results.ClaimFailed, match="states 'training accuracy is optimistic'"):
        results.claim("training accuracy is optimistic", 0.926 > 0.938, train=0.926, val=0.938)
    assert "CLAIM FALSE" in capsys.readouterr().out
    (record,) = json.loads(results_file.read_text())
    assert record["holds"] is False and record["passed"] is False


def test_false_claim_is_recorded_but_does_not_stop_fast_mode_or_a_seed_study(results_file, monkeypatch, capsys):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    results.claim("a", False)
    assert "not checked in fast mode" in capsys.readouterr().out
    monkeypatch.setenv("MLCOURSE_FAST", "0")
    monkeypatch.setenv("MLCOURSE_SEED", "3")
    results.claim("b", False)
    results.expect("acc", 0.1, at_least=0.9)      # a seed study measures every bar
    assert "seed study" in capsys.readouterr().out
    records = {r["metric"]: r for r in json.loads(results_file.read_text())}
    assert records["claim: a"]["holds"] is False and records["acc"]["passed"] is False


@pytest.mark.parametrize("holds", [0.5, 1, "yes", None])
def test_claim_refuses_a_holds_that_is_not_a_bool(results_file, holds):
    with pytest.raises(ValueError, match="holds must be a bool"):
        results.claim("x", holds)


def test_claim_refuses_values_that_are_not_finite(results_file):
    with pytest.raises(ValueError, match="not a finite number"):
        results.claim("x", True, acc=float("nan"))


def test_claims_stay_out_of_the_results_table_and_are_counted_in_the_closing_table(results_file):
    from mlcourse import report, runner

    results.expect("test_accuracy", 0.91, at_least=0.894)
    results.claim("x holds", True)
    records = json.loads(results_file.read_text())
    run = runner.NotebookRun(path=Path("04_xor_mlp.ipynb"), status="ok", metrics=records)
    table = runner.format_table([run])
    assert "claims" in table and "1 hold" in table
    assert "claim" not in report.results_table([dict(r, notebook="04_xor_mlp") for r in records])


def test_false_claim_in_a_students_full_run_says_so_without_stopping(results_file, monkeypatch, capsys):
    monkeypatch.delenv("MLCOURSE_CLAIMS", raising=False)
    results.claim("training accuracy is optimistic", False)
    assert "in your run this does not hold" in capsys.readouterr().out


def test_runner_kernels_stop_on_false_claims_and_never_inherit_a_seed_study():
    from mlcourse import runner

    env = runner.kernel_environment("x", False, Path("r.json"), 1)
    assert env["MLCOURSE_CLAIMS"] == "stop" and "MLCOURSE_SEED" not in env
