"""The headless runner: bad paths, failing notebooks, atomic in-place writes, clean outputs,
concurrency, threads per kernel, IPC kernels, Ctrl-C, leftovers of killed runs, progress in logs."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from mlcourse import runner
from mlcourse.notebooks import clean_outputs, clean_text, read_notebook, source_hash, NotANotebookError


@pytest.fixture(autouse=True)
def isolated_build(tmp_path, monkeypatch):
    """Keep these runs' timings and results out of the project's build/."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("MLCOURSE_ROOT", str(root))
    return root


def make_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A test notebook")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_rejects_a_path_that_is_not_a_notebook(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert runner.main(["run", str(bad)]) == 2
    assert "is not a notebook: expected a file ending in .ipynb" in capsys.readouterr().err


def test_run_rejects_a_missing_path(tmp_path, capsys):
    assert runner.main(["run", str(tmp_path / "missing.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_read_notebook_rejects_broken_json(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{\"cells\": [")
    with pytest.raises(NotANotebookError, match="not valid notebook JSON.*git checkout"):
        read_notebook(path)


def test_in_place_refuses_fast_mode(tmp_path, capsys):
    path = make_notebook(tmp_path / "a.ipynb", "x = 1")
    assert runner.main(["run", str(path), "--fast", "--in-place"]) == 2
    assert "must come from full mode" in capsys.readouterr().err


def test_failing_notebook_is_named_with_cell_and_run_continues(tmp_path, capsys):
    bad = make_notebook(tmp_path / "01_bad.ipynb", "x = 1", "raise RuntimeError('boom')")
    good = make_notebook(tmp_path / "02_good.ipynb", "print('fine')")
    code = runner.main(["run", str(bad), str(good), "--fast", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAILED" in captured.err and "01_bad.ipynb: cell 3: RuntimeError: boom" in captured.err
    assert "  error: cell 3: RuntimeError: boom" in captured.out
    assert (tmp_path / "out" / "02_good.ipynb").exists()
    table = captured.out
    assert "01_bad" in table and "failed" in table and "02_good" in table and "ok" in table


def test_in_place_failure_leaves_committed_notebook_untouched(tmp_path):
    path = make_notebook(tmp_path / "03_x.ipynb", "print('partial')", "1/0")
    before = path.read_bytes()
    assert runner.main(["run", str(path), "--in-place", "--out", str(tmp_path / "out")]) == 1
    assert path.read_bytes() == before


def test_in_place_success_stamps_mode_and_source_hash(tmp_path, isolated_build):
    path = make_notebook(tmp_path / "04_y.ipynb", "import sys; sys.stdout.write('a\\rb\\n')")
    assert runner.main(["run", str(path), "--in-place", "--out", str(tmp_path / "out")]) == 0
    nb = read_notebook(path)
    assert nb.metadata["mlcourse"]["mode"] == "full"
    assert nb.metadata["mlcourse"]["source_hash"] == source_hash(nb)
    assert nb.cells[1].outputs[0]["text"] == "b\n"
    timings = json.loads((isolated_build / "build" / "timings.json").read_text())["full"]
    assert timings["notebooks"]["04_y"]["status"] == "ok" and timings["notebooks"]["04_y"]["seconds"] > 0


def test_kernel_runs_this_interpreter(tmp_path):
    path = make_notebook(tmp_path / "05_z.ipynb", "import sys; print(sys.executable)")
    out = tmp_path / "out"
    assert runner.main(["run", str(path), "--fast", "--out", str(out)]) == 0
    printed = read_notebook(out / path.name).cells[1].outputs[0]["text"].strip()
    assert Path(printed).resolve().parent == Path(sys.executable).resolve().parent


def test_clean_text_keeps_final_progress_state_and_drops_control_characters():
    assert clean_text("  0%|  |\r 50%|# |\r100%|##|\n") == "100%|##|\n"
    assert clean_text("ab\bc \x1b[31mred\x1b[0m") == "ac red"


def test_clean_outputs_merges_streams_and_drops_timestamps():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    nb.cells = [cell]
    clean_outputs(nb)
    assert cell.outputs[0]["text"] == "a\nb\n" and len(cell.outputs) == 1
    assert "execution" not in cell.metadata


def test_format_table_shows_metric_bar_and_coursework():
    run = runner.NotebookRun(path=Path("04_xor_mlp.ipynb"), status="ok", seconds=12.3, metrics=[
        {"metric": "test_accuracy", "value": 0.91, "bar": "in [0.894, 0.924]", "coursework": 0.919,
         "passed": True}])
    table = runner.format_table([run])
    header, _, row = table.splitlines()
    assert header.split() == ["notebook", "status", "time", "metric", "value", "bar", "coursework"]
    assert row.split() == ["04_xor_mlp", "ok", "12.3", "s", "test_accuracy", "0.91", "in", "[0.894,", "0.924]",
                           "0.919"]


def test_clean_outputs_strips_colour_codes_from_plain_text_results():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("model.summary()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "\x1b[1m Total params: \x1b[0m32"})]
    nb.cells = [cell]
    clean_outputs(nb)
    assert cell.outputs[0]["data"]["text/plain"] == " Total params: 32"


EXPECT = "from mlcourse.results import expect"


def test_run_writes_one_results_file_per_notebook_and_mode(tmp_path, isolated_build):
    path = make_notebook(tmp_path / "06_r.ipynb", EXPECT, "expect('acc', 0.8, at_least=0.5)")
    assert runner.main(["run", str(path), "--fast", "--out", str(tmp_path / "out")]) == 0
    data = json.loads((isolated_build / "build" / "results" / "06_r.fast.json").read_text())
    assert (data["status"], data["mode"], data["source"]) == ("ok", "fast", "python -m mlcourse run")
    assert [(r["metric"], r["value"]) for r in data["records"]] == [("acc", 0.8)]
    assert data["run"]["machine"]["cores"] == os.cpu_count()
    assert not (isolated_build / "build" / "results" / "interactive").exists()


def test_notebooks_run_concurrently_with_jobs_2(tmp_path, isolated_build):
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    cell = ("import time, pathlib; t0 = time.time(); time.sleep(3); "
            f"pathlib.Path({str(stamps)!r}, 'NAME').write_text(f'{{t0}} {{time.time()}}')")
    paths = [make_notebook(tmp_path / f"0{i}_c.ipynb", cell.replace("NAME", str(i))) for i in (1, 2)]
    assert runner.main(["run", *map(str, paths), "--fast", "--jobs", "2", "--out", str(tmp_path / "out")]) == 0
    (a0, a1), (b0, b1) = (map(float, (stamps / str(i)).read_text().split()) for i in (1, 2))
    assert a0 < b1 and b0 < a1, "the two notebooks' sleeps did not overlap"
    timings = json.loads((isolated_build / "build" / "timings.json").read_text())["fast"]
    assert timings["jobs"] == 2 and timings["machine"]["cores"] == os.cpu_count()
    assert set(timings["notebooks"]) == {"01_c", "02_c"} and timings["wall_seconds"] > 0


def test_each_kernel_gets_the_threads_and_runs_over_ipc(tmp_path, capfd):
    path = make_notebook(tmp_path / "07_t.ipynb",
                         "import os; print(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['OMP_NUM_THREADS'], "
                         "os.environ['MLCOURSE_THREADS'])",
                         "from ipykernel.kernelapp import IPKernelApp; print(IPKernelApp.instance().transport)")
    out = tmp_path / "out"
    assert runner.main(["run", str(path), "--fast", "--threads", "3", "--out", str(out)]) == 0
    nb = read_notebook(out / path.name)
    assert nb.cells[1].outputs[0]["text"] == "3 3 3\n"
    expected = "ipc" if os.name == "posix" else "tcp"
    assert nb.cells[2].outputs[0]["text"] == expected + "\n"
    assert "without encryption" not in capfd.readouterr().err


def test_default_threads_do_not_depend_on_jobs(monkeypatch):
    monkeypatch.delenv("MLCOURSE_THREADS", raising=False)
    assert runner.default_threads(cores=2, n_notebooks=8) == 1
    assert runner.default_threads(cores=16, n_notebooks=8) in (1, 2)   # 2 unless memory caps the jobs
    monkeypatch.setenv("MLCOURSE_THREADS", "4")
    assert runner.default_threads(cores=2, n_notebooks=8) == 4
    monkeypatch.setenv("MLCOURSE_THREADS", "many")
    with pytest.raises(ValueError, match="MLCOURSE_THREADS='many' is not a positive integer"):
        runner.default_threads()


def test_auto_jobs_uses_cores_and_memory():
    assert runner.auto_jobs(8, cores=2, memory=64 * 2**30) == 2
    assert runner.auto_jobs(1, cores=16, memory=64 * 2**30) == 1
    assert runner.auto_jobs(8, cores=16, memory=7 * 2**30) == 2


def test_thread_environment_sets_tensorflow_openmp_and_blas():
    env = runner.thread_environment(2)
    assert env == {"MLCOURSE_THREADS": "2", "TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "2",
                   "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    with pytest.raises(ValueError, match="positive integer"):
        runner.thread_environment(0)


def test_unwritable_build_is_reported_before_any_notebook_runs(tmp_path, isolated_build, capsys):
    (isolated_build / "build").write_text("a file where build/ belongs")
    marker = tmp_path / "ran"
    path = make_notebook(tmp_path / "08_u.ipynb", f"open({str(marker)!r}, 'w').close()")
    assert runner.main(["run", str(path), "--fast", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error: cannot write the results to" in err and "make it writable" in err
    assert not marker.exists()


def test_corrupt_results_file_is_reported_before_the_run(tmp_path, isolated_build, capsys):
    folder = isolated_build / "build" / "results"
    folder.mkdir(parents=True)
    (folder / "09_v.fast.json").write_text("{half a file")
    (folder / "05_other.full.json").write_text("[]")
    path = make_notebook(tmp_path / "09_v.ipynb", EXPECT, "expect('acc', 0.8, at_least=0.5)")
    assert runner.main(["run", str(path), "--fast", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    first = err.index("start     09_v")
    assert -1 < err.index("09_v.fast.json is not valid JSON") < first and "(this run replaces it)" in err
    assert -1 < err.index("05_other.full.json was not written by") < first
    assert json.loads((folder / "09_v.fast.json").read_text())["status"] == "ok"


def test_run_folders_of_dead_runs_are_removed_at_the_next_start(tmp_path):
    root = tmp_path / "runs"
    dead = root / "999999999-abc"          # no such process
    dead.mkdir(parents=True)
    (dead / "kernel-x.json").write_text("{}")
    alive = root / f"{os.getppid()}-def"
    alive.mkdir()
    new = runner.make_run_folder(root)
    assert not dead.exists() and alive.exists() and new.is_dir() and new.name.startswith(f"{os.getpid()}-")


def test_progress_in_a_log_is_plain_lines_with_a_heartbeat():
    stream = io.StringIO()
    progress = runner._Progress(2, stream, heartbeat=0.0)
    progress.start("01_a", 10, "full")
    progress.cell("01_a", 4)
    progress.tick()
    progress.end("01_a", "01_a: ok in 1.0 s")
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0] == "start     01_a (full mode)"
    assert lines[1].startswith("running   01_a (cell 5/10, ") and lines[2] == "[1/2] 01_a: ok in 1.0 s"


def test_ctrl_c_stops_the_kernel_writes_nothing_half_done_and_exits_130(tmp_path):
    root = tmp_path / "project"
    out = tmp_path / "out"
    quick = make_notebook(tmp_path / "01_quick.ipynb", "print('done')")
    slow = make_notebook(tmp_path / "02_slow.ipynb", "import os; print(os.getpid(), flush=True)",
                         "import time; time.sleep(300)")
    later = make_notebook(tmp_path / "03_later.ipynb", "print('never')")
    env = dict(os.environ, MLCOURSE_ROOT=str(root), PYTHONUNBUFFERED="1")
    # Ctrl-C at a terminal finds SIGINT at its default. A shell without job control starts a
    # background command with SIGINT ignored, and its children inherit that (`mlcourse run` then
    # rightly ignores Ctrl-C); so the run under test gets the default, whoever started pytest.
    proc = subprocess.Popen([sys.executable, "-m", "mlcourse", "run", str(quick), str(slow), str(later),
                             "--fast", "--jobs", "1", "--out", str(out)],
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
                            if os.name == "posix" else None,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines, deadline = [], time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "start     02_slow" in line or not line:
                break
        time.sleep(4)                        # the kernel is in its sleep
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(lines) + rest
    assert proc.returncode == 130, text
    assert "Finished: 01_quick (ok). Stopped: 02_slow. Not started: 03_later." in text
    assert "Traceback" not in text and "AssertionError" not in text
    assert sorted(p.name for p in out.iterdir()) == ["01_quick.ipynb"]
    results = sorted(p.name for p in (root / "build" / "results").iterdir())
    assert results == ["01_quick.fast.json"]
    assert not list(root.rglob("*.tmp"))
    assert not list(runner.runs_root().glob(f"{proc.pid}-*")), "the run's folder was left behind"


def test_several_at_once_start_the_longest_first_by_their_last_time(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_results_path", lambda name, mode: tmp_path / f"{name}.{mode}.json")
    paths = [Path(f"notebooks/{name}.ipynb") for name in ("a", "b", "c", "d")]
    for name, seconds in (("a", 10.0), ("b", 300.0), ("d", 50.0)):
        (tmp_path / f"{name}.full.json").write_text(json.dumps({"seconds": seconds}))
    (tmp_path / "b.fast.json").write_text(json.dumps({"seconds": 1.0}))
    # c has no earlier time: it may be the longest, so it starts first; then b, d, a.
    assert runner.start_order(paths, "full") == [2, 1, 3, 0]
    (tmp_path / "c.full.json").write_text("{not json")
    assert runner.start_order(paths, "full") == [2, 1, 3, 0]
    # only b has a fast time: the full-mode times rank them (c still unknown, so first)
    assert runner.start_order(paths, "fast") == [2, 1, 3, 0]
    for name, seconds in (("a", 9.0), ("c", 2.0), ("d", 3.0)):
        (tmp_path / f"{name}.fast.json").write_text(json.dumps({"seconds": seconds}))
    assert runner.start_order(paths, "fast") == [0, 3, 2, 1]   # every fast time known: they decide


def test_a_fresh_clone_orders_full_runs_by_the_committed_seed_study(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_results_path",                                     # no earlier runs
                        lambda name, mode: tmp_path / "build" / "results" / f"{name}.{mode}.json")
    monkeypatch.setattr(runner.config, "project_root", lambda: tmp_path)
    (tmp_path / "benchmarks" / "spreads").mkdir(parents=True)
    for name, seconds in (("a", [5, 7, 6]), ("b", [90, 400, 100])):
        runs = [{"seed": i, "seconds": s} for i, s in enumerate(seconds)]
        (tmp_path / "benchmarks" / "spreads" / f"{name}.json").write_text(json.dumps({"runs": runs}))
    paths = [Path(f"notebooks/{name}.ipynb") for name in ("a", "b", "c")]
    assert runner.start_order(paths, "full") == [2, 1, 0]   # c unknown; b's median 100 before a's 6
    assert runner.start_order(paths, "fast") == [2, 1, 0]   # no fast times: the full-mode ones rank them
