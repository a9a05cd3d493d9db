"""The assignment round trip with the real nbgrader, in fast mode, for every notebook.

One module-scoped run does what an instructor does: ``make_handouts`` (nbgrader
``generate_assignment``, plus the student bundle), then ``grade_submissions``
(nbgrader ``autograde`` and ``generate_feedback``, two notebooks at a time) on
three kinds of submission:

(a) ``solved_NN``: the source notebook with its solutions, as if a student had
    written them: every autograded test must pass;
(b) ``blank_NN``: the untouched student version: it runs to the end, and every
    test that reads a name a task defines scores 0;
(c) ``weak``: notebook 05 with its perceptron trained for one epoch: the tests
    that judge accuracy fail, the others pass.

(d) The student bundle's notebooks start (their first cells run) with the
    package and data of the bundle alone.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from mlcourse import config
from mlcourse.notebooks import read_notebook, write_notebook
from mlcourse.tools import assignments as asg

ROOT = config.project_root()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
WEAK = "05_digits_perceptron"
EPOCHS_LINE = re.compile(r"^(\s*)EPOCHS\s*=.*$", re.M)


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roundtrip")
    published = lambda: {p: p.read_bytes() for p in sorted((ROOT / "build" / "results").glob("*.json"))}
    before = published()
    released = asg.make_handouts(NOTEBOOKS, tmp / "handouts", course=tmp / "course", bundle=tmp / "student")
    subs = tmp / "submissions"
    for path in NOTEBOOKS:
        name = path.stem
        (subs / f"solved_{name[:2]}").mkdir(parents=True)
        shutil.copyfile(path, subs / f"solved_{name[:2]}" / path.name)
        (subs / f"blank_{name[:2]}").mkdir(parents=True)
        shutil.copyfile(released[name], subs / f"blank_{name[:2]}" / path.name)
    weak = read_notebook(ROOT / "notebooks" / f"{WEAK}.ipynb")
    changed = 0
    for cell in weak.cells:
        if asg.role(cell) == "task" and EPOCHS_LINE.search(cell.source):
            cell.source, n = EPOCHS_LINE.subn(r"\1EPOCHS = 1", cell.source)
            changed += n
    assert changed == 1, f"{WEAK} should set EPOCHS in exactly one line of a task"
    (subs / "weak").mkdir()
    write_notebook(weak, subs / "weak" / f"{WEAK}.ipynb")
    # `make grade` passes relative folders; the workers run elsewhere and must still find them
    with open(tmp / "grading.log", "w") as log, pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp)   # what `make grade` prints is kept for a failing test
        results = asg.grade_submissions(Path("submissions"), Path("grades"), jobs=2, fast=True,
                                        notebooks=NOTEBOOKS, log=lambda m: print(m, file=log, flush=True))
    with open(tmp / "grades" / "scores.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    after = published()
    return {"tmp": tmp, "released": released, "results": {(r.student, r.notebook): r for r in results},
            "rows": rows, "project_results_changed": before != after}


def _rows(roundtrip, student, notebook):
    return [r for r in roundtrip["rows"] if r["student"] == student and r["notebook"] == notebook]


def _read_names(source: str) -> set[str]:
    import ast

    tree = asg._parse_python(source)
    if tree is None:
        return set(re.findall(r"\b\w+\b", source))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _tests_of_tasks(nb) -> list[str]:
    """The tests that read, directly or through earlier cells, a name that a task defines."""
    tainted: set[str] = set()
    tests = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kind = asg.role(cell)
        if kind == "task":
            lines = cell.source.splitlines()
            for begin, end in asg.solution_regions(cell.source):
                region = "\n".join(lines[begin + 1:end])
                tainted.update(asg.defined_names(textwrap.dedent(region)))
                tainted.update(re.findall(r"^\s*(\w+)\s*(?:,\s*\w+\s*)*=[^=]", region, re.M))
            tainted.update(asg.defined_names(cell.source))   # e.g. a function whose body is the task
        elif kind == "test":
            if _read_names(cell.source) & tainted:
                tests.append(asg.nbgrader_meta(cell)["grade_id"])
        elif kind != "answer" and _read_names(cell.source) & tainted:
            tainted.update(asg.defined_names(cell.source))
    return tests


def test_scores_csv_has_a_row_per_student_notebook_and_graded_cell(roundtrip):
    students = {r["student"] for r in roundtrip["rows"]}
    assert len(students) == 2 * len(NOTEBOOKS) + 1
    expected = sum(len(asg.graded_cells(p)) for p in NOTEBOOKS)
    assert len(roundtrip["rows"]) == len(students) * expected
    assert list(roundtrip["rows"][0]) == ["student", "notebook", "test", "points", "max_points", "status"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_source_solutions_earn_every_autograded_point(roundtrip, path):
    student = f"solved_{path.stem[:2]}"
    sub = roundtrip["results"][(student, path.stem)]
    assert not sub.errors, sub.errors
    tests = [r for r in _rows(roundtrip, student, path.stem) if r["test"].startswith("test")
             or r["status"] in ("passed", "failed")]
    assert tests, f"{path.name} has no autograded test"
    failed = [r["test"] for r in tests if r["status"] != "passed" or float(r["points"]) != float(r["max_points"])]
    assert not failed, f"{path.name}: the instructor's solution fails {failed}; see {roundtrip['tmp']}/grades"
    answers = [r for r in _rows(roundtrip, student, path.stem) if r["status"] == "needs manual grading"]
    assert answers, "written answers are graded by hand"
    assert (roundtrip["tmp"] / "grades" / "feedback" / student / f"{path.stem}.html").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_untouched_student_version_runs_to_the_end_and_scores_zero(roundtrip, path):
    student = f"blank_{path.stem[:2]}"
    sub = roundtrip["results"][(student, path.stem)]
    assert not sub.errors, sub.errors
    graded = read_notebook(roundtrip["tmp"] / "grades" / "autograded" / student / path.name)
    code = [c for c in graded.cells if c.cell_type == "code"]
    assert code[-1].execution_count is not None, "the autograder did not reach the last cell"
    assert not [c for c in code for o in c.outputs if o.get("ename") in ("CellTimeoutError", "DeadKernelError")]
    rows = {r["test"]: r for r in _rows(roundtrip, student, path.stem)}
    of_tasks = _tests_of_tasks(read_notebook(path))
    assert of_tasks, f"no test of {path.name} reads what a task defines"
    scored = [t for t in of_tasks if float(rows[t]["points"]) != 0]
    assert not scored, f"{path.name}: tests of unanswered tasks scored points: {scored}"
    answers = [r for r in rows.values() if r["status"] in ("not answered", "needs manual grading", "graded")]
    assert answers and all(r["status"] == "not answered" and float(r["points"]) == 0 for r in answers)


def test_two_grading_processes_grade_all_submissions_one_after_another(roundtrip):
    logs = sorted((roundtrip["tmp"] / "grades" / "work").glob("*/*/grading.log"))
    assert len(logs) == len(roundtrip["results"])
    heads = [log.read_text().splitlines()[0] for log in logs]
    assert all(h.startswith("grading worker (process ") for h in heads), heads[:2]
    assert len({h.split(")")[0] for h in heads}) <= 2   # --jobs 2, no worker died


def test_course_gradebook_holds_every_graded_submission_for_the_formgrader(roundtrip):
    from nbgrader.api import Gradebook

    course = roundtrip["tmp"] / "grades" / "course"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for (student, name), sub in roundtrip["results"].items():
            notebook = gb.find_submission_notebook(name, name, student)
            rows = [r for r in _rows(roundtrip, student, name) if r["status"] in ("passed", "failed")]
            assert notebook.code_score == pytest.approx(sum(float(r["points"]) for r in rows))
            assert (course / "autograded" / student / name / f"{name}.ipynb").is_file()
        assert gb.find_submission_notebook(WEAK, WEAK, "solved_05").needs_manual_grade  # written answers


def test_weak_submission_fails_the_accuracy_tests_only(roundtrip):
    sub = roundtrip["results"][("weak", WEAK)]
    assert not sub.errors, sub.errors
    rows = [r for r in _rows(roundtrip, "weak", WEAK) if r["status"] in ("passed", "failed")]
    accuracy = [r for r in rows if "accuracy" in r["test"]]
    assert accuracy, "notebook 05 has no test that judges accuracy"
    assert all(r["status"] == "failed" and float(r["points"]) == 0 for r in accuracy), accuracy
    others = [r for r in rows if "accuracy" not in r["test"]]
    assert others and all(r["status"] == "passed" for r in others), others


def test_grading_writes_nothing_into_the_project(roundtrip):
    assert not roundtrip["project_results_changed"], "grading wrote into build/results/"
    for sub in roundtrip["results"].values():
        assert (roundtrip["tmp"] / "grades" / "work" / sub.student / sub.notebook / "results.json").is_file() \
            or sub.student.startswith("blank_")
    for path in NOTEBOOKS:
        assert "YOUR CODE HERE" not in path.read_text()


def test_bundle_holds_student_notebooks_package_data_and_readme(roundtrip):
    bundle = roundtrip["tmp"] / "student"
    assert sorted(p.name for p in (bundle / "notebooks").glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert (bundle / "src" / "mlcourse" / "config.py").is_file()
    assert (bundle / "pyproject.toml").is_file() and (bundle / "requirements.lock").is_file()
    for line in (ROOT / "data" / "MANIFEST").read_text().splitlines():
        if line and not line.startswith("#"):
            assert (bundle / "data" / line.split()[1]).is_file()
    readme = (bundle / "README.md").read_text()
    assert "pip install -r requirements.lock" in readme and "jupyter lab" in readme
    for path in NOTEBOOKS:
        leaked = asg.leaked_lines(read_notebook(path), read_notebook(bundle / "notebooks" / path.name))
        assert not leaked, f"the bundle's {path.name} holds solution text: {leaked[:2]}"
    package = "\n".join(p.read_text() for p in (bundle / "src").rglob("*.py"))
    for path in NOTEBOOKS:
        long_lines = [s for s in asg.solution_lines(read_notebook(path)) if len(s) >= 40]
        assert not [s for s in long_lines if s in package], f"the bundle's package holds {path.name}'s solutions"


def test_bundle_notebooks_start_from_the_bundle_alone(roundtrip):
    """The first code cells (start and imports) of every bundle notebook run on the bundle's package."""
    from nbclient import NotebookClient

    bundle = roundtrip["tmp"] / "student"
    env = dict(os.environ)
    env.pop("MLCOURSE_ROOT", None)
    env["PYTHONPATH"] = str(bundle / "src")
    env[config.FAST_ENV] = "1"
    env[config.RESULTS_ENV] = str(roundtrip["tmp"] / "bundle-results.json")
    client = NotebookClient(new_notebook(), timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(bundle / "notebooks")}})
    with client.setup_kernel(env=env):
        for path in sorted((bundle / "notebooks").glob("*.ipynb")):
            nb = read_notebook(path)
            first = [c for c in nb.cells if c.cell_type == "code"][:2]
            cells = first + [new_code_cell(
                "import mlcourse, mlcourse.config\n"
                "print(mlcourse.__file__)\nprint(mlcourse.config.project_root())")]
            client.nb.cells = cells
            for index, cell in enumerate(cells):
                client.execute_cell(cell, index)   # raises CellExecutionError on any error
            printed = "".join(o.get("text", "") for o in cells[-1].outputs).split()
            assert printed[0].startswith(str(bundle / "src")), f"{path.name} imported {printed[0]}"
            assert Path(printed[1]) == bundle, f"{path.name}: project root {printed[1]}"
