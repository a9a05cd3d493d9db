"""Assignments with nbgrader: the source format, student versions, the student bundle, grading.

::

    python -m mlcourse check    [NOTEBOOK ...]                 # is each notebook a valid source notebook?
    python -m mlcourse handouts [NOTEBOOK ...] [--out DIR]      # student versions + build/student/ bundle
    python -m mlcourse grade SUBMISSIONS [--jobs N] [--fast]    # autograde, scores.csv, feedback

Every notebook in ``notebooks/`` is an nbgrader *source* notebook (the format
is described in ``docs/instructors.md``). Student versions are made by
nbgrader's own ``generate_assignment`` in a course folder, ``build/course/``
(one nbgrader assignment per notebook, gradebook ``build/course/gradebook.db``),
with one preprocessor of ours in front of nbgrader's:
:class:`AnswerCellsToMarkdown`, which turns the instructor's generated answers
(code cells tagged ``answer`` that render Markdown from the run) into
manually graded Markdown answer cells. We use the real ``generate_assignment``
rather than its preprocessors alone because grading needs the gradebook it
writes (cell checksums, points, the source of every locked and test cell), so
an instructor can also drive nbgrader by hand in ``build/course/``
(``nbgrader_config.py`` is written there).

Grading: ``nbgrader autograde`` runs one notebook after another and keeps its
gradebook in SQLite, which does not take several writers. So each submission is
graded in a private copy of the course folder (its own copy of the gradebook,
made after ``generate_assignment``) by a worker process, ``--jobs`` of them at
once, each worker grading one submission after another (a worker that dies
costs only the submission it was grading); the parent is the only writer of
the results: ``scores.csv``, the feedback pages and the autograded notebooks
under ``build/grades/``, and the course's own gradebook,
``build/grades/course/gradebook.db``, into which it copies every worker's
grades, so nbgrader's formgrader works there for the written answers. Nothing
is written to ``build/results/``, the README or ``notebooks/``: each
worker's kernels record their metrics in the worker's own folder.
"""

from __future__ import annotations

import argparse
import ast
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import nbformat
from nbconvert.preprocessors import Preprocessor

from .. import config
from ..notebooks import NotANotebookError, find_notebooks, read_notebook

#: The nbgrader metadata schema the source notebooks use.
SCHEMA_VERSION = 3
#: Cell tag of a code cell whose output is the instructor's written answer.
ANSWER_TAG = "answer"
#: What nbgrader puts in a Markdown answer cell of the student version.
ANSWER_PROMPT = "YOUR ANSWER HERE"
#: Comment that opens the task statement above each solution region.
TASK_PREFIX = "# Task:"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
_GRADE_ID_RE = re.compile(r"^[a-zA-Z0-9_\-]+$")
_NBGRADER_KEYS = ("grade", "grade_id", "locked", "schema_version", "solution")

#: Per-cell time limits for grading, in seconds. The longest cell of a full run is
#: notebook 01's LSTM training (60 epochs: 400-670 s measured on the 2-core
#: reference machine, slower when several kernels share it); fast mode's longest
#: cells take under a minute there. Both limits leave about three times that.
CELL_TIMEOUT_FULL = 2400
CELL_TIMEOUT_FAST = 300

#: The ``mlcourse`` names a student version may use, name by name, with the reason
#: it is not a task's answer. A name not listed here fails the check: a helper
#: that computes what an exercise asks the student to write must not be one
#: call away in the handout.
STUDENT_NAMES: dict[str, str] = {
    # set-up and checks
    "mlcourse.config.start": "seeds, fast mode, quiet TensorFlow: set-up, not an exercise",
    "mlcourse.results.expect": "the visible self-check of a test cell",
    "mlcourse.results.claim": "checks a sentence of the text against the run; computes nothing",
    # data: loading and verifying files or generating the given data set
    "mlcourse.data.digit_sums.digit_sum_problems": "checks the student's data against part (a); makes none",
    "mlcourse.data.digit_sums.positive_rate": "exact share of positive series, beyond the exercise",
    "mlcourse.data.sine_waves.prepare": "generates and verifies the given data files",
    "mlcourse.data.sine_waves.SOURCE": "where the sine data comes from",
    "mlcourse.data.sine_waves.random_curves": "fresh curves by the given data's rule (training data, not an answer)",
    "mlcourse.data.mnist.load_mnist_49": "loads and verifies the vendored digits",
    "mlcourse.data.xor.xor_truth_table": "prints the XOR truth table (given, not asked)",
    "mlcourse.data.xor.bayes_accuracy_xor": "closed-form Bayes accuracy, beyond the exercise",
    "mlcourse.data.xor.bayes_predict_xor": "the Bayes rule, a yardstick beyond the exercise",
    "mlcourse.data.digits.load_digits": "scikit-learn's digits with a source line",
    "mlcourse.data.jets.load_jets": "loads the jet data or its labelled stand-in",
    "mlcourse.data.jets.CLASSES": "class names of the jet data",
    "mlcourse.data.jets.FEATURES": "feature names of the jet data",
    "mlcourse.data.lasso.load_lasso": "loads and verifies the lasso data",
    "mlcourse.data.lasso.load_lasso_truth": "the generating truth, for grading the selection",
    "mlcourse.data.calcium": "calcium frames: loading, streaming and the stand-in",
    # figures the exercises do not ask students to write
    "mlcourse.plots.plot_history": "training curves",
    "mlcourse.plots.plot_image_grid": "a grid of images with titles",
    "mlcourse.plots.plot_decision_boundary": "a 2-D decision boundary figure",
    "mlcourse.plots.plot_predictions": "predicted against true curves",
    "mlcourse.plots.plot_roc": "ROC curves from the student's scores",
    "mlcourse.plots.plot_weight_distributions": "histograms of the student's weights",
    "mlcourse.plots.weight_stats": "summary numbers of the student's weights",
    "mlcourse.plots.plot_lasso_path": "draws a path the student computed",
    "mlcourse.plots.plot_bias_variance": "draws curves the student computed",
    # speed helpers for seed studies beyond the exercises
    "mlcourse.training.train_in_graph": "the same steps as fit, compiled once, for seed studies",
    "mlcourse.training.accuracy": "batched accuracy of a model, for seed studies",
    "mlcourse.training.predict": "batched predictions, for seed studies",
    "mlcourse.training.Trainer": "the student's build function trained for many seeds, traced once",
    "mlcourse.training.repeat_over_seeds": "runs a study function over seeds and settings",
    "mlcourse.training.summarize_over_seeds": "mean, sd, min, max over seeds of a sweep",
    "mlcourse.plots.plot_over_seeds": "mean and spread over seeds",
}


