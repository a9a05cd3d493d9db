"""How long ``make test`` takes, and where its CPU goes.

    .venv/bin/python benchmarks/make_test_time.py --clone          # a fresh clone of HEAD: what the issue measures
    .venv/bin/python benchmarks/make_test_time.py                  # this checkout as it is
    .venv/bin/python benchmarks/make_test_time.py --clone --parts  # also its three parts, one after another

Runs ``make test`` and measures its wall time and the user and system CPU of
everything it started (the pytest workers, every kernel, the grading
workers), as ``/usr/bin/time`` would. ``--clone`` first clones the committed
HEAD into a temporary folder and creates its ``.venv`` (``make`` of the
install stamp, which reuses pip's cache; not ``make setup``, which would point
the user's "mlcourse" Jupyter kernel at the clone), so that nothing built here
helps the run. ``--parts`` then runs the three parts of ``make test`` alone,
one after another, with the Makefile's pytest options: the assignment round
trip (``tests/test_roundtrip.py``), the nbval pass over ``notebooks/`` and the
other tests. Their CPU adds up to about that of the whole run; their wall
times do not, because ``make test`` runs them side by side.

The machine's speed varies from hour to hour here, so the run is bracketed
by a calibration: the user CPU of ``import keras`` (4.0 to 4.3 s in this
machine's usual hours) before and after. Compare runs only with their
calibrations. Writes ``build/benchmarks/make_test.json`` (not committed: the
README quotes what it measured) and prints a summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlcourse import config
from mlcourse.results import atomic_write_text
from mlcourse.runner import machine_info

ROOT = config.project_root()
TARGET = ROOT / "build" / "benchmarks" / "make_test.json"
STAMP = ".venv/.mlcourse-installed"


def pytest_notebook_options(makefile: Path) -> list[str]:
    """The nbval options of ``make test`` (the Makefile's ``PYTEST_NB``), so that the parts run as it does.

    Example
    -------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "Makefile"
    >>> _ = f.write_text("PYTEST_NB := --nbval-lax --nbval-current-env\\n")
    >>> pytest_notebook_options(f)
    ['--nbval-lax', '--nbval-current-env']
    """
    match = re.search(r"^PYTEST_NB\s*:?=(.*)$", makefile.read_text(), re.M)
    if not match or not match.group(1).strip():
        raise SystemExit(f"{makefile} defines no PYTEST_NB (the nbval options of make test); "
                         "this benchmark reads them from there, so update it along with the Makefile")
    return shlex.split(match.group(1))


def part_commands(root: Path) -> dict[str, list[str]]:
    """The three parts of ``make test``, each as the Makefile would run it (2 workers where it uses xdist)."""
    python = str(root / ".venv" / "bin" / "python")
    pytest = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    workers = ["-n", "auto", "--dist", "loadfile", "--no-loadscope-reorder"]
    return {
        "round trip (tests/test_roundtrip.py)": pytest + ["tests/test_roundtrip.py"],
        "nbval pass (notebooks/)": pytest + workers + ["notebooks"] + pytest_notebook_options(root / "Makefile"),
        "other tests": pytest + workers + ["tests", "--ignore", "tests/test_roundtrip.py"],
    }


def timed(command: list[str], cwd: Path, env: dict[str, str], log: Path | None = None) -> dict:
    """Run ``command``; its wall time, the user and system CPU of it and its waited-for descendants, exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log, "w") if log else open(os.devnull, "w") as out:
        code = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"wall_s": round(wall, 1), "user_s": round(after.ru_utime - before.ru_utime, 1),
              "system_s": round(after.ru_stime - before.ru_stime, 1), "exit": code}
    if log:
        tail = [line for line in log.read_text(errors="replace").splitlines() if line.strip()][-1:]
        result["summary"] = tail[0].strip("= ") if tail else ""
    return result


def keras_import_cpu(root: Path, env: dict[str, str]) -> float:
    """User CPU seconds of ``import keras`` in a fresh interpreter: this hour's speed of the machine."""
    return timed([str(root / ".venv" / "bin" / "python"), "-c", "import keras"], root, env)["user_s"]


def commit_of(root: Path) -> str:
    out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clone", action="store_true", help="time a fresh clone of HEAD, not this checkout")
    parser.add_argument("--parts", action="store_true", help="also time the three parts of make test alone")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    for name in ("MLCOURSE_ROOT", config.FAST_ENV, config.RESULTS_ENV, config.SEED_ENV):
        env.pop(name, None)   # the run must find its own checkout and set its own mode
    logs = TARGET.parent
    logs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlcourse-make-test-") as tmp:
        root = ROOT
        if args.clone:
            root = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(root)], check=True)
            print(f"make_test_time: cloned {commit_of(root)} into {root}; creating its .venv", flush=True)
            setup = timed(["make", STAMP], root, env, logs / "make_test.setup.log")
            if setup["exit"]:
                print(f"make_test_time: creating the clone's .venv failed; see {logs / 'make_test.setup.log'}")
                return 1
        elif not (ROOT / STAMP).exists():
            print("make_test_time: this checkout has no .venv yet; run `make setup` first (or use --clone)")
            return 1
        record = {"date": dt.date.today().isoformat(), "commit": commit_of(root), "machine": machine_info(),
                  "checkout": "fresh clone" if args.clone else "this checkout",
                  "import_keras_user_s": {"before": keras_import_cpu(root, env)}}
        print(f"make_test_time: make test in {root} (import keras: {record['import_keras_user_s']['before']} s "
              "of user CPU)", flush=True)
        record["make_test"] = timed(["make", "test"], root, env, logs / "make_test.log")
        if args.parts:
            record["parts"] = {}
            part_env = dict(env, **{config.FAST_ENV: "1"})   # as the Makefile's test target sets it
            for name, command in part_commands(root).items():
                print(f"make_test_time: {name} alone", flush=True)
                slug = re.sub(r"\W+", "_", name.split(" (")[0])
                record["parts"][name] = timed(command, root, part_env, logs / f"make_test.{slug}.log")
        record["import_keras_user_s"]["after"] = keras_import_cpu(root, env)
    atomic_write_text(TARGET, json.dumps(record, indent=1) + "\n")
    print(summary(record))
    return 0 if record["make_test"]["exit"] == 0 else 1


def summary(record: dict) -> str:
    """The measurement in a few lines."""
    def line(name: str, r: dict) -> str:
        cpu = r["user_s"] + r["system_s"]
        return (f"  {name:38s} {r['wall_s'] // 60:.0f} min {r['wall_s'] % 60:04.1f} s wall, {r['user_s']:.0f} s user "
                f"+ {r['system_s']:.0f} s system CPU ({cpu / max(r['wall_s'], 1e-9):.2f} cores busy)"
                + (f", exit {r['exit']}" if r["exit"] else "") + (f"  [{r['summary']}]" if r.get("summary") else ""))

    keras = record["import_keras_user_s"]
    lines = [f"make test on {record['machine']['cores']} cores ({record['machine']['cpu']}), {record['checkout']} "
             f"of {record['commit']}, {record['date']}; import keras {keras['before']} s of user CPU before, "
             f"{keras.get('after')} s after:", line("make test", record["make_test"])]
    lines += [line(name, r) for name, r in record.get("parts", {}).items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
