"""Seed studies (benchmarks/spreads/): at least five seeds, and every notebook bar at or below the worst seed."""

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


def notebook_bars(name: str) -> dict[str, dict]:
    """``expect("metric", ..., at_least=..., at_most=...)`` calls with literal bars in a notebook's code."""
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
                for key in ("at_least", "at_most"):
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