class AssignmentError(RuntimeError):
    """An assignment could not be made or graded; the message says why and what to do."""


# --------------------------------------------------------------------------- cell roles


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` (empty when it has no role)."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def is_answer(cell) -> bool:
    """A written answer: nbgrader solution + grade (manually graded)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution")) and bool(meta.get("grade"))


def is_generated_answer(cell) -> bool:
    """A code cell tagged ``answer``: the instructor's answer rendered from the run."""
    return cell.cell_type == "code" and ANSWER_TAG in tags(cell)


def is_task(cell) -> bool:
    """Code the student writes: nbgrader solution, not graded by hand."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell) -> bool:
    """An autograder test: graded, not a solution."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def role(cell) -> str:
    """``task``, ``test``, ``answer``, ``readonly`` or ``""`` (no role)."""
    if is_answer(cell):
        return "answer"
    if is_task(cell):
        return "task"
    if is_test(cell):
        return "test"
    if nbgrader_meta(cell).get("locked"):
        return "readonly"
    return ""


def solution_regions(source: str) -> list[tuple[int, int]]:
    """``(begin, end)`` line indices of each solution region (the delimiter lines).

    Raises
    ------
    ValueError
        If a region is not closed, or an END comes without a BEGIN.
    """
    regions, begin = [], None
    for i, line in enumerate(source.splitlines()):
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            if begin is not None:
                raise ValueError(f"line {i + 1}: '{BEGIN_SOLUTION}' inside an open region")
            begin = i
        elif stripped == END_SOLUTION:
            if begin is None:
                raise ValueError(f"line {i + 1}: '{END_SOLUTION}' without a '{BEGIN_SOLUTION}'")
            regions.append((begin, i))
            begin = None
    if begin is not None:
        raise ValueError(f"line {begin + 1}: '{BEGIN_SOLUTION}' is never closed")
    return regions


def without_solutions(source: str) -> str:
    """``source`` with every solution region removed (what a student sees of a task cell)."""
    lines = source.splitlines()
    drop = set()
    for begin, end in solution_regions(source):
        drop.update(range(begin, end + 1))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


# --------------------------------------------------------------------------- names in code


def _parse_python(source: str) -> ast.Module | None:
    """The syntax tree of a code cell, or None if it is not plain Python (magics, typos)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except SyntaxError:
            return None


def defined_names(source: str) -> list[str]:
    """Top-level names a code cell binds (assignments, defs, imports), in order of appearance."""
    tree = _parse_python(source)
    if tree is None:
        return []
    names: list[str] = []

    def add(name: str) -> None:
        if name not in names and not name.startswith("_"):
            names.append(name)

    def targets(node) -> None:
        if isinstance(node, ast.Name):
            add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                targets(elt)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                targets(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets(node.target)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            targets(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    targets(item.optional_vars)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                add((alias.asname or alias.name).split(".")[0])
    return names


def names_used_later(names: Iterable[str], later_sources: Iterable[str]) -> list[str]:
    """Those of ``names`` that a later cell reads before binding them again."""
    names = list(names)
    pending, used = list(names), set()
    for source in later_sources:
        if not pending:
            break
        tree = _parse_python(source)
        if tree is None:
            used.update(n for n in pending if re.search(rf"\b{re.escape(n)}\b", source))
            pending = [n for n in pending if n not in used]
            continue
        events = sorted((node.lineno, not isinstance(node.ctx, ast.Load), node.col_offset, node.id)
                        for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in pending)
        for _, store, _, name in events:
            if name in pending:
                pending.remove(name)
                if not store:
                    used.add(name)
    return [n for n in names if n in used]


def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def mlcourse_names(source: str, modules: dict[str, str] | None = None) -> set[str]:
    """Every ``mlcourse`` name a piece of code imports or reaches by attribute.

    ``from mlcourse.data.jets import load_jets`` gives ``mlcourse.data.jets.load_jets``;
    ``from mlcourse import kernels`` then ``kernels.fit(...)`` gives
    ``mlcourse.kernels.fit``; ``import mlcourse.config`` then
    ``mlcourse.config.start()`` gives ``mlcourse.config.start``. A module used
    other than through an attribute counts as the module itself. ``modules``
    (local name -> module) carries imports from earlier cells into later ones
    and is updated with this cell's.
    """
    modules = {} if modules is None else modules
    tree = _parse_python(source)
    if tree is None:
        return {m.group(0) for m in re.finditer(r"\bmlcourse(\.\w+)+", source)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "mlcourse" or alias.name.startswith("mlcourse."):
                    if alias.asname:
                        modules[alias.asname] = alias.name
                    else:
                        modules["mlcourse"] = "mlcourse"
        elif isinstance(node, ast.ImportFrom) and node.module and \
                (node.module == "mlcourse" or node.module.startswith("mlcourse.")) and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if _is_module(dotted):
                    modules[alias.asname or alias.name] = dotted
                else:
                    found.add(dotted)
    if not modules:
        return found

    def chain(node) -> list[str] | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            return [node.id] + parts[::-1]
        return None

    attribute_roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = chain(node)
            if not parts or parts[0] not in modules:
                continue
            dotted = modules[parts[0]]
            rest = parts[1:]
            # walk down through submodules: mlcourse.config.start -> module mlcourse.config, name start
            while rest and _is_module(f"{dotted}.{rest[0]}"):
                dotted = f"{dotted}.{rest.pop(0)}"
            found.add(f"{dotted}.{rest[0]}" if rest else dotted)
            inner = node.value
            while isinstance(inner, ast.Attribute):
                attribute_roots.add(id(inner))
                inner = inner.value
            attribute_roots.add(id(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in modules and id(node) not in attribute_roots \
                and isinstance(node.ctx, ast.Load):
            found.add(modules[node.id])
    # attribute chains nested in longer ones were added too: keep the longest
    return {name for name in found
            if not any(other != name and other.startswith(name + ".") for other in found)
            or not _is_module(name)}


def allowed_name(name: str) -> bool:
    """True when ``name`` (or the module it belongs to) is on :data:`STUDENT_NAMES`."""
    parts = name.split(".")
    return any(".".join(parts[:i]) in STUDENT_NAMES for i in range(len(parts), 1, -1))


# --------------------------------------------------------------------------- nbgrader side


class AnswerCellsToMarkdown(Preprocessor):
    """Turn generated answers into Markdown answer cells; drop the run stamp.

    A code cell tagged ``answer`` (nbgrader solution + grade) holds a program
    that writes the instructor's answer from the run's numbers. In the student
    version it becomes a Markdown cell with the same nbgrader metadata, which
    nbgrader's ``ClearSolutions`` then fills with ``YOUR ANSWER HERE``; the
    student writes prose, not code. Runs before nbgrader's ``SaveCells``, so
    the gradebook records the cell as Markdown and autograding keeps it so.
    """

    enabled = True  # nbconvert runs a preprocessor only when it is enabled

    def preprocess(self, nb, resources):
        nb.metadata.pop("mlcourse", None)   # the stamp of the instructor's full run
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if is_generated_answer(cell):
            cell.cell_type = "markdown"
            cell.source = ANSWER_PROMPT
            for key in ("outputs", "execution_count"):
                cell.pop(key, None)
            cell.metadata.pop("jupyter", None)
            cell.metadata["tags"] = [t for t in tags(cell) if t != ANSWER_TAG]
        return cell, resources


def _generate_preprocessors() -> list:
    from nbgrader.converters.generate_assignment import GenerateAssignment

    return [AnswerCellsToMarkdown] + list(GenerateAssignment.class_traits()["preprocessors"].default())


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of ``nb`` made in memory by nbgrader's preprocessors.

    The same steps as ``generate_assignment`` apart from those that need the
    gradebook (checksums, saving cells): answers to Markdown, cells locked,
    solutions and hidden tests cleared, outputs cleared. Used by the checks;
    ``make handouts`` runs the real ``generate_assignment``.
    """
    from nbgrader.preprocessors import (ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions,
                                        LockCells)

    out = nbformat.reads(nbformat.writes(nb), as_version=4)
    resources: dict = {}
    for pp in (AnswerCellsToMarkdown(), LockCells(), ClearSolutions(), ClearOutput(), ClearHiddenTests(),
               ClearMarkScheme()):
        out, resources = pp.preprocess(out, resources)
    return out


# --------------------------------------------------------------------------- checks


def check_source(nb: nbformat.NotebookNode) -> list[str]:
    """Problems that keep ``nb`` from being a good nbgrader source notebook (empty: none).

    Checks the metadata nbgrader needs, one ``# Task:`` line above each
    solution region, every ``expect`` in a test cell, answer cells that define
    nothing later cells read, the retired conventions (``solution`` tag,
    ``# NBVAL_`` comments), and that the student version uses only the
    ``mlcourse`` names in :data:`STUDENT_NAMES`.
    """
    problems: list[str] = []
    ids: dict[str, int] = {}
    cells = nb.cells
    code_sources = [c.source if c.cell_type == "code" else "" for c in cells]
    counts = {"task": 0, "test": 0, "answer": 0}
    for index, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
        # Jupyter shows no cell numbers: name the cell by its grade_id and its first line too
        where = f"cell {index + 1} [{meta.get('grade_id') or cell.cell_type}] {first[:50]!r}"
        if "solution" in tags(cell):
            problems.append(f"{where}: the 'solution' tag is retired; use nbgrader metadata (docs/instructors.md)")
        if cell.cell_type == "code" and re.search(r"^\s*#\s*NBVAL_", cell.source, re.M):
            problems.append(f"{where}: '# NBVAL_' comment; use the cell tag 'nbval-check-output'")
        if not meta:
            if cell.cell_type == "code" and BEGIN_SOLUTION in cell.source:
                problems.append(f"{where}: solution region in a cell without nbgrader metadata")
            if cell.cell_type == "code" and re.search(r"\bexpect\(", cell.source):
                problems.append(f"{where}: expect(...) outside a test cell; each check is its own test cell")
            if ANSWER_TAG in tags(cell):
                problems.append(f"{where}: tagged 'answer' but has no nbgrader metadata")
            continue
        missing = [k for k in _NBGRADER_KEYS if k not in meta]
        if missing:
            problems.append(f"{where}: nbgrader metadata lacks {', '.join(missing)}")
        if meta.get("schema_version") != SCHEMA_VERSION:
            problems.append(f"{where}: nbgrader schema_version should be {SCHEMA_VERSION}")
        grade_id = meta.get("grade_id", "")
        if not _GRADE_ID_RE.match(str(grade_id)):
            problems.append(f"{where}: grade_id {grade_id!r} must be letters, digits, '_' or '-'")
        elif grade_id in ids:
            problems.append(f"{where}: grade_id {grade_id!r} also used by cell {ids[grade_id]}")
        else:
            ids[grade_id] = index + 1
        kind = role(cell)
        if kind in counts:
            counts[kind] += 1
        if meta.get("grade") and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
            problems.append(f"{where}: a graded cell needs points > 0")
        if kind == "task":
            try:
                regions = solution_regions(cell.source)
            except ValueError as err:
                problems.append(f"{where}: {err}")
                continue
            if not regions:
                problems.append(f"{where}: a task cell needs '{BEGIN_SOLUTION}' / '{END_SOLUTION}' "
                                "around the code the student writes")
            lines = cell.source.splitlines()
            previous_end = -1
            for begin, end in regions:
                above = [line.strip() for line in lines[previous_end + 1:begin]]
                if not any(line.startswith(TASK_PREFIX) for line in above):
                    problems.append(f"{where}: no '{TASK_PREFIX}' line above the region at line {begin + 1}")
                region = "\n".join(lines[begin:end + 1])
                if re.search(r"\bexpect\(", region):
                    problems.append(f"{where}: expect(...) inside a solution region (the student "
                                    "would lose the check)")
                previous_end = end
            if meta.get("locked"):
                problems.append(f"{where}: a task cell must not be locked")
        elif kind == "test":
            if not meta.get("locked"):
                problems.append(f"{where}: a test cell must be locked")
            if BEGIN_SOLUTION in cell.source:
                problems.append(f"{where}: solution region inside a test cell")
            if re.search(r"=\s*expect\(", cell.source):
                problems.append(f"{where}: expect(...) returns nothing; compute values in the cell before")
            tree = _parse_python(cell.source)
            last = tree.body[-1] if tree is not None and tree.body else None
            if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call):
                problems.append(f"{where}: a test cell must not end in a value: nbgrader reads a "
                                "number there as partial credit")
        elif kind == "answer":
            if cell.cell_type == "code":
                if ANSWER_TAG not in tags(cell):
                    problems.append(f"{where}: a code answer cell needs the tag '{ANSWER_TAG}'")
                if re.search(r"\bexpect\(", cell.source):
                    problems.append(f"{where}: expect(...) inside an answer cell")
                later = [s for s, c in zip(code_sources[index + 1:], cells[index + 1:])
                         if s and not is_generated_answer(c)]
                needed = names_used_later(defined_names(cell.source), later)
                if needed:
                    problems.append(f"{where}: answer cell defines {', '.join(needed)}, read by later "
                                    "cells; compute them in a task or an ordinary cell before it")
        if cell.cell_type == "code" and kind not in ("task", "answer") and BEGIN_SOLUTION in cell.source:
            problems.append(f"{where}: solution region in a cell that is not a task")
    if not counts["task"]:
        problems.append("no task cell: the student version would be the complete notebook")
    if not counts["test"]:
        problems.append("no test cell: nothing checks the student's work")
    student = student_version(nb)
    modules: dict[str, str] = {}
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            continue
        for name in sorted(mlcourse_names(cell.source, modules)):
            if not allowed_name(name):
                problems.append(f"cell {index + 1}: the student version uses {name}, which is not on "
                                "mlcourse.tools.assignments.STUDENT_NAMES (a task's answer?)")
    return problems


def solution_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Lines a student version must not contain: solution regions' code and answers' text.

    Comments, lines shorter than 8 characters and lines that also stand
    outside the solutions (``plt.show()``) are left out: they are no evidence
    of a leak.
    """
    public, secret = set(), []
    for cell in nb.cells:
        kind = role(cell)
        if kind == "task":
            lines = cell.source.splitlines()
            inside = set()
            for begin, end in solution_regions(cell.source):
                inside.update(range(begin + 1, end))
            secret += [lines[i] for i in sorted(inside)]
            public.update(line.strip() for i, line in enumerate(lines) if i not in inside)
        elif kind == "answer":
            secret += cell.source.splitlines()
        else:
            public.update(line.strip() for line in cell.source.splitlines())
    return [s.strip() for s in secret if len(s.strip()) >= 8 and s.strip() not in public
            and not s.strip().startswith("#")]


def leaked_lines(source: nbformat.NotebookNode, student: nbformat.NotebookNode) -> list[str]:
    """The :func:`solution_lines` of ``source`` that appear as lines of ``student``."""
    shown = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    return [line for line in solution_lines(source) if line in shown]


def summary(nb: nbformat.NotebookNode) -> dict[str, float]:
    """Counts of a source notebook: tasks (solution regions), tests, answers, points."""
    out = {"tasks": 0, "tests": 0, "hidden tests": 0, "answers": 0, "test points": 0.0,
           "answer points": 0.0}
    for cell in nb.cells:
        kind = role(cell)
        points = float(nbgrader_meta(cell).get("points", 0) or 0)
        if kind == "task":
            out["tasks"] += len(solution_regions(cell.source))
        elif kind == "test":
            out["tests"] += 1
            out["hidden tests"] += int(BEGIN_HIDDEN in cell.source)
            out["test points"] += points
        elif kind == "answer":
            out["answers"] += 1
            out["answer points"] += points
    return out


# --------------------------------------------------------------------------- course folder


def assignment_name(path: Path) -> str:
    """The nbgrader assignment of a notebook: its file name without ``.ipynb``."""
    return Path(path).stem


def _config_text(root: Path, fast: bool | None = None) -> str:
    timeout = CELL_TIMEOUT_FAST if fast else CELL_TIMEOUT_FULL
    return f'''# nbgrader configuration of the mlcourse course folder (written by `make handouts`).
# Every notebook of notebooks/ is one assignment of the same name; see docs/instructors.md.
c = get_config()  # noqa: F821
c.CourseDirectory.root = {str(root)!r}
c.CourseDirectory.course_id = "mlcourse"
from mlcourse.tools.assignments import _generate_preprocessors
c.GenerateAssignment.preprocessors = _generate_preprocessors()
# Per-cell limit when grading: about three times the longest measured cell
# (notebook 01's training in full mode); fast mode: {CELL_TIMEOUT_FAST} s.
c.Execute.timeout = {timeout}
'''


def _venv_on_path(env: dict | None = None) -> dict:
    """Put this interpreter's ``bin/`` first on PATH: nbgrader runs ``alembic`` from there."""
    env = os.environ if env is None else env
    bindir = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != bindir:
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def prepare_course(notebooks: Sequence[Path], course: Path) -> dict[str, Path]:
    """Put each notebook into ``course/source/<name>/`` and run ``generate_assignment`` on it.

    Returns the student version of each notebook, by assignment name
    (``course/release/<name>/<name>.ipynb``). The gradebook is made anew.

    Raises
    ------
    AssignmentError
        If nbgrader rejects a notebook (the message quotes nbgrader's log).
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    _venv_on_path()
    course = Path(course).resolve()
    for sub in ("source", "release", "gradebook.db"):
        target = course / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(_config_text(course))
    for path in notebooks:
        name = assignment_name(path)
        folder = course / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / f"{name}.ipynb")
    cfg = Config()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.course_id = "mlcourse"
    cfg.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    cfg.GenerateAssignment.preprocessors = _generate_preprocessors()
    api = NbGraderAPI(config=cfg)
    released = {}
    for path in notebooks:
        name = assignment_name(path)
        result = api.generate_assignment(name, force=True, create=True)
        out = course / "release" / name / f"{name}.ipynb"
        if not result.get("success") or not out.is_file():
            log = (result.get("error") or "") + (result.get("log") or "")
            raise AssignmentError(f"nbgrader generate_assignment failed for {path}:\n{log.strip()[-3000:]}")
        released[name] = out
    return released


# --------------------------------------------------------------------------- student bundle

BUNDLE_README = """# mlcourse: student notebooks

Eight machine-learning exercises as Jupyter notebooks. Each asks you to write the
code of the exercise where it says `# YOUR CODE HERE`, and to answer its questions
where it says YOUR ANSWER HERE. The test cells after each task check your result
at once: they print the value, the bar it must meet and the number the original
coursework reported.

