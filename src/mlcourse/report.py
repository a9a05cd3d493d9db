"""Generate the README's notebook and results tables from a full run.

``python -m mlcourse readme`` rewrites the text between the markers
``<!-- notebooks:start -->``/``<!-- notebooks:end -->`` and
``<!-- results:start -->``/``<!-- results:end -->`` from ``build/results.json``
(full-mode records only) and ``build/timings.json``. The tables are never typed
by hand, so they cannot drift from what the notebooks measure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import config
from .notebooks import find_notebooks
from .results import load_results

#: What each notebook is, for the README table: (exercise, what it teaches, data source).
NOTEBOOK_INFO: dict[str, tuple[str, str, str]] = {
    "01_lstm_digit_sum": (
        "LSTM: is the sum of 30 digits at least 100?",
        "recurrent nets on sequences; class imbalance, baselines, balanced accuracy, ROC AUC",
        "generated"),
    "02_sinewave_regression": (
        "Dense net reads a, b, c, d off a·sin(bx)+c·cos(dx)",
        "regression with a dense net, MAE, parameter counts, extrapolation limits",
        "generated into `data/sine/`"),
    "03_mnist_regularization": (
        "MNIST 4 vs 9 on 800 digits: overfit, then regularize",
        "overfitting; L1, L2, dropout, early stopping, augmentation; comparing over seeds",
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
        "feature scaling, L1 weight sparsity, learning rates, SGD vs Adam, ROC curves",
        "OpenML `hls4ml_lhc_jets_hlf` when cached, else a labelled synthetic stand-in"),
    "07_lasso_kernels": (
        "Lasso, bias-variance, Mercer kernel regression",
        "regularization paths and selection, honest risk estimates, curse of dimensionality, "
        "kernel ridge regression",
        "generated, committed (`data/lasso.npz`)"),
    "08_calcium_cnn": (
        "CNN: real vs GAN-made calcium imaging frames",
        "convolutional nets, dataset shift between sessions, validation vs test",
        "real frames when present, else a labelled synthetic stand-in"),
}

_MARKERS = {"notebooks": None, "results": None}


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not measured"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def notebook_table(timings: dict) -> str:
    """Markdown table: notebook, exercise, what it teaches, data source, full-run time."""
    full = timings.get("full", {})
    lines = ["| notebook | exercise | what it teaches | data | full run |",
             "|---|---|---|---|---|"]
    for path in find_notebooks():
        exercise, teaches, data = NOTEBOOK_INFO.get(path.stem, (path.stem, "", ""))
        lines.append(f"| [{path.stem}](notebooks/{path.name}) | {exercise} | {teaches} | {data} | "
                     f"{_duration(full.get(path.stem))} |")
    return "\n".join(lines)


def results_table(records: list[dict]) -> str:
    """Markdown table of full-mode results: metric, value, bar, the coursework's value, notes."""
    lines = ["| notebook | metric | ours | bar | met | coursework | notes |",
             "|---|---|---|---|---|---|---|"]
    present = {p.stem for p in find_notebooks()}
    for rec in records:
        if rec.get("mode") != "full" or rec.get("notebook") not in present:
            continue
        seed_note = f"coursework: {rec['seed_note']}" if rec.get("seed_note") else ""
        notes = "; ".join(n for n in (rec.get("note", ""), seed_note) if n)
        lines.append(f"| {rec['notebook']} | {rec['metric']} | {_fmt(rec['value'])} | {rec['bar']} | "
                     f"{'yes' if rec.get('passed') else '**no**'} | {_fmt(rec.get('seed_value'))} | {notes} |")
    return "\n".join(lines)


def _replace_between(text: str, name: str, body: str, path: Path) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"{path} has no '<!-- {name}:start -->' ... '<!-- {name}:end -->' markers; "
                         "restore them with `git checkout README.md`")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def update_readme(path: Path) -> Path:
    """Rewrite both generated tables in ``path`` from ``build/``.

    Raises
    ------
    ValueError
        If the markers are missing or ``build/`` holds no full-mode results.
    """
    build = config.project_root() / "build"
    records = load_results(build / "results.json")
    if not any(r.get("mode") == "full" for r in records):
        raise ValueError("build/results.json has no full-mode results; run `make run` first")
    timings_path = build / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    text = path.read_text()
    text = _replace_between(text, "notebooks", notebook_table(timings), path)
    text = _replace_between(text, "results", results_table(records), path)
    path.write_text(text)
    return path
