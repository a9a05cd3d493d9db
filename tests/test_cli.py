"""The command line: one parser lists every command and hands each to its module."""

import subprocess
import sys

import pytest

from mlcourse import export, runner
from mlcourse.tools import assignments, cli

COMMANDS = ["run", "data", "readme", "html", "pdf", "check", "handouts", "grade"]


def test_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "mlcourse", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ") and
              line.split() and not line.startswith("     ")]
    assert listed == COMMANDS


def test_one_parser_holds_every_command():
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert list(sub.choices) == COMMANDS


@pytest.mark.parametrize("command", ["check", "handouts", "grade"])
def test_assignment_commands_go_to_the_assignments_module(monkeypatch, command):
    seen = []
    monkeypatch.setattr(assignments, "main", lambda argv: seen.append(list(argv)) or 7)
    assert cli.main([command, "x", "--flag"]) == 7
    assert seen == [[command, "x", "--flag"]]


@pytest.mark.parametrize("command", ["html", "pdf"])
def test_export_commands_go_to_the_export_module(monkeypatch, command):
    seen = []
    monkeypatch.setattr(export, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main([command, "--out", "d"]) == 0
    assert seen == [[command, "--out", "d"]]


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("value, expected", [("auto", "auto"), ("2", 2), ("0", "auto")])
def test_run_jobs_accepts_auto_or_a_count(value, expected):
    args = cli.build_parser().parse_args(["run", "--jobs", value])
    assert args.jobs == expected and args.func is not None


def test_run_jobs_rejects_nonsense(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--jobs", "many"])
    assert "expected 'auto' or a positive integer, got 'many'" in capsys.readouterr().err


def test_runner_main_is_the_same_command_line(tmp_path, capsys):
    assert runner.main(["run", str(tmp_path / "missing.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_readme_command_reports_what_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "01_x.ipynb")
    (tmp_path / "README.md").write_text("<!-- notebooks:start -->\n<!-- notebooks:end -->\n"
                                        "<!-- results:start -->\n<!-- results:end -->\n<!-- spreads:start -->\n<!-- spreads:end -->\n"
                      "<!-- threads:start -->\n<!-- threads:end -->\n")
    assert cli.main(["readme"]) == 1
    err = capsys.readouterr().err
    assert "no full-mode results for 01_x" in err and "python -m mlcourse run notebooks/01_x.ipynb" in err
