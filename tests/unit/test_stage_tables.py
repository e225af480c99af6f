"""A stage's tables are its own: no stage's SQL names another stage's table (import-linter cannot see a table named in
a string). Each string literal of a stage's source that looks like SQL (SELECT, INSERT, UPDATE, DELETE, JOIN or FROM
in capitals) is searched for the names of the other stages' tables, as whole words; so is the name given to
SQLAlchemy's lightweight `table("name", ...)`. Another stage's rows are read through its `queries.py`, or a reader
the composition root hands in (leadflow.stages)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from leadflow import stages, tables  # noqa: F401  (tables: every model loaded)

SRC = Path(stages.__file__).resolve().parent
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|JOIN|FROM)\b")

def _owners() -> dict[str, str]:
    """Table name -> the stage whose models define it."""
    owned = {}
    for stage in stages.ALL_STAGES:
        for name in stages.tables_of(stage):
            owned[name] = stage.name
    return owned


def _strings(tree: ast.AST):
    """(line, text) of every string literal that is not a docstring, f-strings by their literal parts joined."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            inside_fstrings |= {id(v) for v in node.values}
            yield node.lineno, " ".join(parts), True
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and id(node) not in inside_fstrings):
            yield node.lineno, node.value, True
        if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "table"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value, False


def foreign_tables_named(source: str, *, stage: str, owners: dict[str, str]) -> list[tuple[int, str, str]]:
    """(line, table, its stage) for every other stage's table the source names in SQL or in `table(...)`."""
    found = []
    for line, text, needs_sql in _strings(ast.parse(source)):
        if needs_sql and not SQL.search(text):
            continue
        for name, owner in owners.items():
            if owner != stage and re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text):
                found.append((line, name, owner))
    return sorted(set(found))


def _violations() -> list[str]:
    owners = _owners()
    problems = []
    for stage in stages.ALL_STAGES:
        for path in sorted((SRC / stage.name).rglob("*.py")):
            where = path.relative_to(SRC).as_posix()
            for line, name, owner in foreign_tables_named(path.read_text("utf-8"), stage=stage.name, owners=owners):
                problems.append(f"src/leadflow/{where}:{line}: names {owner}'s table {name!r} in SQL")
    return problems


def test_no_stage_names_another_stages_table_in_its_sql():
    problems = _violations()
    assert not problems, "read another stage's rows through its queries.py:\n" + "\n".join(problems)


def test_the_check_finds_a_table_of_another_stage_named_in_sql():
    owners = {"captures": "capture", "leads": "leads", "lead_scores": "scoring"}
    source = '''
def read(session):
    """Captures FROM the log: a docstring is no SQL."""
    session.execute(text("SELECT id FROM captures WHERE lead_id = :id"))
    session.execute(text(f"UPDATE lead_scores SET points = 0 WHERE lead_id IN ({ids})"))
    rows = table("leads", column("id"))
    label = "captures of the day"
    return "SELECT * FROM leads_archive"
'''
    found = foreign_tables_named(source, stage="identity", owners=owners)
    assert found == [(4, "captures", "capture"), (5, "lead_scores", "scoring"), (6, "leads", "leads")]
    assert foreign_tables_named(source, stage="capture", owners=owners) == [(5, "lead_scores", "scoring"),
                                                                            (6, "leads", "leads")]

