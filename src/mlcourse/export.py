"""Instructor exports: HTML and PDF.

::

    python -m mlcourse html [NOTEBOOK ...] [--out build/html]
    python -m mlcourse pdf [NOTEBOOK ...] [--out build/pdf] [--jobs 2]

Without notebooks, both export every ``notebooks/NN_*.ipynb``, taking its
executed copy from ``build/executed/`` when ``make run`` made one (full mode)
and the committed notebook otherwise (committed notebooks carry full-mode
outputs). Student versions are made by :mod:`mlcourse.tools.assignments`.

* **HTML** uses nbconvert's ``lab`` template. Math is converted to MathML when
  the page is written (``latex2mathml``), and figures are inline, so one HTML
  file shows everything offline, with no JavaScript and no CDN.
* **PDF** is what ``jupyter nbconvert --to pdf`` does (nbconvert's LaTeX
  export, then xelatex), with cleaner input and output: progress-bar
  debris removed, long code lines wrapped, the title taken from the
  notebook's first heading, a Unicode-complete monospace font for Keras
  summaries, and a fallback font for symbols the text font lacks. Notebooks
  are built in parallel (``--jobs``, default: the number of CPUs, at most 4).
* **Written answers** (code cells tagged ``answer`` that render the
  instructor's answer from the run) show only their rendered output: the
  program that writes them stays out of the page.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Iterable, Sequence

import nbformat

from . import config
from .notebooks import NotANotebookError, clean_text, find_notebooks, read_notebook, title_of

#: Debian packages ``pdf`` needs (xelatex and its LaTeX packages, pandoc for Markdown cells).
TEX_PACKAGES = ("texlive-xetex", "texlive-fonts-recommended", "texlive-plain-generic", "pandoc")
#: The command that installs them, quoted in error messages and in the README.
TEX_INSTALL_COMMAND = "sudo apt-get install -y " + " ".join(TEX_PACKAGES)
#: Cell tag of a code cell whose output is a written answer (shown without its source).
ANSWER_TAG = "answer"
#: nbval markers and similar lines that mean nothing to a student.
_MARKER_RE = re.compile(r"^\s*#\s*NBVAL_\w+\s*$")
#: Control characters other than tab and newline: xelatex chokes on them.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Any escape sequence left after ANSI colour codes are gone (OSC, charset switches, ...).
_ESCAPE_RE = re.compile(r"\x1b(\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])")
#: Outputs that only make sense in a live Jupyter front end.
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class ExportError(RuntimeError):
    """An export could not be made; the message says why and what to do."""


# --------------------------------------------------------------------------- helpers


def clean_output_text(text: str) -> str:
    """Text as a terminal would finally show it, safe for LaTeX and HTML.

    Resolves carriage returns and backspaces (progress bars), drops ANSI and
    other escape sequences and any remaining control character except tab and
    newline.

    Example
    -------
    >>> clean_output_text("epoch 1\\r\\x1b[32mepoch 2\\x1b[0m\\n")
    'epoch 2\\n'
    """
    text = text.replace("\r\n", "\n")
    text = _ESCAPE_RE.sub("", clean_text(text))
    return _CONTROL_RE.sub("", text)


def notebook_title(nb: nbformat.NotebookNode, default: str = "") -> str:
    """The notebook's title: its first Markdown heading as plain text.

    Markdown emphasis, inline code and links are reduced to their text, so the
    title reads the same in a PDF, an HTML ``<title>`` and a file listing.
    """
    title = title_of(nb, default="")
    if not title:
        return default
    title = re.sub(r"\s+#+\s*$", "", title)                      # closing hashes
    title = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)      # links and images
    title = re.sub(r"(\*\*|\*|`)(.+?)\1", r"\2", title)           # emphasis, code
    title = re.sub(r"(?<!\w)(__|_)(.+?)\1(?!\w)", r"\2", title)  # _emphasis_, not snake_case
    title = re.sub(r"<[^>]+>", "", title)                         # inline HTML
    return title.strip() or default


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def clean_notebook_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clean every output of ``nb`` in place for export, and return it.

    Streams of the same name are merged and cleaned with
    :func:`clean_output_text`; ``text/plain`` results and tracebacks too;
    widget views (which need a live kernel) are dropped, and so is an output
    that has nothing left to show.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                if kept and kept[-1].output_type == "stream" and kept[-1].name == out.name:
                    kept[-1].text += out.text
                    continue
                kept.append(out)
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if _WIDGET_MIME in data:
                    continue
                if "text/plain" in data:
                    data["text/plain"] = clean_output_text(str(data["text/plain"]))
                kept.append(out)
            elif out.output_type == "error":
                out.traceback = [clean_output_text(line) for line in out.get("traceback", [])]
                kept.append(out)
            else:
                kept.append(out)
        for out in kept:
            if out.output_type == "stream":
                out.text = clean_output_text(out.text)
        cell.outputs = [o for o in kept if not (o.output_type == "stream" and not o.text.strip())]
    return nb


def _prepare_for_export(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Clean outputs, set the title, show answers as text, drop test markers readers needn't see."""
    nb = clean_notebook_outputs(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and ANSWER_TAG in _tags(cell):
            # nbconvert's templates leave out the source of a cell marked so (as TagRemovePreprocessor does)
            cell.metadata["transient"] = {"remove_source": True}
        if cell.cell_type == "code" and "NBVAL_" in cell.source:
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if not _MARKER_RE.match(line))
    nb.metadata["title"] = notebook_title(nb, default=name)
    return nb


