"""Tests of the instructor exports: HTML and PDF (mlcourse.export).

The fixed-text checks use a small notebook built here (``demo_notebook``); the
per-notebook tests run over whatever ``notebooks/NN_*.ipynb`` exist. The PDF
tests need xelatex, pandoc and poppler-utils: they are skipped without them
locally, and fail (never skip) when ``CI`` is set.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mlcourse import config, export
from mlcourse.notebooks import NotANotebookError

ROOT = config.project_root()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

DEMO_TITLE = "Export check: σ-noise ≥ 0.3 demo"
LONG_LINE_END = "ENDOFLONGLINE"
ANSWER_TEXT = "The KNOWNANSWERTEXT is 42 because the noise is small."
SOLUTION_CODE = "history = model.fit(X_train, y_train, epochs=200)"


def _png(title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="ideal")
    ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _demo_notebook() -> nbformat.NotebookNode:
    """A notebook with every hazard the exports must handle, and known text."""
    long_line = "total = " + " + ".join(f"value_{i}" for i in range(40)) + f"  # {LONG_LINE_END}"
    nb = new_notebook(cells=[
        new_markdown_cell("# Export check: σ-noise ≥ 0.3 *demo*\n\n"
                          "This notebook checks the exporter. The loss is "
                          "$\\mathcal{L} = -\\frac{1}{N}\\sum_i \\log p(y_i)$ and\n\n"
                          "$$\\hat y = \\sigma(w^\\top x + b)$$\n\nGreek in prose: σ and β, a check ✓."),
        new_code_cell("# NBVAL_CHECK_OUTPUT\n" + long_line, execution_count=1,
                      outputs=[new_output("stream", name="stdout", text="short\n")]),
        new_code_cell("for i in cfg.progress(range(3)):\n    pass", execution_count=2, outputs=[
            new_output("stream", name="stderr",
                       text="  0%|          | 0/3 [00:00<?, ?it/s]\r 33%|###3      | 1/3\r"
                            "100%|##########| 3/3 [00:01<00:00]\n"),
            new_output("stream", name="stdout", text="\x1b[32mgreen\x1b[0m text\x07 done\n"),
            new_output("stream", name="stdout", text="┏━━━━━┓\n┃ box ┃ σ=1\n┗━━━━━┛\n")]),
        new_markdown_cell("Now fit the model on the training set."),
        new_code_cell(f"# Task: fit the network for 200 epochs.\n### BEGIN SOLUTION\nmodel = build()\n"
                      f"{SOLUTION_CODE}\n### END SOLUTION", execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="SOLUTIONOUTPUT\n")]),
        new_code_cell("plot(history)", execution_count=4, outputs=[new_output(
            "display_data", data={"image/png": _png("Learning curve"), "text/plain": "<Figure>"})]),
        new_markdown_cell("## Question\n\nWhy is the answer 42?"),
        new_code_cell(f'Markdown(f"{{GENERATED}} {ANSWER_TEXT}")', metadata={"tags": ["answer"]},
                      execution_count=5, outputs=[new_output(
                          "execute_result", data={"text/markdown": ANSWER_TEXT, "text/plain": "<Markdown>"},
                          execution_count=5)]),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


@pytest.fixture
def demo_path(tmp_path) -> Path:
    path = tmp_path / "99_export_demo.ipynb"
    nbformat.write(_demo_notebook(), path)
    return path


# --------------------------------------------------------------------------- text and titles


def test_clean_output_text_keeps_final_progress_bar_and_drops_escapes():
    text = " 10%|#    |\r100%|#####|\n\x1b[1;31mred\x1b[0m\x1b]0;title\x07 ok\x07\n"
    assert export.clean_output_text(text) == "100%|#####|\nred ok\n"


def test_clean_output_text_applies_backspaces():
    assert export.clean_output_text("abc\b\bX\n") == "aX\n"


def test_notebook_title_is_first_heading_as_plain_text():
    nb = new_notebook(cells=[new_markdown_cell("Intro without heading"),
                             new_markdown_cell("# The *XOR* problem with `keras` ##\n\ntext")])
    assert export.notebook_title(nb) == "The XOR problem with keras"
    nb.cells[1].source = "# Using load_digits and _make_blobs_ with __care__"
    assert export.notebook_title(nb) == "Using load_digits and make_blobs with care"


def test_notebook_title_falls_back_to_default_without_heading():
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    assert export.notebook_title(nb, default="04_xor_mlp") == "04_xor_mlp"


def test_clean_notebook_outputs_merges_streams_and_drops_widgets():
    cell = new_code_cell("x", outputs=[
        new_output("stream", name="stderr", text="a\r"),
        new_output("stream", name="stderr", text="b\n"),
        new_output("display_data", data={export._WIDGET_MIME: {}, "text/plain": "HBox()"})])
    nb = export.clean_notebook_outputs(new_notebook(cells=[cell]))
    assert [(o.output_type, o.get("text")) for o in nb.cells[0].outputs] == [("stream", "b\n")]


def test_export_command_rejects_a_file_that_is_not_a_notebook(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert export.main(["html", str(bad), "--out", str(tmp_path)]) == 1
    assert "is not a notebook: expected a file ending in .ipynb" in capsys.readouterr().err


def test_export_html_of_a_missing_notebook_names_the_file(tmp_path):
    with pytest.raises(NotANotebookError, match="nothere.ipynb does not exist"):
        export.export_html(tmp_path / "nothere.ipynb", tmp_path)


def test_default_sources_take_full_mode_executed_copies(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "build" / "executed").mkdir(parents=True)
    for name in ("01_a.ipynb", "02_b.ipynb", "03_c.ipynb"):
        nbformat.write(new_notebook(), tmp_path / "notebooks" / name)
    for name, mode in (("01_a.ipynb", "full"), ("02_b.ipynb", "fast")):
        nb = new_notebook(metadata={"mlcourse": {"mode": mode}})
        nbformat.write(nb, tmp_path / "build" / "executed" / name)
    chosen = export.default_sources("pdf", root=tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in chosen] == [
        "build/executed/01_a.ipynb", "notebooks/02_b.ipynb", "notebooks/03_c.ipynb"]


# --------------------------------------------------------------------------- HTML


def _external_resources(html: str) -> list[str]:
    """Scripts, stylesheets and images that a browser would fetch from the network."""
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html, flags=re.I)
    return [t for t in tags if re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", t, flags=re.I)]


def test_html_renders_math_as_mathml_without_network(demo_path, tmp_path):
    html = export.export_html(demo_path, tmp_path).read_text(encoding="utf-8")
    assert f"<title>{DEMO_TITLE}</title>" in html
    assert html.count("<math") == 2 and 'display="block"' in html
    assert "<script" not in html.lower()
    assert "NBVAL_CHECK_OUTPUT" not in html
    assert ANSWER_TEXT in html and "GENERATED" not in html   # an answer shows as text, not as its program
    assert _external_resources(html) == []
    assert 'src="data:image/png;base64,' in html
    assert "\\frac" not in html and "$$" not in html


def test_unknown_tex_operator_becomes_an_operator_name():
    assert "\\arg" not in export._mathml("\\arg\\min_x f(x)", display=True)
    assert ">arg<" in export._mathml("\\arg\\min_x f(x)", display=True)


def test_math_outputs_become_mathml_but_latex_tables_do_not():
    texts = ["$$\\frac{a}{b}$$", "\\begin{align*}a &= b\\end{align*}",
             "\\begin{tabular}{c}1\\end{tabular}"]
    cell = new_code_cell("x", outputs=[new_output("display_data", data={"text/latex": t})
                                       for t in texts])
    nb = new_notebook(cells=[cell])
    export._latex_outputs_to_mathml(nb)
    html = [o.data.get("text/html", "") for o in nb.cells[0].outputs]
    assert html[0].startswith("<math") and "<mfrac>" in html[0]
    assert html[1].startswith("<math") and html[2] == ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_html_of_notebook_is_offline_and_converts_all_math(path, tmp_path):
    html = export.export_html(path, tmp_path).read_text(encoding="utf-8")
    title = export.notebook_title(export.read_notebook(path), default=path.stem)
    assert "<title>" + title.replace("&", "&amp;").replace("<", "&lt;") in html
    assert _external_resources(html) == []
    assert 'class="tex"' not in html, f"math in {path.name} that latex2mathml could not convert"
    leftovers = [m for m in re.findall(r"<math.*?</math>", html, flags=re.S) if re.search(r"\\[A-Za-z]", m)]
    assert not leftovers, f"TeX commands left unconverted in {path.name}: {leftovers[:2]}"


# --------------------------------------------------------------------------- PDF


def test_pdf_without_tex_stops_at_once_with_install_command(demo_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert export.main(["pdf", str(demo_path), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "xelatex and pandoc" in err and export.TEX_INSTALL_COMMAND in err
    assert not list(tmp_path.glob("*.pdf"))


@pytest.fixture(scope="module")
def pdf_tools():
    """Skip without the PDF tools locally; in CI, missing tools are a failure."""
    missing = export.missing_tex_tools() + [t for t in ("pdftotext", "pdfinfo", "pdfimages")
                                            if shutil.which(t) is None]
    if missing:
        message = (f"PDF export test needs {', '.join(missing)}: "
                   f"{export.TEX_INSTALL_COMMAND} poppler-utils")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _pdf_facts(pdf: Path) -> dict:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    right = max((float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)), default=0.0)
    return {
        "pages": int(fields["Pages"].strip()),
        "title": fields.get("Title", "").strip(),
        "text": text,
        "flat": " ".join(text.split()),
        "images": [row for row in images if row.split()[2] == "image"],
        "overhang": right - width,
    }


def test_pdf_of_demo_notebook_is_clean(pdf_tools, demo_path, tmp_path):
    result = export.export_pdf(demo_path, tmp_path)
    assert result.error == "" and result.warnings == []
    facts = _pdf_facts(result.pdf)
    assert facts["pages"] >= 1
    assert facts["title"] == DEMO_TITLE                       # from the first heading
    assert DEMO_TITLE in facts["flat"]
    assert facts["flat"].count(DEMO_TITLE) == 1               # shown once, as the title
    assert LONG_LINE_END in facts["text"]                     # long code line wrapped, not cut
    assert "NBVAL" not in facts["text"]                       # test markers are not for readers
    assert facts["overhang"] <= 0, "text runs off the page"
    assert "100%|##########| 3/3" in facts["text"] and "33%" not in facts["text"]
    assert "green text done" in facts["text"] and "[32m" not in facts["text"]
    assert "┃ box ┃ σ=1" in facts["text"] and "check ✓" in facts["text"]
    assert len(facts["images"]) == 1                          # the figure
    assert "KNOWNANSWERTEXT" in facts["flat"] and "GENERATED" not in facts["flat"]  # answer as text


def test_pdf_reports_the_latex_error_and_writes_nothing(pdf_tools, tmp_path):
    from nbformat.v4 import new_raw_cell

    nb = new_notebook(cells=[new_markdown_cell("# Broken"),
                             new_raw_cell("\\undefinedmacro", metadata={"format": "text/latex"})])
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    result = export.export_pdf(path, tmp_path / "out")
    assert result.pdf is None
    assert "xelatex failed" in result.error and "Undefined control sequence" in result.error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", NOTEBOOKS[:1], ids=lambda p: p.stem)
def test_pdf_of_real_notebook(pdf_tools, path, tmp_path):
    nb = export.read_notebook(path)
    title = export.notebook_title(nb, default=path.stem)
    result = export.export_pdf(path, tmp_path)
    assert result.error == ""
    assert not [w for w in result.warnings if w.startswith("missing glyphs")], result.warnings
    facts = _pdf_facts(result.pdf)
    assert facts["pages"] >= 2
    assert facts["title"] == title and " ".join(title.split()) in facts["flat"]
    assert "cfg = mlcourse.config.start(seed=" in facts["text"]
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert len(facts["images"]) == figures
    assert facts["overhang"] <= 0, "text runs off the page"
