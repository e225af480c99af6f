"""The house rules of STYLE.md that nothing else checks, as tests: every pure module is in import-linter's pure
contract and says so, and loads no framework, database, template or HTTP library; a skip for missing shared data
fails when the data is there; services take their session by keyword."""

from __future__ import annotations

import ast
import configparser
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "leadflow"
FORBIDDEN_AT_RUNTIME = ("sqlalchemy", "fastapi", "starlette", "jinja2", "httpx")
SAYS_PURE = re.compile(r"(^|\n|\. )Pure( module)?:|\bPure module\b")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _says_pure(path: Path) -> bool:
    return bool(SAYS_PURE.search(ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""))


def _pure_contract() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter:contract:pure"]["source_modules"].split()


def _covered(name: str, contract: list[str]) -> bool:
    return any(name == entry or name.startswith(entry + ".") for entry in contract)


def test_every_module_that_says_it_is_pure_is_in_the_pure_contract():
    contract = _pure_contract()
    missing = [name for name, path in _modules().items() if _says_pure(path) and not _covered(name, contract)]
    assert missing == [], f"pure by their docstring but not in .importlinter's pure contract: {missing}"


def test_every_module_in_the_pure_contract_says_it_is_pure():
    modules = _modules()
    contract = _pure_contract()
    unknown = [entry for entry in contract if entry not in modules]
    assert unknown == [], f"in the pure contract but not in src/: {unknown}"
    silent = [name for name, path in modules.items() if _covered(name, contract) and not _says_pure(path)]
    assert silent == [], f"in the pure contract, but their docstring does not say 'Pure:': {silent}"


def _pure_modules() -> list[str]:
    contract = _pure_contract()
    return [name for name in _modules() if _covered(name, contract)]


@pytest.mark.parametrize("module", _pure_modules())
def test_a_pure_module_loads_no_framework_database_template_or_http_library(module):
    """In a fresh interpreter: what the module imports at run time, however it imports it."""
    probe = textwrap.dedent(f"""
        import importlib, sys
        importlib.import_module({module!r})
        print(",".join(sorted({{name.split(".")[0] for name in sys.modules}} & {set(FORBIDDEN_AT_RUNTIME)!r})))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(SOURCE.parent)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()}"


def test_a_skip_for_missing_shared_data_fails_when_the_data_is_there(tmp_path):
    """The conftest hook, on a probe test of its own: a skip naming ../shared/data fails; any other skip stays."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        from pathlib import Path
        import tests.conftest as house
        house.SHARED_DATA = Path({str(tmp_path)!r})
        pytest_runtest_makereport = house.pytest_runtest_makereport
        pytest_make_collect_report = house.pytest_make_collect_report
    """))
    (tmp_path / "test_probe.py").write_text(textwrap.dedent("""
        import pytest

        def test_hidden_by_missing_data():
            pytest.skip("../shared/data is not beside the repository")

        @pytest.mark.skip(reason="the shared data has no dedupe lists")
        def test_hidden_by_a_marker():
            pass

        def test_skipped_for_another_reason():
            pytest.skip("SQLite only")
    """))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                             "-p", "no:randomly", str(tmp_path)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    # the skip in the test's body fails it; the marker's skip fails its setup (an error); the other skip stays
    assert "1 failed, 1 skipped, 1 error" in result.stdout, result.stdout + result.stderr


SERVICE_FILES = re.compile(r"(^|/)(service|queries|bulk)\.py$|_service\.py$|(^|/)(service|queries)/")
# scoring/service.py split by job: the modules that hold what it held
SERVICE_BY_JOB = {"scoring/rule_sets.py", "scoring/fields.py", "scoring/live.py", "scoring/fit.py",
                  "scoring/history.py", "scoring/explanations.py", "scoring/outcomes.py"}


def test_services_take_session_by_keyword():
    """STYLE.md: keyword-only sessions (`def capture(*, session, submission)`) in every function of a service,
    queries or bulk module: a session passed by position is how a call ends up with its arguments shifted."""
    positional = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if not (SERVICE_FILES.search(relative) or relative in SERVICE_BY_JOB):
            continue
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if any(arg.arg == "session" for arg in node.args.posonlyargs + node.args.args):
                    positional.append(f"{relative}:{node.lineno} {node.name}")
    assert positional == [], "session is not keyword-only in:\n" + "\n".join(positional)
