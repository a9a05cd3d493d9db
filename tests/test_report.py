"""README tables are generated from results, never typed."""

import pytest

from mlcourse import report


def test_results_table_lists_full_mode_records_only(monkeypatch):
    records = [
        {"notebook": "04_xor_mlp", "metric": "test_accuracy", "value": 0.9, "bar": ">= 0.89", "mode": "full",
         "passed": True, "seed_value": 0.919, "seed_note": "160 test points", "note": ""},
        {"notebook": "04_xor_mlp", "metric": "test_accuracy", "value": 0.5, "bar": ">= 0.4", "mode": "fast",
         "passed": True, "seed_value": 0.919, "seed_note": "", "note": ""},
    ]
    table = report.results_table(records)
    assert "| 04_xor_mlp | test_accuracy | 0.9 | >= 0.89 | yes | 0.919 | coursework: 160 test points |" in table
    assert "0.5" not in table


def test_update_readme_requires_markers(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text("no markers here\n")
    build = tmp_path / "build"
    build.mkdir()
    (build / "results.json").write_text('[{"notebook": "x", "metric": "m", "value": 1, "bar": ">= 0", "mode": "full"}]')
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    with pytest.raises(ValueError, match="markers"):
        report.update_readme(readme)


def test_update_readme_without_full_results_says_run_first(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:start -->\n<!-- results:end -->\n")
    with pytest.raises(ValueError, match="make run"):
        report.update_readme(readme)
