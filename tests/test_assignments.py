"""The nbgrader source format and student versions (mlcourse.tools.assignments), without grading.

Unit tests use small notebooks built here; the per-notebook tests hold every
``notebooks/NN_*.ipynb`` to the format of ``docs/instructors.md``. The real
round trip (release, autograde, feedback) is in ``test_roundtrip.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlcourse import config
from mlcourse.notebooks import read_notebook
from mlcourse.tools import assignments as asg

ROOT = config.project_root()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def _meta(kind: str, grade_id: str, points: float | None = None, answer: bool = False) -> dict:
    nbg = {"schema_version": 3, "grade_id": grade_id, "locked": False, "solution": False, "grade": False}
    if kind == "task":
        nbg["solution"] = True
    elif kind == "test":
        nbg.update(grade=True, locked=True, points=points)
    elif kind == "answer":
        nbg.update(solution=True, grade=True, points=points)
    meta = {"nbgrader": nbg}
    if answer:
        meta["tags"] = ["answer"]
    return meta


TASK_SOURCE = ("# Task: average the numbers 1 to 10. Define `m`.\n"
               "### BEGIN SOLUTION\nm = SECRETMEAN(np.arange(1, 11))\n### END SOLUTION\nprint(m)")


def toy_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# Toy"),
        new_code_cell("import mlcourse.config\n\ncfg = mlcourse.config.start(seed=0)"),
        new_code_cell("import numpy as np\nfrom mlcourse.results import expect\nSECRETMEAN = np.mean"),
        new_code_cell(TASK_SOURCE, metadata=_meta("task", "task_mean")),
        new_code_cell('expect("toy_mean", m, at_least=5.5, at_most=5.5)', metadata=_meta("test", "test_mean", 2)),
        new_code_cell('assert m > 0, "m should be positive"\n### BEGIN HIDDEN TESTS\nassert m == 5.5\n'
                      '### END HIDDEN TESTS', metadata=_meta("test", "test_hidden", 1)),
        new_markdown_cell("**Question.** Why is the mean 5.5?"),
        new_code_cell('Markdown(f"SECRETANSWER: the mean of 1..10 is {m}.")',
                      metadata=_meta("answer", "answer_why", 1, answer=True)),
    ])


# --------------------------------------------------------------------------- regions and names


def test_solution_regions_are_found_by_their_delimiter_lines():
    assert asg.solution_regions(TASK_SOURCE) == [(1, 3)]
    assert asg.without_solutions(TASK_SOURCE).splitlines() == [
        "# Task: average the numbers 1 to 10. Define `m`.", "print(m)"]


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "is never closed"),
    ("x = 1\n### END SOLUTION", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside an open region"),
])
def test_unbalanced_solution_regions_are_rejected(source, message):
    with pytest.raises(ValueError, match=message):
        asg.solution_regions(source)


def test_mlcourse_names_follow_imports_and_attributes():
    source = ("import mlcourse.config\nfrom mlcourse import plots\nfrom mlcourse.data.jets import load_jets\n"
              "from mlcourse.data import calcium as ca\n"
              "cfg = mlcourse.config.start(seed=0)\nplots.plot_confusion_matrix(1)\nca.stream(2)\n")
    assert asg.mlcourse_names(source) == {
        "mlcourse.config.start", "mlcourse.plots.plot_confusion_matrix", "mlcourse.data.jets.load_jets",
        "mlcourse.data.calcium.stream"}


def test_mlcourse_names_carry_module_imports_across_cells():
    modules: dict[str, str] = {}
    assert asg.mlcourse_names("from mlcourse.data import sine_waves", modules) == set()
    assert asg.mlcourse_names("sine_waves.prepare()\nprint(sine_waves.SOURCE)", modules) == {
        "mlcourse.data.sine_waves.prepare", "mlcourse.data.sine_waves.SOURCE"}


def test_allowed_names_are_listed_name_by_name():
    assert asg.allowed_name("mlcourse.config.start")
    assert asg.allowed_name("mlcourse.data.calcium.anything")        # the whole data module is allowed
    assert not asg.allowed_name("mlcourse.plots.plot_confusion_matrix")  # exercises ask students for it
    assert not asg.allowed_name("mlcourse.models.build_mlp")


# --------------------------------------------------------------------------- the format check


def test_toy_notebook_passes_the_check():
    assert asg.check_source(toy_notebook()) == []


@pytest.mark.parametrize("change, problem", [
    (lambda nb: nb.cells[3].update(source=TASK_SOURCE.replace("# Task: ", "# ")), "no '# Task:' line"),
    (lambda nb: nb.cells[3].update(source=TASK_SOURCE.replace("m = SECRET", "expect('m', 1, at_least=0)\nm = SECRET")),
     "expect(...) inside a solution region"),
    (lambda nb: nb.cells[4].update(source='y = expect("toy_mean", m, at_least=5)'), "returns nothing"),
    (lambda nb: nb.cells[4].update(source='m'), "must not end in a value"),
    (lambda nb: nb.cells[4].metadata.nbgrader.update(locked=False), "test cell must be locked"),
    (lambda nb: nb.cells[5].metadata.nbgrader.update(grade_id="test_mean"), "also used by cell 5"),
    (lambda nb: nb.cells[5].metadata.nbgrader.update(points=0), "needs points > 0"),
    (lambda nb: nb.cells[7].update(source='text = f"{m}"\nMarkdown(text)') or
     nb.cells.append(new_code_cell("print(text)")), "answer cell defines text"),
    (lambda nb: nb.cells[2].update(source=nb.cells[2].source + "\nfrom mlcourse.models import build_mlp"),
     "uses mlcourse.models.build_mlp"),
    (lambda nb: nb.cells[1].metadata.update(tags=["solution"]), "'solution' tag is retired"),
    (lambda nb: nb.cells[1].update(source="# NBVAL_CHECK_OUTPUT\nx = 1"), "use the cell tag"),
    (lambda nb: nb.cells.append(new_code_cell('expect("x", 1, at_least=0)')), "outside a test cell"),
    (lambda nb: nb.cells[3].update(source="m = 5.5"), "needs '### BEGIN SOLUTION'"),
])
def test_check_names_each_format_problem(change, problem):
    nb = toy_notebook()
    change(nb)
    problems = asg.check_source(nb)
    assert any(problem in p for p in problems), problems


def test_student_version_clears_solutions_answers_and_hidden_tests():
    student = asg.student_version(toy_notebook())
    text = nbformat.writes(student)
    assert "SECRETMEAN(" not in text and "SECRETANSWER" not in text and "m == 5.5" not in text
    task, answer = student.cells[3], student.cells[7]
    assert task.source.splitlines() == ["# Task: average the numbers 1 to 10. Define `m`.", "# YOUR CODE HERE",
                                        "raise NotImplementedError()", "print(m)"]
    assert (answer.cell_type, answer.source) == ("markdown", asg.ANSWER_PROMPT)
    assert student.cells[4].source == toy_notebook().cells[4].source      # visible check kept
    assert student.cells[4].metadata["editable"] is False                 # and read-only
    assert student.cells[5].source.strip() == 'assert m > 0, "m should be positive"'


def test_summary_counts_tasks_tests_answers_and_points():
    assert asg.summary(toy_notebook()) == {"tasks": 1, "tests": 2, "hidden tests": 1, "answers": 1,
                                           "test points": 3.0, "answer points": 1.0}


def test_grading_a_missing_folder_names_the_expected_layout(tmp_path):
    with pytest.raises(asg.AssignmentError, match="one sub-folder per student"):
        asg.grade_submissions(tmp_path / "nothere", tmp_path / "grades")
    (tmp_path / "empty").mkdir()
    with pytest.raises(asg.AssignmentError, match="no student folders"):
        asg.grade_submissions(tmp_path / "empty", tmp_path / "grades")


def test_a_grading_worker_that_dies_costs_only_its_submission(tmp_path):
    worker = asg._GradingWorker()
    try:
        task = {"work": str(tmp_path / "no-such-folder"), "student": "ann", "name": "99_toy", "fast": True, "env": {}}
        failure = worker.run(task)
        assert failure and "grading worker stopped" in failure and "no-such-folder" in failure
        assert worker.proc is None
        (tmp_path / "work").mkdir()
        task["work"], task["name"] = str(tmp_path / "work"), "no-such-assignment"
        assert worker.run(task) is None   # a new process took the next task
        report = (tmp_path / "work" / "report.json").read_text()
        assert "no-such-assignment" in report or "autograde failed" in report
    finally:
        worker.close()


def test_grading_starts_the_longest_notebooks_first(tmp_path, monkeypatch):
    from mlcourse import runner

    names = ("01_a", "02_b", "03_c")
    times = {"01_a": 5.0, "02_b": 50.0, "03_c": 20.0}   # last fast runs
    monkeypatch.setattr(runner, "run_results_path", lambda name, mode: tmp_path / f"{name}.{mode}.json")
    for name, seconds in times.items():
        (tmp_path / f"{name}.fast.json").write_text(f'{{"seconds": {seconds}}}')
    for student in ("ann", "bob"):
        for name in names:
            (tmp_path / "subs" / student).mkdir(parents=True, exist_ok=True)
            (tmp_path / "subs" / student / f"{name}.ipynb").write_text("{}")
    order = []

    def fake_grade(course, sub, work, fast, worker=None):
        order.append((sub.notebook, sub.student))
        return sub

    monkeypatch.setattr(asg, "prepare_course", lambda notebooks, course: None)
    monkeypatch.setattr(asg, "graded_cells", lambda path: [])
    monkeypatch.setattr(asg, "grade_one", fake_grade)
    monkeypatch.setattr(asg, "merge_into_course", lambda course, results, work: None)
    asg.grade_submissions(tmp_path / "subs", tmp_path / "grades", jobs=1, fast=True,
                          notebooks=[Path(f"notebooks/{n}.ipynb") for n in names], log=lambda m: None)
    assert order == [("02_b", "ann"), ("02_b", "bob"), ("03_c", "ann"), ("03_c", "bob"),
                     ("01_a", "ann"), ("01_a", "bob")]


def test_grade_command_without_submissions_says_how(capsys):
    with pytest.raises(SystemExit):
        asg.main(["grade"])
    assert "SUBMISSIONS" in capsys.readouterr().err


# --------------------------------------------------------------------------- every notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_valid_nbgrader_source(path):
    problems = asg.check_source(read_notebook(path))
    assert not problems, f"{path.name} (see docs/instructors.md):\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_reveals_no_solution_and_keeps_every_check(path):
    source = read_notebook(path)
    student = asg.student_version(source)
    assert asg.solution_lines(source), f"{path.name}: no solution text to hide?"
    leaked = asg.leaked_lines(source, student)
    assert not leaked, f"solution text in the student version of {path.name}: {leaked[:3]}"
    assert all(c.get("outputs", []) == [] for c in student.cells)
    tests = [c for c in source.cells if asg.role(c) == "test"]
    kept = [c for c in student.cells if asg.role(c) == "test"]
    assert [asg.nbgrader_meta(c)["grade_id"] for c in tests] == [asg.nbgrader_meta(c)["grade_id"] for c in kept]
    for before, after in zip(tests, kept):
        visible = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", before.source, flags=re.S)
        assert after.source.strip() == visible.strip()
        assert after.metadata.get("editable") is False
    checks = sum(len(re.findall(r"\bexpect\(", c.source)) for c in source.cells)
    assert checks and checks == sum(len(re.findall(r"\bexpect\(", c.source)) for c in student.cells)
    answers = [c for c in student.cells if asg.role(c) == "answer"]
    assert answers and all(c.cell_type == "markdown" and c.source == asg.ANSWER_PROMPT for c in answers)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_code_parses(path):
    import warnings

    from IPython.core.inputtransformer2 import TransformerManager

    for index, cell in enumerate(asg.student_version(read_notebook(path)).cells):
        if cell.cell_type == "code":
            python = TransformerManager().transform_cell(cell.source)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(python, f"{path.name} cell {index}", "exec")