def default_sources(kind: str, root: Path | None = None) -> list[Path]:
    """The notebooks an export works on when none are named.

    Each ``notebooks/NN_*.ipynb``, replaced by its copy in ``build/executed/``
    when that exists and was run in full mode.
    """
    root = root or config.project_root()
    sources = sorted((root / "notebooks").glob("[0-9]*.ipynb"))
    chosen = []
    for path in sources:
        executed = root / "build" / "executed" / path.name
        if executed.is_file():
            try:
                stamp = read_notebook(executed).metadata.get("mlcourse", {})
            except NotANotebookError:
                stamp = {"mode": "unreadable"}
            if stamp.get("mode", "full") == "full":
                path = executed
        chosen.append(path)
    return chosen


# --------------------------------------------------------------------------- HTML


def _require_latex2mathml():
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise ExportError("HTML export needs the Python package latex2mathml (a dependency in "
                          "pyproject.toml): run `make setup`, or `.venv/bin/pip install latex2mathml`"
                          ) from None
    return convert


def _mathml(tex: str, display: bool) -> str:
    """TeX math to MathML; on a construct latex2mathml can't handle, the TeX itself as code.

    Commands latex2mathml does not know come out as literal text (``\\arg``);
    they are retried as ``\\operatorname{arg}``, which is what they mean.
    """
    convert = _require_latex2mathml()
    mode = "block" if display else "inline"
    try:
        mathml = convert(tex.strip(), display=mode)
        unknown = sorted(set(re.findall(r"\\([A-Za-z]+)", mathml)))
        if unknown:
            pattern = r"\\(" + "|".join(unknown) + r")(?![A-Za-z])"
            retry = convert(re.sub(pattern, r"\\operatorname{\1}", tex.strip()), display=mode)
            if not re.search(r"\\[A-Za-z]", retry):
                return retry
            print(f"mlcourse html: unknown TeX command(s) {', '.join(unknown)} in math "
                  f"{tex.strip()[:60]!r}", file=sys.stderr)
        return mathml
    except Exception as err:  # latex2mathml raises many exception types for unsupported TeX
        print(f"mlcourse html: could not convert math {tex.strip()[:60]!r} ({type(err).__name__}); "
              f"shown as TeX", file=sys.stderr)
        return f'<code class="tex">{escape(tex)}</code>'


def _html_exporter():
    from jinja2 import DictLoader, pass_context
    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class MathMLRenderer(IPythonRenderer):
        """nbconvert's Markdown renderer, but math becomes MathML instead of MathJax input."""

        def block_math(self, body: str) -> str:
            return _mathml(body, display=True)

        def latex_environment(self, name: str, body: str) -> str:
            return _mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

        def inline_math(self, body: str) -> str:
            return _mathml(body, display=False)

    template = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style>