Set up once (Python 3.11 or newer; on Windows use `.venv\\Scripts\\` for `.venv/bin/`):

```
python3 -m venv .venv && .venv/bin/python -m pip install -r requirements.lock && .venv/bin/python -m pip install --no-deps -e .
.venv/bin/jupyter lab notebooks/
```

Then open a notebook and run its cells from the top. Everything runs offline; the
data is in `data/` or generated on first use. Set `MLCOURSE_FAST=1` before starting
Jupyter for a quick run with fewer epochs (its bars are looser).
"""

#: What the bundle holds besides the student notebooks (relative to the project root).
BUNDLE_FILES = ("pyproject.toml", "requirements.lock", "environment.yml", "src/mlcourse")


def build_bundle(released: dict[str, Path], bundle: Path, root: Path | None = None) -> Path:
    """Assemble the student bundle: notebooks, package, data, README; no solutions anywhere.

    ``bundle`` is replaced. Data: the vendored files listed in ``data/MANIFEST``,
    the MANIFEST and ``data/README.md``; generated files are made on first use.
    """
    root = Path(root or config.project_root())
    bundle = Path(bundle)
    if bundle.exists():
        shutil.rmtree(bundle)
    (bundle / "notebooks").mkdir(parents=True)
    for name, path in sorted(released.items()):
        shutil.copyfile(path, bundle / "notebooks" / f"{name}.ipynb")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for rel in BUNDLE_FILES:
        src = root / rel
        if src.is_dir():
            shutil.copytree(src, bundle / rel, ignore=ignore)
        elif src.is_file():
            (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, bundle / rel)
    data = bundle / "data"
    data.mkdir()
    from ..data.manifest import read_manifest

    for rel in ["MANIFEST", "README.md"] + sorted(read_manifest(root / "data" / "MANIFEST")):
        src = root / "data" / rel
        if src.is_file():
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, data / rel)
    (bundle / "README.md").write_text(BUNDLE_README)
    return bundle


def make_handouts(notebooks: Sequence[Path], out: Path, *, course: Path | None = None,
                  bundle: Path | None = None) -> dict[str, Path]:
    """Student versions into ``out/<name>.ipynb`` (via ``build/course``), and the bundle."""
    build = config.project_root() / "build"
    course = Path(course or build / "course")
    released = prepare_course(notebooks, course)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, path in released.items():
        target = out / f"{name}.ipynb"
        shutil.copyfile(path, target)
        written[name] = target
    if bundle is not None:
        build_bundle(released, bundle)
    return written


# --------------------------------------------------------------------------- grading


@dataclass
class GradeRow:
    student: str
    notebook: str
    test: str
    points: float | None
    max_points: float
    status: str   # passed, failed, answered/not answered, needs manual grading, not submitted, error


@dataclass
class Submission:
    """One student's notebook and what grading it gave."""

    student: str
    notebook: str
    path: Path
    rows: list[GradeRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _submitted_notebooks(folder: Path, known: set[str]) -> tuple[dict[str, Path], list[str]]:
    found, unknown = {}, []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        if path.stem in known and path.stem not in found:
            found[path.stem] = path
        else:
            unknown.append(str(path.relative_to(folder)))
    return found, unknown


#: What a worker prints on its control channel when a task is done.
_DONE = "\x00mlcourse-grade-done"


class _GradingWorker:
    """One long-lived grading process, reused for one submission after another.

    Importing nbgrader takes about 1.5 CPU-seconds, so a process per submission
    spends that again for every one. The worker (``_grade-worker --serve``)
    reads one task per line on stdin (JSON: work folder, student, notebook,
    mode, environment), grades it in that folder with the environment set as a
    fresh process would have it, sends its output to ``grading.log`` there and
    answers on a private copy of its stdout. A worker that dies takes only the
    submission it was grading with it: the next task starts a new process.
    """

    def __init__(self):
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        env = _venv_on_path(dict(os.environ))
        env["PYTHONUNBUFFERED"] = "1"
        return subprocess.Popen([sys.executable, "-m", "mlcourse.tools.assignments", "_grade-worker", "--serve"],
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def run(self, task: dict) -> str | None:
        """Grade one task; ``None`` when it finished, else what went wrong (with the worker's last words)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        try:
            self.proc.stdin.write(json.dumps(task) + "\n")
            self.proc.stdin.flush()
            stray = []
            for line in self.proc.stdout:
                if line.startswith(_DONE):
                    return None
                stray.append(line)
        except (BrokenPipeError, OSError):
            stray = []
        code = self.proc.wait()
        self.proc = None
        last_words = "".join(stray[-20:])
        return f"the grading worker stopped (exit {code})" + (f":\n{last_words}" if last_words else "")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def grade_one(course: Path, sub: Submission, work: Path, fast: bool,
              worker: _GradingWorker | None = None) -> Submission:
    """Autograde one submitted notebook in a private copy of the course (by a worker process)."""
    started = time.monotonic()
    name, student = sub.notebook, sub.student
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for folder in ("source", "release"):
        shutil.copytree(course / folder / name, work / folder / name)
    shutil.copyfile(course / "gradebook.db", work / "gradebook.db")
    (work / "nbgrader_config.py").write_text(_config_text(work, fast))
    target = work / "submitted" / student / name / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sub.path, target)
    from ..runner import default_threads, thread_environment

    env = thread_environment(default_threads())   # the same threads per kernel as make run
    env[config.FAST_ENV] = "1" if fast else "0"
    env[config.NOTEBOOK_ENV] = name
    env[config.RESULTS_ENV] = str(work / "results.json")   # never the project's build/results/
    own = worker or _GradingWorker()
    try:
        failure = own.run({"work": str(work), "student": student, "name": name, "fast": fast, "env": env})
    finally:
        if worker is None:
            own.close()
    report = work / "report.json"
    if failure is None and report.is_file():
        data = json.loads(report.read_text())
        sub.rows = [GradeRow(**row) for row in data["rows"]]
        sub.errors = data["errors"]
    else:
        log = work / "grading.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        sub.errors.append(f"{failure or 'the grading worker wrote no report'}; log: {log}\n" + tail)
    sub.seconds = time.monotonic() - started
    return sub


def _serve() -> int:
    """The worker's loop (``_grade-worker --serve``): one task per stdin line, see :class:`_GradingWorker`."""
    control = os.fdopen(os.dup(1), "w")
    base_env, base_cwd = dict(os.environ), os.getcwd()
    for line in sys.stdin:
        task = json.loads(line)
        work = Path(task["work"])
        os.environ.clear()
        os.environ.update(base_env)
        os.environ.update(task["env"])
        os.chdir(work)
        saved = os.dup(1), os.dup(2)
        with open(work / "grading.log", "w") as log:
            print(f"grading worker (process {os.getpid()}): {task['student']}/{task['name']}", file=log, flush=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                _worker(work, task["student"], task["name"], task["fast"])
            except Exception as err:   # noqa: BLE001 - reported to the parent through report.json
                import traceback

                traceback.print_exc()
                (work / "report.json").write_text(json.dumps(
                    {"rows": [], "errors": [f"grading failed: {type(err).__name__}: {err}"]}))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])
        os.chdir(base_cwd)
        control.write(_DONE + "\n")
        control.flush()
    return 0


def _worker(work: Path, student: str, name: str, fast: bool) -> int:
    """In the worker process: nbgrader autograde + generate_feedback, then read the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    _venv_on_path()
    cfg = Config()
    cfg.CourseDirectory.root = str(work)
    cfg.CourseDirectory.course_id = "mlcourse"
    cfg.CourseDirectory.db_url = f"sqlite:///{work / 'gradebook.db'}"
    cfg.Execute.timeout = CELL_TIMEOUT_FAST if fast else CELL_TIMEOUT_FULL
    sockets = None
    if os.name == "posix":
        # Kernels over Unix sockets at an absolute, short path of this worker's own: two workers
        # starting kernels at once over TCP can draw the same port ("Address already in use"),
        # and a relative socket path breaks because nbgrader changes directory.
        sockets = tempfile.mkdtemp(prefix="mlcourse-grade-")
        cfg.KernelManager.transport = "ipc"
        cfg.KernelManager.ip = os.path.join(sockets, "kernel")
    api = NbGraderAPI(config=cfg)
    rows, errors = [], []
    print(f"[{student}] autograde {name}", flush=True)
    res = api.autograde(name, student, force=True, create=True)
    print(res.get("log", ""), flush=True)
    if not res.get("success"):
        errors.append(f"nbgrader autograde failed:\n{(res.get('error') or res.get('log') or '')[-2000:]}")
    else:
        res = api.generate_feedback(name, student, force=True)
        if not res.get("success"):
            errors.append(f"nbgrader generate_feedback failed:\n{(res.get('error') or '')[-1000:]}")
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        try:
            notebook = gb.find_submission_notebook(name, name, student)
        except MissingEntry:
            notebook = None
        for grade in (notebook.grades if notebook else []):
            answer = grade.cell.cell_type == "markdown"
            if grade.needs_manual_grade:
                points, status = None, "needs manual grading"
            else:
                points = grade.score
                if answer:
                    status = "not answered" if grade.manual_score is None and not points else "graded"
                else:
                    status = "passed" if points >= grade.max_score else "failed"
            rows.append({"student": student, "notebook": name, "test": grade.name, "points": points,
                         "max_points": float(grade.max_score), "status": status})
    (work / "report.json").write_text(json.dumps({"rows": rows, "errors": errors}, indent=1))
    if sockets:
        shutil.rmtree(sockets, ignore_errors=True)
    return 0


def merge_into_course(course: Path, subs: Sequence[Submission], work_root: Path) -> int:
    """Copy each worker's grades into the course's own gradebook, one writer, one submission at a time.

    Afterwards ``course/`` is an ordinary nbgrader course holding every graded
    submission (autograded notebooks under ``course/autograded/``), so the
    written answers can be graded by hand in nbgrader's formgrader there.
    Returns the number of submissions merged.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    merged = 0
    with warnings.catch_warnings(), \
            Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as master:
        warnings.simplefilter("ignore", SAWarning)   # nbgrader's own add_submission raises these
        for sub in subs:
            work = work_root / sub.student / sub.notebook
            if not (work / "gradebook.db").is_file():
                continue
            with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
                try:
                    graded = gb.find_submission_notebook(sub.notebook, sub.notebook, sub.student)
                except MissingEntry:
                    continue
                scores = {g.name: (g.auto_score, g.needs_manual_grade) for g in graded.grades}
                comments = {c.name: c.auto_comment for c in graded.comments}
                timestamp = graded.assignment.timestamp
            master.update_or_create_student(sub.student)
            try:
                master.remove_submission(sub.notebook, sub.student)
            except MissingEntry:
                pass
            master.add_submission(sub.notebook, sub.student, timestamp=timestamp)
            notebook = master.find_submission_notebook(sub.notebook, sub.notebook, sub.student)
            for grade in notebook.grades:
                if grade.name in scores:
                    grade.auto_score, grade.needs_manual_grade = scores[grade.name]
            for comment in notebook.comments:
                if comment.name in comments:
                    comment.auto_comment = comments[comment.name]
            master.db.commit()
            for folder in ("submitted", "autograded", "feedback"):
                src = work / folder / sub.student / sub.notebook
                if src.is_dir():
                    target = Path(course) / folder / sub.student / sub.notebook
                    if target.exists():
                        shutil.rmtree(target)
                    shutil.copytree(src, target)
            merged += 1
    return merged


def graded_cells(path: Path) -> list[tuple[str, float]]:
    """A source notebook's graded cells (tests and answers) in notebook order, with their points."""
    return [(nbgrader_meta(c)["grade_id"], float(nbgrader_meta(c).get("points", 0)))
            for c in read_notebook(path).cells if nbgrader_meta(c).get("grade")]


def grade_submissions(submissions: Path, out: Path, *, jobs: int = 0, fast: bool = False,
                      notebooks: Sequence[Path] | None = None, log=print) -> list[Submission]:
    """Grade every student folder under ``submissions``; write scores.csv and feedback to ``out``.

    ``submissions/<student>/NN_name.ipynb`` (any depth under the student's folder).
    Each submitted notebook is graded on its own, ``jobs`` at a time. A
    notebook a student did not submit scores 0 with status ``not submitted``.
    Keeps going past a failing notebook; its errors are returned and its
    tests are marked ``error`` with 0 points.
    """
    # absolute: each worker runs in its own folder, so a relative path would point elsewhere there
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    if not submissions.is_dir():
        raise AssignmentError(f"{submissions} is not a folder; expected one sub-folder per student "
                              "holding the student's NN_name.ipynb files")
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise AssignmentError(f"{submissions} has no student folders; expected "
                              f"{submissions}/<student>/NN_name.ipynb")
    notebooks = list(notebooks or sorted((config.project_root() / "notebooks").glob("[0-9]*.ipynb")))
    course = out / "course"
    log(f"grade: nbgrader course from {len(notebooks)} source notebooks in {course}")
    prepare_course(notebooks, course)
    cells = {assignment_name(p): graded_cells(p) for p in notebooks}
    work_root = out / "work"
    for stale in (work_root, out / "feedback", out / "autograded"):
        if stale.exists():
            shutil.rmtree(stale)
    plan: list[Submission] = []
    submitted: dict[str, set[str]] = {}
    for folder in students:
        found, unknown = _submitted_notebooks(folder, set(cells))
        for name in unknown:
            log(f"grade: {folder.name}: {name} is not an assignment of this course; skipped")
        submitted[folder.name] = set(found)
        plan.extend(Submission(folder.name, name, path) for name, path in found.items())
    # longest first (by the notebooks' recorded run times), so that no long grading starts last
    # beside an idle worker; students keep their order within a notebook
    from ..runner import start_order
    order = start_order(notebooks, "fast" if fast else "full")
    rank = {assignment_name(notebooks[i]): k for k, i in enumerate(order)}
    plan.sort(key=lambda sub: rank[sub.notebook])   # the plan holds only these notebooks' names
    jobs = jobs or os.cpu_count() or 1
    log(f"grade: {len(plan)} notebooks from {len(students)} students, {jobs} at a time, "
        f"{'fast' if fast else 'full'} mode")

    local, workers = threading.local(), []

    def one(sub: Submission) -> Submission:
        if not hasattr(local, "worker"):   # one grading process per thread, reused (see _GradingWorker)
            local.worker = _GradingWorker()
            workers.append(local.worker)
        grade_one(course, sub, work_root / sub.student / sub.notebook, fast, local.worker)
        got = sum(r.points or 0 for r in sub.rows if r.status in ("passed", "failed"))
        top = sum(r.max_points for r in sub.rows if r.status in ("passed", "failed"))
        log(f"grade: {sub.student}/{sub.notebook}: {got:g} of {top:g} autograded points in "
            f"{sub.seconds:.0f} s" + (f"; ERROR: {sub.errors[0].splitlines()[0]}" if sub.errors else ""))
        return sub

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(one, plan))
    finally:
        for worker in workers:
            worker.close()

    out.mkdir(parents=True, exist_ok=True)
    merge_into_course(course, results, work_root)
    by_key = {(s.student, s.notebook): s for s in results}
    rows: list[GradeRow] = []
    for folder in students:
        student = folder.name
        for name in sorted(cells):
            sub = by_key.get((student, name))
            graded = {r.test: r for r in sub.rows} if sub else {}
            for test, points in cells[name]:
                row = graded.get(test)
                if row is None:
                    status = "not submitted" if name not in submitted[student] else "error"
                    row = GradeRow(student, name, test, 0.0, points, status)
                rows.append(row)
            if sub is None:
                continue
            base = work_root / student / name
            for src, target in ((base / "feedback" / student / name / f"{name}.html",
                                 out / "feedback" / student / f"{name}.html"),
                                (base / "autograded" / student / name / f"{name}.ipynb",
                                 out / "autograded" / student / f"{name}.ipynb")):
                if src.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, target)
    with open(out / "scores.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "test", "points", "max_points", "status"])
        for r in rows:
            writer.writerow([r.student, r.notebook, r.test,
                             "" if r.points is None else f"{r.points:g}", f"{r.max_points:g}", r.status])
    return results


# --------------------------------------------------------------------------- command line


def _cmd_check(args) -> int:
    paths = find_notebooks(args.notebooks) if args.notebooks else \
        sorted((config.project_root() / "notebooks").glob("[0-9]*.ipynb"))
    bad = 0
    for path in paths:
        nb = read_notebook(path)
        problems = check_source(nb)
        s = summary(nb)
        print(f"{path.name}: {s['tasks']} tasks, {s['tests']} tests ({s['hidden tests']} with hidden part, "
              f"{s['test points']:g} points), {s['answers']} answers ({s['answer points']:g} points)")
        for problem in problems:
            print(f"  problem: {problem}")
        bad += bool(problems)
    return 1 if bad else 0


def _cmd_handouts(args) -> int:
    root = config.project_root()
    paths = find_notebooks(args.notebooks) if args.notebooks else sorted((root / "notebooks").glob("[0-9]*.ipynb"))
    if not paths:
        print("mlcourse handouts: no notebooks found in notebooks/", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else root / "build" / "handouts"
    bundle = None if args.no_bundle else (Path(args.bundle) if args.bundle else root / "build" / "student")
    started = time.monotonic()
    written = make_handouts(paths, out, bundle=bundle)
    for name, path in written.items():
        s = summary(read_notebook(root / "notebooks" / f"{name}.ipynb")) if \
            (root / "notebooks" / f"{name}.ipynb").is_file() else None
        counts = (f"  ({s['tasks']} tasks, {s['tests']} tests, {s['answers']} written answers)" if s else "")
        print(f"handout   {path}{counts}")
    if bundle:
        print(f"bundle    {bundle}  (student notebooks, package, data, README)")
    print(f"mlcourse handouts: {len(written)} notebooks in {time.monotonic() - started:.0f} s -> {out}")
    return 0


def _cmd_grade(args) -> int:
    root = config.project_root()
    out = Path(args.out) if args.out else root / "build" / "grades"
    started = time.monotonic()
    results = grade_submissions(Path(args.submissions), out, jobs=args.jobs, fast=args.fast,
                                log=lambda m: print(m, flush=True))
    failed = 0
    for res in results:
        for err in res.errors:
            lines = err.strip().splitlines()
            shown = "\n".join(lines[:1] + (["  ..."] if len(lines) > 13 else []) + lines[1:][-12:])
            print(f"grade: {res.student}/{res.notebook}: {shown}", file=sys.stderr)
            failed += 1
    print(f"mlcourse grade: {len(results)} notebooks in {time.monotonic() - started:.0f} s "
          f"({'fast' if args.fast else 'full'} mode) -> {out / 'scores.csv'}, feedback in {out / 'feedback'}")
    return 1 if failed else 0


def build_parser(prog: str = "python -m mlcourse") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check notebooks against the nbgrader source format")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("handouts", help="student versions (nbgrader) and the student bundle")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")
    p.add_argument("--out", help="folder for the student notebooks (default build/handouts)")
    p.add_argument("--bundle", help="folder for the student bundle (default build/student)")
    p.add_argument("--no-bundle", action="store_true", help="do not assemble the bundle")
    p.set_defaults(func=_cmd_handouts)
    p = sub.add_parser("grade", help="autograde submissions: SUBMISSIONS/<student>/NN_name.ipynb")
    p.add_argument("submissions", metavar="SUBMISSIONS")
    p.add_argument("--out", help="output folder (default build/grades)")
    p.add_argument("--jobs", type=int, default=0, help="students graded at once (default: one per core)")
    p.add_argument("--fast", action="store_true", help="grade in fast mode (MLCOURSE_FAST=1)")
    p.set_defaults(func=_cmd_grade)
    p = sub.add_parser("_grade-worker")   # internal: the grading process (see _GradingWorker)
    p.add_argument("--serve", action="store_true", required=True)
    p.set_defaults(func=lambda a: _serve())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return args.func(args)
    except (AssignmentError, NotANotebookError) as err:
        print(f"mlcourse {args.command}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
