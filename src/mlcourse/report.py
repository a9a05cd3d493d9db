"""Generate the README's notebook and results tables from full runs.

``python -m mlcourse readme`` rewrites the text between the markers
``<!-- notebooks:start -->``/``<!-- notebooks:end -->`` and
``<!-- results:start -->``/``<!-- results:end -->`` from the runner's
full-mode results files ``build/results/<notebook>.full.json`` and
``build/timings.json``, and ``<!-- spreads:start -->``/``<!-- spreads:end -->``
from the committed seed studies ``benchmarks/spreads/<notebook>.json``. The tables are never typed by hand, so they cannot
drift from what the notebooks measure.

It refuses, naming what is missing and the command that fixes it, rather than
publish a partial or untrustworthy set: a notebook of ``notebooks/`` without a
full-mode results file, a file the runner did not write (an interactive record),
a corrupt file, a notebook changed since its results were made, or (unless
``allow_failed``) a notebook whose last full run failed. Interactive records
(``build/results/interactive/``) are never read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import config
from .notebooks import find_notebooks, read_notebook, source_hash
from .results import ResultsError, atomic_write_text, load_run_results, run_results_path

#: What each notebook is, for the README table: (exercise, what it teaches, data source).
NOTEBOOK_INFO: dict[str, tuple[str, str, str]] = {
    "01_lstm_digit_sum": (
        "LSTM: is the sum of 30 digits at least 100?",
        "recurrent nets on sequences; validation and the best epoch; class imbalance, baselines, "
        "balanced accuracy, ROC AUC, thresholds vs class weights",
        "generated"),
    "02_sinewave_regression": (
        "Dense net reads a, b, c, d off a·sin(bx)+c·cos(dx)",
        "regression with a dense net, MAE, parameter counts, extrapolation limits",
        "generated into `data/sine/`"),
    "03_mnist_regularization": (
        "MNIST 4 vs 9 on 800 digits: overfit, then regularize",
        "overfitting; L1, L2, AdamW, dropout, early stopping, augmentation; comparing over seeds",
        "real MNIST digits, vendored (`data/mnist_49.npz`)"),
    "04_xor_mlp": (
        "XOR with a one-hidden-layer perceptron",
        "why XOR needs a hidden layer; splits, training curves, confusion matrices, "
        "decision boundaries, Bayes accuracy",
        "generated"),
    "05_digits_perceptron": (
        "scikit-learn digits with a single-layer perceptron",
        "softmax classification, input scaling, per-class accuracy",
        "scikit-learn `load_digits`"),
    "06_jet_tagging": (
        "LHC jet tagging with 16 high-level features, 5 classes",
        "feature scaling, L1 weight sparsity, learning rates, SGD vs Adam, ROC curves, "
        "choosing on validation",
        "OpenML `hls4ml_lhc_jets_hlf` when cached, else a labelled synthetic stand-in"),
    "07_lasso_kernels": (
        "Lasso, bias-variance, Mercer kernel regression",
        "regularization paths and selection, honest risk estimates, curse of dimensionality, "
        "kernel ridge regression",
        "generated, committed (`data/lasso.npz`)"),
    "08_calcium_cnn": (
        "CNN: real vs GAN-made calcium imaging frames",
        "convolutional nets; choosing epochs and models on a held-out session, testing once; "
        "shift between sessions",
        "real frames when present, else a labelled synthetic stand-in generated on the fly"),
}


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not measured"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def notebook_table(seconds: dict[str, float | None], note: str = "") -> str:
    """Markdown table: notebook, exercise, what it teaches, data source, full-run time.

    Parameters
    ----------
    seconds : dict
        Full-run wall time of each notebook, by name (missing: "not measured").
    note : str
        A line under the table saying how and where the times were measured.
    """
    lines = ["| notebook | exercise | what it teaches | data | full run |",
             "|---|---|---|---|---|"]
    for path in find_notebooks():
        exercise, teaches, data = NOTEBOOK_INFO.get(path.stem, (path.stem, "", ""))
        lines.append(f"| [{path.stem}](notebooks/{path.name}) | {exercise} | {teaches} | {data} | "
                     f"{_duration(seconds.get(path.stem))} |")
    if note:
        lines += ["", note]
    return "\n".join(lines)


def results_table(records: list[dict], failed: dict[str, str] | None = None) -> str:
    """Markdown table of full-mode results: metric, value, bar, the coursework's value, notes.

    Parameters
    ----------
    records : list of dict
        Records of :func:`mlcourse.results.expect`; fast-mode ones and those of
        notebooks not in ``notebooks/`` are left out.
    failed : dict, optional
        Notebooks whose run failed, with where and why; each gets a row saying so.
    """
    lines = ["| notebook | metric | ours | bar | met | coursework | notes |",
             "|---|---|---|---|---|---|---|"]
    present = {p.stem for p in find_notebooks()}
    failed = failed or {}
    rows = [r for r in records if r.get("mode") == "full" and r.get("notebook") in present
            and r.get("kind") != "claim"]
    for name in sorted(present):
        for rec in (r for r in rows if r["notebook"] == name):
            coursework_note = f"coursework: {rec['coursework_note']}" if rec.get("coursework_note") else ""
            notes = "; ".join(n for n in (rec.get("note", ""), coursework_note) if n)
            lines.append(f"| {rec['notebook']} | {rec['metric']} | {_fmt(rec['value'])} | {rec['bar']} | "
                         f"{'yes' if rec.get('passed') else '**no**'} | {_fmt(rec.get('coursework'))} | {notes} |")
        if name in failed:
            lines.append(f"| {name} | *the full run failed: {failed[name]}* |  |  | **no** |  | "
                         "metrics after the failing cell were not measured |")
    return "\n".join(lines)


def load_spreads(folder: Path | None = None) -> dict[str, dict]:
    """The committed seed studies ``benchmarks/spreads/<notebook>.json`` (see ``benchmarks/seed_spread.py``).

    Raises
    ------
    ResultsError
        If a file is unreadable or not a seed study (names the file and the command that remakes it).
    """
    folder = Path(folder or config.project_root() / "benchmarks" / "spreads")
    spreads = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        fix = f"remake it with `python benchmarks/seed_spread.py notebooks/{path.stem}.ipynb`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ResultsError(f"{path} is not readable JSON ({err}); {fix}") from None
        if not (isinstance(data, dict) and isinstance(data.get("metrics"), dict) and data.get("seeds")):
            raise ResultsError(f"{path} is not a seed study (no seeds or metrics); {fix}")
        spreads[path.stem] = data
    return spreads


def spread_table(spreads: dict[str, dict]) -> str:
    """Markdown table of the seed studies: per metric the seeds, mean, sd, worst and best, and the bar."""
    lines = ["| notebook | metric | seeds | mean | sd | worst | best | bar | every seed meets it |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, data in sorted(spreads.items()):
        for metric, entry in data["metrics"].items():
            lines.append(f"| {name} | {metric} | {entry['n']} | {_fmt(entry['mean'])} | {_fmt(entry['sd'])} | "
                         f"{_fmt(entry['worst'])} | {_fmt(entry['best'])} | {entry['bar']} | "
                         f"{'yes' if entry['every_seed_meets_bar'] else '**no**'} |")
    if not spreads:
        lines.append("| *no seed study committed yet* |  |  |  |  |  |  |  |  |")
    machines = sorted({f"{d['machine'].get('cpu', '?')}, {d.get('threads_per_kernel', '?')} thread(s) per kernel"
                       for d in spreads.values() if isinstance(d.get("machine"), dict)})
    if machines:
        lines += ["", "Seed studies measured on " + " / ".join(machines) + "; seeds replace the one "
                  "each notebook passes to `start()`; data files stay the same."]
    return "\n".join(lines)


def thread_table(threads: dict, spreads: dict[str, dict]) -> str:
    """Markdown table of ``benchmarks/threads.json``: each metric with 1 and N threads per kernel, against the seed spread."""
    lines = ["| notebook | metric | default threads | other threads | difference | seed spread (worst to best) |",
             "|---|---|---|---|---|---|"]
    for name, data in sorted((threads or {}).get("notebooks", {}).items()):
        metrics = data.get("metrics", {})
        changed = {m: e for m, e in metrics.items() if not e.get("identical")}
        if not changed:
            lines.append(f"| {name} | all {len(metrics)} metrics | {data.get('base_threads')} | "
                         f"{data.get('threads')} | identical | |")
        for metric, entry in changed.items():
            spread = spreads.get(name, {}).get("metrics", {}).get(metric)
            width = f"{_fmt(spread['min'])} to {_fmt(spread['max'])}" if spread else "not studied"
            lines.append(f"| {name} | {metric} | {_fmt(entry['base'])} ({data.get('base_threads')}) | "
                         f"{_fmt(entry['other'])} ({data.get('threads')}) | {_fmt(entry['difference'])} | {width} |")
    if len(lines) == 2:
        lines.append("| *not measured yet* |  |  |  |  |  |")
    return "\n".join(lines)


def load_threads(path: Path | None = None) -> dict:
    """``benchmarks/threads.json`` (see ``benchmarks/thread_variation.py``), or {} when absent."""
    path = Path(path or config.project_root() / "benchmarks" / "threads.json")
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(f"{path} is not readable JSON ({err}); remake it with "
                           "`python benchmarks/thread_variation.py --threads 2 notebooks/*.ipynb`") from None


def _machine_text(run: dict) -> str:
    machine = run.get("machine") or {}
    threads = run.get("threads")
    return (f"{machine.get('cpu', 'an unknown CPU')}, {machine.get('cores', '?')} cores, "
            f"{machine.get('system', '')}; {run.get('jobs', '?')} notebook{'s' if run.get('jobs') != 1 else ''} at a time, "
            f"{threads} thread{'s' if threads != 1 else ''} per kernel").replace(", ;", ";")


def timing_note(results: dict[str, dict], timings: dict) -> str:
    """The line under the notebook table: where and how the times were measured ("" if unknown)."""
    runs = [data.get("run") or {} for data in results.values()]
    if not runs or not all(run.get("machine") for run in runs):
        return ""
    full = timings.get("full") if isinstance(timings, dict) else None
    ids = {run.get("id") for run in runs}
    if isinstance(full, dict) and ids == {full.get("id")}:
        day = str(full.get("finished", ""))[:10]
        return (f"Times measured in one full run (`make run`) on {day}: {_machine_text(runs[0])}; "
                f"{_duration(full.get('wall_seconds'))} for the whole run.")
    machines = sorted({_machine_text(run) for run in runs})
    return ("Times of each notebook's latest full run (`python -m mlcourse run`), not one run: "
            + " / ".join(machines) + ".")


def load_published_results(allow_failed: bool = False) -> dict[str, dict]:
    """The full-mode results file of every notebook in ``notebooks/``, checked for publication.

    Raises
    ------
    ResultsError
        Naming each notebook whose results are missing, unreadable, not the
        runner's, older than the notebook, or (unless ``allow_failed``) from a
        failed run, and the command that fixes it.
    """
    notebooks = find_notebooks()
    if not notebooks:
        raise ResultsError("notebooks/ holds no notebooks; nothing to publish")
    results, missing, problems, stale, failed = {}, [], [], [], []
    for path in notebooks:
        file = run_results_path(path.stem, "full")
        if not file.exists():
            missing.append(path)
            continue
        try:
            data = load_run_results(file)
        except ResultsError as err:
            problems.append(str(err))
            continue
        if data.get("source_hash") and data["source_hash"] != source_hash(read_notebook(path)):
            stale.append(path)
        if data["status"] != "ok" and not allow_failed:
            failed.append(f"{path.stem} (cell {data.get('failed_cell')}: {data.get('error')})")
        results[path.stem] = data
    lines = []
    if missing:
        lines.append("no full-mode results for " + ", ".join(p.stem for p in missing)
                     + " (expected " + ", ".join(str(run_results_path(p.stem, 'full')) for p in missing)
                     + "); run `python -m mlcourse run " + " ".join(f"notebooks/{p.name}" for p in missing)
                     + "` (or `make run`)")
    lines += problems
    if stale:
        lines.append("changed since their full-mode results were made: " + ", ".join(p.stem for p in stale)
                     + "; run `python -m mlcourse run " + " ".join(f"notebooks/{p.name}" for p in stale) + "`")
    if failed:
        lines.append("the last full run failed for " + "; ".join(failed) + "; fix and re-run them, or "
                     "publish them marked as failed with `python -m mlcourse readme --allow-failed`")
    if lines:
        raise ResultsError("the README tables were not changed, because they would be partial or wrong:\n  "
                           + "\n  ".join(lines))
    return results


def _replace_between(text: str, name: str, body: str, path: Path) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no '<!-- {name}:start -->' ... '<!-- {name}:end -->' markers; "
                         "restore them with `git checkout README.md`")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def update_readme(path: Path, allow_failed: bool = False) -> Path:
    """Rewrite both generated tables in ``path`` from ``build/results/`` and ``build/timings.json``.

    Raises
    ------
    ValueError
        If the markers are missing, or (:class:`~mlcourse.results.ResultsError`)
        the results are partial or untrustworthy (see :func:`load_published_results`).
    """
    text = path.read_text(encoding="utf-8")
    for name in ("notebooks", "results", "spreads", "threads"):
        _replace_between(text, name, "", path)   # markers first: say so before anything else
    results = load_published_results(allow_failed=allow_failed)
    timings_path = config.project_root() / "build" / "timings.json"
    try:
        timings = json.loads(timings_path.read_text(encoding="utf-8")) if timings_path.exists() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(f"{timings_path} is not readable JSON ({err}); delete it and run "
                           "`make run` to remeasure") from None
    records = [rec for data in results.values() for rec in data["records"]]
    failed = {name: f"cell {data.get('failed_cell')}: {data.get('error')}"
              for name, data in results.items() if data["status"] != "ok"}
    seconds = {name: data.get("seconds") for name, data in results.items()}
    text = _replace_between(text, "notebooks", notebook_table(seconds, timing_note(results, timings)), path)
    text = _replace_between(text, "results", results_table(records, failed), path)
    spreads = load_spreads()
    text = _replace_between(text, "spreads", spread_table(spreads), path)
    text = _replace_between(text, "threads", thread_table(load_threads(), spreads), path)
    atomic_write_text(path, text)
    return path
