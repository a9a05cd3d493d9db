"""Bars against measurements: seed studies (benchmarks/spreads/) have at least five seeds and every notebook bar
sits at or below the worst seed; fast-mode bars still fail a model that learned nothing."""

from __future__ import annotations

import ast
import json

import pytest

from mlcourse import config, report
from mlcourse.notebooks import read_notebook

ROOT = config.project_root()
SPREADS = sorted((ROOT / "benchmarks" / "spreads").glob("*.json"))

#: Bars that some seed of the committed study misses. The bar stays where the issue sets it (it is never
#: lowered to fit the seeds); the notebook's default seed meets it, so ``make run`` passes, and the miss is
#: stated in data/README.md and in the README's seed table ("every seed meets it: no"). Each entry is an
#: expected failure that turns into a test failure once every seed meets the bar: then delete the entry.
KNOWN_MISSES: dict[tuple[str, str], str] = {}   # none at present: every seed meets every bar


def notebook_bars(name: str, keys=("at_least", "at_most")) -> dict[str, dict]:
    """``expect("metric", ..., at_least=..., at_most=...)`` calls with literal bars in a notebook's code.

    ``keys``: the bars to read (``fast_at_least`` and ``fast_at_most`` are the fast-mode ones).
    """
    bars = {}
    for cell in read_notebook(ROOT / "notebooks" / f"{name}.ipynb").cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse("\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "expect"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                kw = {k.arg: k.value for k in node.keywords}
                bar = {}
                for key in keys:
                    if key in kw:
                        try:
                            bar[key] = ast.literal_eval(kw[key])
                        except ValueError:
                            bar[key] = None   # computed bar: checked by the notebook itself
                bars[node.args[0].value] = bar
    return bars


def test_the_readme_table_is_built_from_every_spreads_file():
    spreads = report.load_spreads()
    table = report.spread_table(spreads)
    for name, data in spreads.items():
        for metric in data["metrics"]:
            assert f"| {name} | {metric} |" in table


@pytest.mark.parametrize("path", SPREADS, ids=lambda p: p.stem)
def test_spread_has_five_seeds_and_every_literal_bar_sits_at_or_below_the_worst_seed(path):
    _check_spread(json.loads(path.read_text()), skip=KNOWN_MISSES)


if KNOWN_MISSES:   # with none, no test at all (rather than a skip for an empty parameter set in every run)
    @pytest.mark.parametrize("notebook, metric", [pytest.param(*key, marks=pytest.mark.xfail(reason=why, strict=True))
                                                  for key, why in KNOWN_MISSES.items()])
    def test_known_miss_still_misses(notebook, metric):
        data = json.loads((ROOT / "benchmarks" / "spreads" / f"{notebook}.json").read_text())
        assert metric in data["metrics"], f"{notebook} no longer records {metric}: delete its KNOWN_MISSES entry"
        _check_spread(data, only=metric)


def _check_spread(data: dict, skip=(), only: str | None = None) -> None:
    assert len(data["seeds"]) >= 5, f"{data['notebook']}: {len(data['seeds'])} seeds; a bar needs at least 5"
    assert all(r["status"] == "ok" for r in data["runs"]), data["runs"]
    bars = notebook_bars(data["notebook"])
    for metric, entry in data["metrics"].items():
        if (data["notebook"], metric) in skip or (only is not None and metric != only):
            continue
        values = list(entry["values"].values())
        assert len(values) == len(data["seeds"]), f"{metric} was not measured for every seed"
        bar = bars.get(metric)
        if bar is None:
            continue          # a metric the notebook no longer records
        lo, hi = bar.get("at_least"), bar.get("at_most")
        if lo is not None:
            assert min(values) >= lo, f"{data['notebook']}: {metric} bar >= {lo} above the worst seed {min(values)}"
        if hi is not None:
            assert max(values) <= hi, f"{data['notebook']}: {metric} bar <= {hi} below the worst seed {max(values)}"


#: Per notebook, the fast-mode checks that must fail a model that learned nothing, with what such a model scores:
#: for accuracies, chance (one over the number of balanced classes; 0.5 for a ROC AUC); for errors, those of a
#: constant prediction (02: the training means of a, b, c, d give a test MAE of 0.252; 07: the mean of y, an MSE
#: of about 8, the variance of y being 8.13). In fast mode a notebook trains briefly and some bars are loose on
#: purpose (01's accuracy bars sit below its majority baseline); these are the ones that check learning.
LEARNING_CHECKS = {
    "01_lstm_digit_sum": {"roc_auc": 0.5},
    "02_sinewave_regression": {"test_mae": 0.252},
    "03_mnist_regularization": {"baseline_val_accuracy": 0.5, "baseline_test_accuracy": 0.5,
                                "best_test_accuracy": 0.5, "final_test_accuracy": 0.5},
    "04_xor_mlp": {"test_accuracy": 0.5, "heldout_accuracy": 0.5},
    "05_digits_perceptron": {"test_accuracy": 0.1},
    "06_jet_tagging": {"scaled_accuracy": 0.2, "raw_sgd_accuracy": 0.2, "l1_accuracy": 0.2, "adam_accuracy": 0.2,
                       "best_test_accuracy": 0.2},
    "07_lasso_kernels": {"cv_mse_lasso": 8.0, "cv_mse_refit_1se": 8.0},
    "08_calcium_cnn": {"val_session_accuracy": 0.5, "val_session_accuracy_texture": 0.5,
                       "val_session_accuracy_layout": 0.5, "baseline_test_accuracy": 0.5, "best_test_accuracy": 0.5},
}


@pytest.mark.parametrize("name", LEARNING_CHECKS)
def test_fast_mode_bars_fail_a_model_that_learned_nothing(name):
    """Fast grading (``make grade FAST=1``) and the fast checks must not pass a model that learned nothing."""
    bars = notebook_bars(name, keys=("at_least", "at_most", "fast_at_least", "fast_at_most"))
    for metric, nothing in LEARNING_CHECKS[name].items():
        assert metric in bars, f"{name} no longer checks {metric}: update LEARNING_CHECKS"
        bar = bars[metric]
        if "at_least" in bar:   # a score: the fast floor must lie above what learning nothing gives
            floor = bar.get("fast_at_least", bar["at_least"])
            assert floor is not None and floor > nothing, \
                f"{name}: {metric} passes at chance ({nothing}) in fast mode: its fast bar is >= {floor}"
        else:                   # an error: the fast ceiling must lie below it
            ceiling = bar.get("fast_at_most", bar.get("at_most"))
            assert ceiling is not None and ceiling < nothing, \
                f"{name}: {metric} passes a constant prediction ({nothing}) in fast mode: its fast bar is <= {ceiling}"


THREADS = ROOT / "benchmarks" / "threads.json"


@pytest.mark.skipif(not THREADS.exists(), reason="benchmarks/threads.json not measured")
def test_runs_with_other_threads_per_kernel_meet_every_literal_bar_and_claim():
    """The README says an honest run with other threads (or on another CPU) still meets its bars and claims."""
    data = json.loads(THREADS.read_text())
    assert data["notebooks"], "benchmarks/threads.json holds no notebook"
    for name, entry in data["notebooks"].items():
        assert entry["status"] == "ok", f"{name} failed with {entry['threads']} threads per kernel: {entry['error']}"
        assert not entry["claims_false_with_other_threads"], (name, entry["claims_false_with_other_threads"])
        bars = notebook_bars(name)
        for metric, values in entry["metrics"].items():
            bar, other = bars.get(metric) or {}, values["other"]
            lo, hi = bar.get("at_least"), bar.get("at_most")
            assert lo is None or other >= lo, f"{name}: {metric} = {other} with {entry['threads']} threads, bar >= {lo}"
            assert hi is None or other <= hi, f"{name}: {metric} = {other} with {entry['threads']} threads, bar <= {hi}"
