"""mlcourse.results.expect: records, bars, and clear failures."""

import json

import pytest

from mlcourse import results


@pytest.fixture
def results_file(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    monkeypatch.setenv("MLCOURSE_RESULTS", str(path))
    monkeypatch.setenv("MLCOURSE_NOTEBOOK", "04_xor_mlp")
    monkeypatch.setenv("MLCOURSE_FAST", "0")
    return path


def test_expect_records_value_bar_mode_and_seed_value(results_file):
    assert results.expect("test_accuracy", 0.91, at_least=0.894, at_most=0.924) is None
    (record,) = json.loads(results_file.read_text())
    assert record["notebook"] == "04_xor_mlp" and record["metric"] == "test_accuracy"
    assert record["value"] == 0.91 and record["mode"] == "full" and record["passed"]
    assert record["bar"] == "in [0.894, 0.924]"
    assert record["seed_value"] == 0.919


def test_expect_raises_naming_metric_and_bar(results_file):
    with pytest.raises(results.BarMissed, match=r"04_xor_mlp: 'test_accuracy' = 0.5 is outside its bar >= 0.9 \(full mode\)"):
        results.expect("test_accuracy", 0.5, at_least=0.9)
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


@pytest.mark.parametrize("bad", [float("nan"), "high", None])
def test_expect_rejects_non_numbers(results_file, bad):
    with pytest.raises(ValueError, match="value"):
        results.expect("acc", bad, at_least=0.5)


def test_corrupt_results_file_names_the_fix(results_file):
    results_file.write_text("{not json")
    with pytest.raises(ValueError, match="delete it and re-run"):
        results.expect("acc", 0.9, at_least=0.5)


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


def test_replace_notebook_results_drops_stale_metrics(results_file):
    results.expect("old_metric", 0.9, at_least=0.5)
    results.expect("kept", 0.9, at_least=0.5)
    new = {"notebook": "04_xor_mlp", "metric": "kept", "value": 0.95, "mode": "full", "bar": ">= 0.5"}
    other = {"notebook": "05_digits_perceptron", "metric": "m", "value": 1.0, "mode": "full", "bar": ">= 0"}
    results.record_result(other)
    results.replace_notebook_results("04_xor_mlp", "full", [new])
    records = json.loads(results_file.read_text())
    assert sorted((r["notebook"], r["metric"], r["value"]) for r in records) == [
        ("04_xor_mlp", "kept", 0.95), ("05_digits_perceptron", "m", 1.0)]
