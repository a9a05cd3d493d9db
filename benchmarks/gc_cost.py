"""What Python's cyclic garbage collector costs a notebook's kernel, with and without start()'s tuning.

``mlcourse.config.start`` raises the collector's first threshold from 700 to 10,000 and freezes
the modules TensorFlow brought in (:func:`mlcourse.config.collect_garbage_less_often`). This
benchmark runs each notebook in fast mode twice, back to back in fresh kernels: as committed
("tuned"), and with CPython's defaults put back right after the first cell ("default":
``gc.set_threshold(700, 10, 10); gc.unfreeze()``). A ``gc.callbacks`` hook in each kernel adds up
the time spent collecting and counts the collections of each generation.

The collection time is the number to read: it is measured inside the kernel and hardly depends
on what else the machine does. The kernels' CPU seconds are printed too, but on a machine whose
speed drifts (this one's changes by half from hour to hour) only many alternating runs compare them.
The collection during the import of TensorFlow (in the first cell) counts in both variants
with the tuned threshold; ``python benchmarks/gc_cost.py --import`` measures the import alone.

Usage::

    .venv/bin/python benchmarks/gc_cost.py [--rounds 1] [notebooks/03*.ipynb ...]
    .venv/bin/python benchmarks/gc_cost.py --import [--rounds 3]

Not part of ``make test``: it takes about twice a fast pass over the notebooks.

Measured 2026-11-29 on the 2-core reference machine (in a slow hour), one round: collection
after the first cell, all eight notebooks, 10.1 s with the defaults and 4.1 s tuned (03: 2.21 s
and 0.64 s); the import alone (three rounds), 1.16-1.77 s and 0.40-0.57 s of collection in 5.9-9.4 s
and 5.0-6.2 s of CPU. Kernel CPU over the eight fast runs: 182 s with the defaults, 166 s tuned,
lower for seven of the eight notebooks (one round: within this machine's drift for each notebook alone).
Those figures predate the kernels' environment coming from the runner (``kernel_environment``: oneDNN
off, as in ``make run`` and ``make test``); before, it was set by hand and left oneDNN at its default.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOK = """
import gc as _gc, time as _time
_gc_cost = {"seconds": 0.0, "collections": [0, 0, 0], "began": 0.0}
def _gc_hook(phase, info, _s=_gc_cost, _clock=_time.perf_counter):   # bound now: shutdown clears globals
    if phase == "start":
        _s["began"] = _clock()
    else:
        _s["seconds"] += _clock() - _s["began"]
        _s["collections"][info["generation"]] += 1
_gc.callbacks.append(_gc_hook)
"""
DEFAULTS = "import gc as _gc\n_gc.set_threshold(700, 10, 10)\n_gc.unfreeze()"
REPORT = 'import json as _json, gc as _gc\nprint(_json.dumps({**_gc_cost, "objects": len(_gc.get_objects())}))'
IMPORT = HOOK + """
import json, sys, time
if sys.argv[1] == "tuned":
    import mlcourse.config   # cheap: no TensorFlow; the same threshold start() sets
    mlcourse.config.collect_garbage_less_often()
cpu = time.process_time()
import keras, matplotlib.pyplot, pandas, sklearn.metrics
print(json.dumps({"cpu": time.process_time() - cpu, **_gc_cost}))
"""


def run_notebook(path: Path, variant: str) -> dict:
    import nbformat
    from nbformat.v4 import new_code_cell

    from mlcourse.runner import kernel_environment, notebook_client

    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if variant == "default":
        nb.cells.insert(code[0] + 1, new_code_cell(DEFAULTS))   # right after start()
    nb.cells.insert(0, new_code_cell(HOOK))
    nb.cells.append(new_code_cell(REPORT))
    env = kernel_environment(path.stem, True, ROOT / "build" / "benchmarks" / f"gc_cost-{path.stem}.json", 1)
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gc-cost-") as sockets:
        # the runner's client: its connection file and IPC sockets (ipykernel warns about TCP)
        client = notebook_client(nb, cwd=path.parent, prefix=os.path.join(sockets, "kernel"), timeout=900)
        with client.setup_kernel(env=env):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs).strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "kernel_cpu": cpu, **out}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--import", dest="imports", action="store_true", help="measure the import alone")
    args = parser.parse_args(argv)
    if args.imports:
        for _ in range(args.rounds):
            for variant in ("default", "tuned"):
                out = subprocess.run([sys.executable, "-c", IMPORT, variant], capture_output=True, text=True,
                                     check=True).stdout.strip().splitlines()[-1]
                d = json.loads(out)
                print(f"import  {variant:8s} cpu {d['cpu']:5.2f} s  collecting {d['seconds']:5.2f} s  "
                      f"collections {d['collections']}", flush=True)
        return 0
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    totals = {"default": 0.0, "tuned": 0.0}
    for _ in range(args.rounds):
        for path in paths:
            for variant in ("default", "tuned"):
                d = run_notebook(path, variant)
                totals[variant] += d["seconds"]
                print(f"{path.stem[:24]:24s} {variant:8s} collecting {d['seconds']:5.2f} s  collections "
                      f"{d['collections']}  kernel CPU {d['kernel_cpu']:6.1f} s  wall {d['wall']:6.1f} s", flush=True)
    print(f"collecting, all notebooks and rounds: default {totals['default']:.1f} s, tuned {totals['tuned']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