math[display="block"] { margin: 0.6em 0; }
code.tex { white-space: pre-wrap; }
</style>
{% endblock extra_css %}
"""

    class OfflineHTMLExporter(HTMLExporter):
        """The ``lab`` HTML export with MathML math and no external scripts."""

        @pass_context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            renderer = MathMLRenderer(
                escape=False, attachments=cell.get("attachments", {}), embed_images=True,
                path=path, anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
            return MarkdownWithMath(renderer=renderer).render(source)

    exporter = OfflineHTMLExporter(
        template_name="lab", extra_loaders=[DictLoader({"mlcourse_offline.html.j2": template})],
        template_file="mlcourse_offline.html.j2", embed_images=True)
    return exporter


_MATH_OUTPUT_RE = re.compile(
    r"^(?:\$\$(?P<a>.+)\$\$|\\\[(?P<b>.+)\\\]|\$(?P<c>.+)\$"
    r"|(?P<env>\\begin\{(?P<name>equation|align|gather|multline|eqnarray)\*?\}.*\\end\{(?P=name)\*?\}))$",
    re.S)


def _latex_outputs_to_mathml(nb: nbformat.NotebookNode) -> None:
    """Math in ``text/latex`` outputs (``IPython.display.Math``) becomes MathML ``text/html``.

    Other LaTeX (a table from pandas) is left to the template.
    """
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/latex" in data and "text/html" not in data:
                match = _MATH_OUTPUT_RE.match(str(data["text/latex"]).strip())
                if match:
                    tex = next(g for g in match.group("a", "b", "c", "env") if g)
                    data["text/html"] = _mathml(tex, display=True)


def export_html(path: str | Path, out_dir: str | Path) -> Path:
    """Write ``out_dir/<name>.html``: a self-contained page that renders math offline.

    Parameters
    ----------
    path : path-like
        The notebook (with outputs, normally an executed one).
    out_dir : path-like
        Folder for the HTML file (created if needed).

    Returns
    -------
    pathlib.Path
        The HTML file written.

    Raises
    ------
    NotANotebookError
        If ``path`` is not a readable notebook.
    ExportError
        If latex2mathml is not installed.
    """
    _require_latex2mathml()
    path = Path(path)
    nb = _prepare_for_export(read_notebook(path), path.stem)
    _latex_outputs_to_mathml(nb)
    exporter = _html_exporter()
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": path.stem, "path": str(path.parent.resolve())}})
    out = Path(out_dir) / f"{path.stem}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


# --------------------------------------------------------------------------- PDF


def missing_tex_tools() -> list[str]:
    """Names of the programs ``pdf`` needs that are not on PATH."""
    return [tool for tool in ("xelatex", "pandoc") if shutil.which(tool) is None]


def require_tex_tools() -> None:
    """Raise :class:`ExportError` with the install command if xelatex or pandoc is missing."""
    missing = missing_tex_tools()
    if missing:
        raise ExportError(
            f"PDF export needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed. On Debian/Ubuntu install them with:\n    {TEX_INSTALL_COMMAND}\n"
            f"(elsewhere: a TeX distribution with xelatex, and pandoc; see docs/instructors.md).")


@lru_cache(maxsize=None)
def _font_cmap(name: str) -> frozenset[int]:
    """Code points a font covers (empty when the font or fontTools is missing)."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools comes with matplotlib
        return frozenset()
    if name.endswith(".otf"):
        try:
            found = subprocess.run(["kpsewhich", name], capture_output=True, text=True,
                                   timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return frozenset()
    else:
        try:  # fc-match always answers with some font: accept it only if it is the one asked for
            family, _, found = subprocess.run(
                ["fc-match", "-f", "%{family}|%{file}", name], capture_output=True, text=True,
                timeout=30).stdout.strip().partition("|")
        except (OSError, subprocess.SubprocessError):
            return frozenset()
        if name not in family.split(","):
            return frozenset()
    if not found or not Path(found).is_file():
        return frozenset()
    try:
        return frozenset(TTFont(found, fontNumber=0, lazy=True).getBestCmap())
    except Exception:  # a font fontTools can't read: no fallback, xelatex reports gaps
        return frozenset()


#: Monospace font with box drawing, arrows and Greek (Keras summaries, tqdm bars).
MONO_FONT = "DejaVu Sans Mono"
#: Fonts for text symbols Latin Modern lacks (Greek letters, check marks, ...), tried in order.
FALLBACK_FONTS = ("DejaVu Serif", "DejaVu Sans")


def _verbatim_free(latex: str) -> str:
    return re.sub(r"\\begin\{Verbatim\}.*?\\end\{Verbatim\}", "", latex, flags=re.S)


def latex_preamble(latex: str, title: str) -> str:
    """Extra preamble for a notebook's LaTeX: PDF title, fonts, fallbacks for missing glyphs.

    Characters outside Latin Modern (the text font) that occur in the text get
    a definition with :mod:`newunicodechar`: in math the ``unicode-math``
    symbol, in code the monospace font's own glyph, in text the first of
    :data:`FALLBACK_FONTS` that has it. Without this xelatex silently leaves
    a blank (it only writes "Missing character" into its log).
    """
    from nbconvert.filters.latex import escape_latex

    lines = [
        "% --- mlcourse export additions",
        r"\hypersetup{pdftitle={" + escape_latex(title) + "}}",
        r"\usepackage{bookmark}",  # PDF bookmarks in one xelatex pass (hyperref alone needs two)
        r"\setcounter{secnumdepth}{0}",  # notebooks have unnumbered headings
        r"\IfFontExistsTF{" + MONO_FONT + r"}{\setmonofont[Scale=MatchLowercase]{" + MONO_FONT + "}}{}",
    ]
    text_font = _font_cmap("lmroman10-regular.otf")
    wanted = {ord(c) for c in _verbatim_free(latex) if ord(c) > 127} - text_font
    if text_font and wanted:
        lines += [
            r"\usepackage{newunicodechar}",
            r"\makeatletter",
            r"\newcommand\mlchar[2]{\ifmmode\Umathcharnum\Umathcodenum#2\relax\else"
            r"\edef\ml@fam{\f@family}\edef\ml@tt{\ttdefault}"
            r"\ifx\ml@fam\ml@tt\char#2\relax\else{#1\char#2\relax}\fi\fi}",
            r"\pdfstringdefDisableCommands{\def\mlchar#1#2{\Uchar#2 }}",
            r"\makeatother",
        ]
        for number, font in enumerate(FALLBACK_FONTS):
            covered = sorted(wanted & _font_cmap(font))
            if not covered:
                continue
            wanted -= set(covered)
            command = "\\mlfallback" + "abcdefgh"[number]
            lines.append(f"\\newfontfamily{command}{{{font}}}")
            lines += [f'\\newunicodechar{{{chr(c)}}}{{\\mlchar{{{command}}}{{"{c:04X}}}}}'
                      for c in covered]
    lines.append("% --- end of mlcourse export additions")
    return "\n".join(lines) + "\n"


def _drop_title_heading(nb: nbformat.NotebookNode) -> None:
    """Remove the first heading from the body: ``\\maketitle`` already shows it."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("#"):
                cell.source = "\n".join(lines[:i] + lines[i + 1:]).strip("\n")
                return


#: Separator between Markdown texts converted in one pandoc run.
_SPLIT = "MLCOURSEPANDOCSPLIT"
#: pandoc's input format for notebook Markdown (as nbconvert uses it).
_MARKDOWN = "markdown+tex_math_double_backslash"

_LATEX_TEMPLATE = r"""((*- extends 'index.tex.j2' -*))
((* block markdowncell scoped *))
    ((( cell.source | mlcourse_markdown2latex )))
((* endblock markdowncell *))
((* block data_markdown -*))
    ((( output.data['text/markdown'] | mlcourse_markdown2latex )))
((* endblock data_markdown *))
"""


def _markdown_texts(nb: nbformat.NotebookNode) -> list[str]:
    texts = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    texts += [str(out.data["text/markdown"]) for cell in nb.cells for out in cell.get("outputs", [])
              if "text/markdown" in out.get("data", {})]
    return texts


def _prepare_markdown(source: str) -> str:
    from nbconvert.filters import citation2latex, strip_files_prefix

    return strip_files_prefix(citation2latex(source))


def markdown_to_latex_batch(texts: Iterable[str]) -> dict[str, str]:
    """Convert Markdown texts to LaTeX in one pandoc run: ``{text: latex}``.

    nbconvert starts pandoc twice per Markdown cell, which is a third of a
    notebook's PDF time. Here all texts go through one run, joined by a
    separator paragraph. If the output does not split back into as many
    parts (a text with an unclosed fence swallowed a separator), the result
    is empty and each text is converted on its own instead.
    """
    from nbconvert.utils.pandoc import pandoc

    unique = list(dict.fromkeys(texts))
    if not unique or any(_SPLIT in text for text in unique):
        return {}
    joined = f"\n\n{_SPLIT}\n\n".join(_prepare_markdown(text) for text in unique)
    parts = re.split(rf"^{_SPLIT}$", pandoc(joined, _MARKDOWN, "latex"), flags=re.M)
    if len(parts) != len(unique):
        return {}
    return {text: part.strip("\n") for text, part in zip(unique, parts)}


def notebook_latex(path: str | Path) -> tuple[str, dict[str, bytes]]:
    """The LaTeX source of a notebook's PDF and the figure files it includes."""
    from jinja2 import DictLoader
    from nbconvert.exporters import LatexExporter
    from nbconvert.utils.pandoc import pandoc

    path = Path(path)
    nb = _prepare_for_export(read_notebook(path), path.stem)
    title = nb.metadata["title"]
    _drop_title_heading(nb)
    converted = markdown_to_latex_batch(_markdown_texts(nb))

    def markdown2latex(source: str) -> str:
        if source in converted:
            return converted[source]
        return pandoc(_prepare_markdown(source), _MARKDOWN, "latex")

    exporter = LatexExporter(extra_loaders=[DictLoader({"mlcourse.tex.j2": _LATEX_TEMPLATE})],
                             template_file="mlcourse.tex.j2")
    exporter.register_filter("mlcourse_markdown2latex", markdown2latex)
    latex, resources = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": path.stem, "path": str(path.parent.resolve())}})
    # Before \title: the title's characters are read there, so their definitions come first.
    preamble = latex_preamble(latex, title)
    anchor = "\\title{" if "\\title{" in latex else "\\begin{document}"
    latex = latex.replace(anchor, preamble + anchor, 1)
    latex = latex.replace("\\begin{document}", "\\date{}\n\\begin{document}", 1)
    return latex, dict(resources.get("outputs", {}))


@dataclass
class PdfResult:
    """One notebook's PDF export."""

    source: Path
    pdf: Path | None = None
    seconds: float = 0.0
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def _latex_errors(log: str) -> str:
    """The ``! ...`` error lines of a LaTeX log, with a little context."""
    lines = log.splitlines()
    picked = []
    for i, line in enumerate(lines):
        if line.startswith("!"):
            picked.extend(lines[i:i + 4])
    return "\n".join(picked[:24]) or "\n".join(lines[-20:])


def _latex_warnings(log: str) -> list[str]:
    warnings = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    notes = [f"missing glyphs (shown blank): {' '.join(warnings)}"] if warnings else []
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log)]
    wide = [x for x in overfull if x > 20]
    if wide:
        notes.append(f"{len(wide)} line(s) stick out of the text block by up to {max(wide):.0f} pt")
    return notes


