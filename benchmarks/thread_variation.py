"""How much the threads per kernel change each notebook's numbers.

    .venv/bin/python benchmarks/thread_variation.py --threads 2 notebooks/*.ipynb

Runs each notebook once in full mode with ``--threads`` threads per kernel
(one notebook at a time), exactly as ``make run`` would with
``MLCOURSE_THREADS`` set, and compares every metric with the published full
run in ``build/results/<notebook>.full.json`` (made with the runner's default,
one thread per kernel on this 2-core machine). Writes ``benchmarks/threads.json``
(committed); the README's reproducibility table is generated from it.

Why it matters: TensorFlow makes a run reproducible for a fixed thread count
(``enable_op_determinism``), but a reduction split over another number of
threads adds in another order, rounds differently, and a long training run
amplifies that into other weights. The same happens between CPUs whose
instruction sets make TensorFlow pick other kernels, which one machine cannot
vary; this measures the part one machine can.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from mlcourse.notebooks import read_notebook, source_hash
from mlcourse.results import atomic_write_text, load_run_results, run_results_path
from mlcourse.runner import _Kernels, machine_info

sys.path.insert(0, str(Path(__file__).parent))
from seed_spread import ROOT, run_seed  # noqa: E402

TARGET = ROOT / "benchmarks" / "threads.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    data = json.loads(TARGET.read_text()) if TARGET.exists() else {"notebooks": {}}
    kernels = _Kernels()
    for path in args.notebooks:
        path = path.resolve()
        published = load_run_results(run_results_path(path.stem, "full"))
        base_threads = (published.get("run") or {}).get("threads")
        if published.get("source_hash") != source_hash(read_notebook(path)):
            print(f"{path.stem}: its published full run is not of the current source; run it first "
                  f"(python -m mlcourse run {path.relative_to(ROOT)})")
            return 1
        if base_threads == args.threads:
            print(f"{path.stem}: the published run already used {args.threads} threads; skipped")
            continue
        out = ROOT / "build" / "benchmarks" / path.stem
        out.mkdir(parents=True, exist_ok=True)
        run = run_seed(path, None, out, args.threads, kernels, tag=f"threads{args.threads}")
        base = {r["metric"]: r["value"] for r in published["records"] if r.get("kind") != "claim"}
        other = {r["metric"]: r["value"] for r in run["records"] if r.get("kind") != "claim"}
        false_claims = [r["claim"] for r in run["records"] if r.get("kind") == "claim" and not r["holds"]]
        metrics = {}
        for name in sorted(base):
            if name in other:
                metrics[name] = {"base": base[name], "other": other[name],
                                 "difference": other[name] - base[name], "identical": other[name] == base[name]}
        data["notebooks"][path.stem] = {
            "source_hash": published.get("source_hash"), "base_threads": base_threads,
            "threads": args.threads, "status": run["status"],
            "error": run["error"], "seconds": run["seconds"], "metrics": metrics,
            "claims_false_with_other_threads": false_claims,
        }
        changed = [m for m, e in metrics.items() if not e["identical"]]
        print(f"{path.stem}: {run['status']}; {len(changed)} of {len(metrics)} metrics differ"
              + "".join(f"\n  {m}: {metrics[m]['base']:.4g} -> {metrics[m]['other']:.4g}" for m in changed))
    data.update({"machine": machine_info(), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 "command": "python benchmarks/thread_variation.py --threads N notebooks/..."})
    atomic_write_text(TARGET, json.dumps(data, indent=2, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
