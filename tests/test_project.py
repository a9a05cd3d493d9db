"""Project-level consistency: dependencies, lock file, README commands, CI script."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_dependencies() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {canonical(NAME.match(d).group(1)): d.replace(" ", "") for d in deps}


def environment_dependencies() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    deps = {}
    for line in lines[start + 1:]:
        item = line.strip()
        if item.startswith("- ") and not item.startswith("- -e"):
            spec = item[2:].strip()
            deps[canonical(NAME.match(spec).group(1))] = spec.replace(" ", "")
    return deps


def test_environment_yml_names_same_dependencies_as_pyproject():
    assert environment_dependencies() == pyproject_dependencies()


def test_lock_pins_every_dependency_exactly():
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock line {line!r} is not an exact pin"
            pinned[canonical(name)] = version
    missing = set(pyproject_dependencies()) - set(pinned)
    assert not missing, f"requirements.lock lacks {sorted(missing)}; regenerate it (see its first line)"


def test_readme_puts_the_two_commands_first():
    text = (ROOT / "README.md").read_text()
    commands = re.findall(r"^make \w+", text, re.M)
    assert commands[:2] == ["make run", "make test"]


def test_ci_script_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.rstrip().splitlines()[-1] == "make test"


def test_nbval_sanitizers_parse_and_strip_colour_codes():
    import re as _re

    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())
    assert len(patterns) == 2, "nbval needs 'replace: ' with its trailing space on every entry"
    text = '\x1b[1mModel: "mlp"\x1b[0m at 0x7f00deadbeef'
    for regex, replace in patterns:
        text = _re.sub(regex, replace, text)
    assert text == 'Model: "mlp" at 0xADDRESS'


def test_make_test_benchmark_times_the_parts_make_test_runs():
    """benchmarks/make_test_time.py --parts runs the Makefile's nbval options over notebooks/ and every test file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_test_time", ROOT / "benchmarks" / "make_test_time.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "$(PYTEST_NB)" in recipe and " tests notebooks " in recipe
    parts = list(bench.part_commands(ROOT).values())
    options = bench.pytest_notebook_options(ROOT / "Makefile")
    nbval = [c for c in parts if "notebooks" in c]
    assert "--nbval-lax" in options and len(nbval) == 1 and nbval[0][-len(options):] == options
    roundtrip = [c for c in parts if "tests/test_roundtrip.py" in c and "--ignore" not in c]
    rest = [c for c in parts if "--ignore" in c]
    assert len(roundtrip) == 1 and len(rest) == 1
    assert rest[0][rest[0].index("--ignore") + 1] == "tests/test_roundtrip.py"
