"""Seed study: run a notebook with several seeds and write the spread of each metric.

    .venv/bin/python benchmarks/seed_spread.py notebooks/01_lstm_digit_sum.ipynb --seeds 0-4 --jobs 2

Each seed runs the whole notebook in full mode, exactly as ``make run`` does
(same kernel environment, same threads per kernel), except that
``MLCOURSE_SEED=<seed>`` replaces the seed the notebook gives ``start()``, and
that a missed bar or a false claim is recorded instead of stopping the run (so
that every metric of every seed is measured). Nothing is published: the
executed notebooks and their records go to ``build/benchmarks/<notebook>/``.

The spread goes to ``benchmarks/spreads/<notebook>.json`` (committed):
per metric the value of each seed, mean, sd, worst and best, and the bar the
notebook held at the time; per claim whether it held for each seed. The
README's seed table is generated from these files (``python -m mlcourse
readme``) and ``tests/test_spreads.py`` checks that every notebook bar sits at
or below the worst seed.

Seed studies are slow (every seed is a full run) and stay outside ``make run``
and ``make test``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

from mlcourse import config
from mlcourse.notebooks import read_notebook, source_hash, write_notebook
from mlcourse.results import atomic_write_text, load_records
from mlcourse.runner import _Kernels, default_threads, kernel_environment, machine_info, notebook_client

ROOT = config.project_root()
SPREADS = ROOT / "benchmarks" / "spreads"
#: Fewest seeds behind a bar (DESIGN.md: bars sit below the worst of at least 5 seeds).
MIN_SEEDS = 5


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` or ``"0,1,7"`` as a sorted list of distinct non-negative seeds."""
    seeds: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds.update(range(int(lo), int(hi) + 1))
        elif part:
            seeds.add(int(part))
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds {text!r}: give non-negative seeds, e.g. 0-4")
    return sorted(seeds)


def run_seed(path: Path, seed: int | None, out: Path, threads: int, kernels: _Kernels, tag: str = "") -> dict:
    """Execute ``path`` in full mode with ``seed`` (None: the notebook's own); return its records, status and time."""
    name = path.stem
    tag = tag or f"seed{seed}"
    records_file = out / f"{tag}.records.json"
    records_file.unlink(missing_ok=True)
    nb = read_notebook(path)
    client = notebook_client(nb, cwd=path.parent.resolve(), prefix=out / f"kernel-{tag}", kernels=kernels)
    env = kernel_environment(name, False, records_file, threads)
    if seed is not None:
        env[config.SEED_ENV] = str(seed)
    started = time.monotonic()
    status, error = "ok", ""
    try:
        client.execute(env=env)
    except Exception as err:  # noqa: BLE001 - a failing seed is a result too
        status, error = "failed", f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
    seconds = time.monotonic() - started
    write_notebook(nb, out / f"{tag}.ipynb")
    records = [r for r in load_records(records_file) if r.get("mode") == "full"]
    return {"seed": seed, "status": status, "error": error, "seconds": round(seconds, 1), "records": records}


def summarize(path: Path, runs: list[dict], threads: int, command: str) -> dict:
    """The spreads file's content for ``runs`` (one per seed)."""
    seeds = [r["seed"] for r in runs]
    metrics: dict[str, dict] = {}
    claims: dict[str, dict] = {}
    for run in runs:
        for rec in run["records"]:
            if rec.get("kind") == "claim":
                claims.setdefault(rec["claim"], {})[str(run["seed"])] = bool(rec["holds"])
                continue
            entry = metrics.setdefault(rec["metric"], {"values": {}, "at_least": rec.get("at_least"),
                                                       "at_most": rec.get("at_most"), "bar": rec.get("bar")})
            entry["values"][str(run["seed"])] = rec["value"]
    for name, entry in metrics.items():
        values = list(entry["values"].values())
        lo, hi = entry["at_least"], entry["at_most"]
        worst = min(values) if lo is not None else max(values)
        best = max(values) if lo is not None else min(values)
        entry.update({
            "n": len(values), "mean": statistics.fmean(values),
            "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values), "worst": worst, "best": best,
            "every_seed_meets_bar": all((lo is None or v >= lo) and (hi is None or v <= hi) for v in values)
            and len(values) == len(runs),
        })
    return {
        "notebook": path.stem, "source_hash": source_hash(read_notebook(path)), "mode": "full",
        "seeds": seeds, "command": command, "threads_per_kernel": threads, "machine": machine_info(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "runs": [{k: r[k] for k in ("seed", "status", "error", "seconds")} for r in runs],
        "metrics": dict(sorted(metrics.items())),
        "claims": claims,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks/NN_name.ipynb")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-4"),
                        help="seeds, e.g. 0-4 (default) or 0,1,2,3,4,5")
    parser.add_argument("--jobs", type=int, default=2, help="seeds run at once (default 2)")
    args = parser.parse_args(argv)
    if len(args.seeds) < MIN_SEEDS:
        print(f"note: {len(args.seeds)} seeds; a bar needs at least {MIN_SEEDS}", file=sys.stderr)
    threads = default_threads()
    command = "python benchmarks/seed_spread.py " + " ".join(
        [str(p) for p in args.notebooks] + ["--seeds", ",".join(map(str, args.seeds))])
    kernels = _Kernels()
    status = 0
    for path in args.notebooks:
        path = path.resolve()
        out = ROOT / "build" / "benchmarks" / path.stem
        out.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            jobs = {pool.submit(run_seed, path, seed, out, threads, kernels): seed for seed in args.seeds}
            runs = []
            for job in futures.as_completed(jobs):
                run = job.result()
                runs.append(run)
                print(f"{path.stem} seed {run['seed']}: {run['status']} in {run['seconds']:.0f} s "
                      f"{run['error']}", flush=True)
        runs.sort(key=lambda r: r["seed"])
        data = summarize(path, runs, threads, command)
        target = SPREADS / f"{path.stem}.json"
        atomic_write_text(target, json.dumps(data, indent=2, allow_nan=False) + "\n")
        print(f"{path.stem}: {len(runs)} seeds in {time.monotonic() - started:.0f} s -> {target}")
        for name, entry in data["metrics"].items():
            flag = "" if entry["every_seed_meets_bar"] else "   <- a seed misses the bar"
            print(f"  {name}: mean {entry['mean']:.4g}, worst {entry['worst']:.4g}, best {entry['best']:.4g}, "
                  f"bar {entry['bar']}{flag}")
        for text, holds in data["claims"].items():
            if not all(holds.values()):
                print(f"  claim false for seeds {[s for s, h in holds.items() if not h]}: {text}")
        if any(r["status"] != "ok" for r in runs):
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