def export_pdf(path: str | Path, out_dir: str | Path, latex_runs: int = 1) -> PdfResult:
    """Write ``out_dir/<name>.pdf`` with nbconvert's LaTeX export and xelatex.

    Parameters
    ----------
    path : path-like
        The notebook (with outputs).
    out_dir : path-like
        Folder for the PDF (created if needed).
    latex_runs : int
        xelatex passes. One is enough: there are no cross-references, and the
        ``bookmark`` package writes the PDF outline in the same pass.

    Returns
    -------
    PdfResult
        The PDF path, or the error (the LaTeX error lines) when it failed;
        ``warnings`` lists glyphs no font had and lines that stick out.

    Raises
    ------
    ExportError
        If xelatex or pandoc is not installed (with the install command).
    NotANotebookError
        If ``path`` is not a readable notebook.
    """
    require_tex_tools()
    path = Path(path)
    result = PdfResult(source=path)
    started = time.monotonic()
    latex, files = notebook_latex(path)
    env = dict(os.environ)
    env["TEXINPUTS"] = str(path.parent.resolve()) + os.pathsep + env.get("TEXINPUTS", "")
    with tempfile.TemporaryDirectory(prefix="mlcourse-pdf-") as tmp:
        work = Path(tmp)
        (work / "notebook.tex").write_text(latex, encoding="utf-8")
        for name, data in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data if isinstance(data, bytes) else str(data).encode())
        command = ["xelatex", "-interaction=nonstopmode", "-halt-on-error", "notebook.tex"]
        for _ in range(latex_runs):
            proc = subprocess.run(command, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if proc.returncode:
                log_file = work / "notebook.log"
                log = (log_file.read_text(errors="replace") if log_file.exists()
                       else proc.stdout.decode(errors="replace"))
                result.error = "xelatex failed:\n" + _latex_errors(log)
                result.seconds = time.monotonic() - started
                return result
        log = (work / "notebook.log").read_text(errors="replace")
        result.warnings = _latex_warnings(log)
        out = Path(out_dir) / f"{path.stem}.pdf"
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / "notebook.pdf", out)
        result.pdf = out
    result.seconds = time.monotonic() - started
    return result


