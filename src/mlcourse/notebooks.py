"""Notebook files: finding, validating, hashing, stamping and cleaning them.

Used by the runner, the exports and the tests. The *source hash* covers each
cell's type and source (not outputs, metadata or tags), so it changes exactly
when a notebook's code or prose changes; ``metadata.mlcourse`` records the hash
and mode of the run that made the committed outputs.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from pathlib import Path
from typing import Iterable

import nbformat

from . import config
from .results import atomic_write_text

#: Matches ANSI colour/cursor escape sequences.
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
#: Cell tag that makes nbval compare a cell's outputs with the committed ones.
CHECK_TAG = "nbval-check-output"


class NotANotebookError(ValueError):
    """A path given as a notebook is missing, not ``.ipynb``, or not valid notebook JSON."""


def notebooks_dir() -> Path:
    """The project's ``notebooks/`` folder."""
    return config.project_root() / "notebooks"


def find_notebooks(paths: Iterable[str | Path] = ()) -> list[Path]:
    """Resolve the notebooks to work on: the given paths, or every ``notebooks/*.ipynb``.

    Raises
    ------
    NotANotebookError
        If a path does not exist, is not an ``.ipynb`` file, or is not valid JSON.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        return sorted(notebooks_dir().glob("[0-9]*.ipynb"))
    for path in paths:
        read_notebook(path)  # validates
    return paths


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, with one clear error when it is not one."""
    path = Path(path)
    if not path.exists():
        raise NotANotebookError(f"{path} does not exist; give the path of a notebook, e.g. "
                                f"notebooks/04_xor_mlp.ipynb")
    if path.is_dir() or path.suffix != ".ipynb":
        raise NotANotebookError(f"{path} is not a notebook: expected a file ending in .ipynb")
    try:
        nb = nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, UnicodeDecodeError) as err:
        raise NotANotebookError(f"{path} is not valid notebook JSON ({str(err).splitlines()[0]}); "
                                f"restore it with `git checkout {path}`") from None
    except nbformat.ValidationError as err:
        raise NotANotebookError(f"{path} is not a valid notebook ({err.message}); restore it with "
                                f"`git checkout {path}`") from None
    return nb


def source_hash(nb: nbformat.NotebookNode) -> str:
    """sha256 over the cells' types and sources: changes exactly when the notebook's text does."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        digest.update(json.dumps([cell.cell_type, cell.source]).encode())
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python and the libraries whose numbers shape the outputs."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for dist in ("tensorflow", "keras", "numpy", "scikit-learn", "matplotlib", "mlcourse"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def stamp(nb: nbformat.NotebookNode, mode: str) -> None:
    """Record in ``metadata.mlcourse`` which mode and which sources made the outputs."""
    nb.metadata["mlcourse"] = {
        "mode": mode,
        "source_hash": source_hash(nb),
        "versions": package_versions(),
    }


def clean_text(text: str) -> str:
    """What a terminal would finally show: resolve ``\\r`` and ``\\b``, drop ANSI escapes.

    Example
    -------
    >>> clean_text("  0%|   |\\r100%|###|\\n")
    '100%|###|\\n'
    """
    text = ANSI_RE.sub("", text)
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [p for p in line.split("\r") if p]
            line = parts[-1] if parts else ""
        while "\b" in line:
            i = line.index("\b")
            line = line[: max(0, i - 1)] + line[i + 1:]
        lines.append(line)
    return "\n".join(lines)


def clean_outputs(nb: nbformat.NotebookNode) -> None:
    """Make outputs fit to commit and export.

    Merges consecutive stream outputs of the same stream, resolves progress-bar
    carriage returns and backspaces, strips ANSI escapes from streams and from
    plain-text results (Keras summaries), and drops per-cell execution timestamps.
    """
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.get("outputs", []):
            if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == out.name):
                merged[-1].text += out.text
            else:
                merged.append(out)
        for out in merged:
            if out.output_type == "stream":
                out.text = clean_text(out.text)
            elif out.output_type in ("display_data", "execute_result") and "text/plain" in out.get("data", {}):
                # rich (Keras' model.summary) colours its plain-text fallback with ANSI codes
                out.data["text/plain"] = ANSI_RE.sub("", out.data["text/plain"])
        cell.outputs = [o for o in merged if not (o.output_type == "stream" and not o.text.strip())]


def write_notebook(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write a notebook atomically: a killed process leaves the old file or the new one."""
    atomic_write_text(Path(path), nbformat.writes(nb) + "\n")


def checked_cells(nb: nbformat.NotebookNode):
    """Yield ``(index, cell)`` for code cells that nbval compares (cell tag ``nbval-check-output``)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and CHECK_TAG in cell.get("metadata", {}).get("tags", []):
            yield index, cell


def output_text(cell) -> str:
    """All text a code cell shows: streams, text/plain results and error tracebacks."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.output_type == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "\n".join(parts)


def title_of(nb: nbformat.NotebookNode, default: str = "") -> str:
    """The notebook's title: its first Markdown heading, without the ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default