def export_pdfs(paths: Sequence[Path], out_dir: str | Path, jobs: int | None = None) -> list[PdfResult]:
    """Export several notebooks to PDF, ``jobs`` at a time (xelatex runs as separate processes)."""
    require_tex_tools()
    jobs = jobs or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda p: export_pdf(p, out_dir), paths))


# --------------------------------------------------------------------------- command line


def _parser(command: str) -> argparse.ArgumentParser:
    defaults = {"html": "build/html", "pdf": "build/pdf"}
    what = {
        "html": "Export notebooks to self-contained HTML (math rendered offline).",
        "pdf": "Export notebooks to PDF with nbconvert and xelatex.",
    }
    parser = argparse.ArgumentParser(prog=f"python -m mlcourse {command}", description=what[command])
    source = "build/executed/ (full mode) or notebooks/"
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                        help=f"notebooks to export (default: every notebook, from {source})")
    parser.add_argument("--out", default=None,
                        help=f"output folder (default: {defaults[command]} in the project)")
    if command == "pdf":
        parser.add_argument("--jobs", type=int, default=None,
                            help="notebooks built at once (default: number of CPUs, at most 4)")
    parser.set_defaults(default_out=defaults[command])
    return parser


def main(argv: Sequence[str]) -> int:
    """Entry point for ``python -m mlcourse html|pdf ...``; returns the exit status."""
    argv = list(argv)
    if not argv or argv[0] not in ("html", "pdf"):
        print("usage: python -m mlcourse html|pdf [NOTEBOOK ...] [--out DIR]", file=sys.stderr)
        return 2
    command = argv[0]
    args = _parser(command).parse_args(argv[1:])
    out = Path(args.out) if args.out else config.project_root() / args.default_out
    started = time.monotonic()
    try:
        if command == "pdf":
            require_tex_tools()  # before anything else: fail at once, not deep in a LaTeX log
        paths = find_notebooks(args.notebooks) if args.notebooks else default_sources(command)
        if not paths:
            print(f"mlcourse {command}: no notebooks found in notebooks/", file=sys.stderr)
            return 1
        if command == "html":
            for path in paths:
                written = export_html(path, out)
                print(f"html      {written}")
        else:
            results = export_pdfs(paths, out, jobs=args.jobs)
            failed = [r for r in results if r.error]
            for r in results:
                if r.error:
                    print(f"FAILED    {r.source}  ({r.seconds:.0f} s)\n{r.error}", file=sys.stderr)
                else:
                    print(f"pdf       {r.pdf}  ({r.seconds:.0f} s)")
                for warning in r.warnings:
                    print(f"          warning: {warning}")
            if failed:
                print(f"mlcourse pdf: {len(failed)} of {len(results)} failed", file=sys.stderr)
                return 1
    except (ExportError, NotANotebookError) as err:
        print(f"mlcourse {command}: {err}", file=sys.stderr)
        return 1
    print(f"mlcourse {command}: {len(paths)} notebook{'s' if len(paths) != 1 else ''} "
          f"in {time.monotonic() - started:.0f} s -> {out}")
    return 0
