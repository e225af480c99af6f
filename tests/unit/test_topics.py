"""Every event has its consequence: each topic in leadflow.events has a worker handler or is declared as having
none, and the source publishes topics only by those names (read from the source itself, so a new publish cannot
slip past)."""

from __future__ import annotations

import ast
from pathlib import Path

from leadflow import events, jobs

SRC = Path(events.__file__).resolve().parent
TOPICS = {name: value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text("utf-8"), filename=str(path))


def _event_names(tree: ast.Module) -> set[str]:
    """Names imported from leadflow.events into the module (`from leadflow.events import LEAD_UPDATED`)."""
    return {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == "leadflow.events" for alias in node.names}


def _assigned(function: ast.AST, name: str) -> list[ast.expr]:
    """Every value a local name is given in a function, tuple unpacking included."""
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                found.append(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                found += [value for element, value in zip(target.elts, node.value.elts, strict=False)
                          if isinstance(element, ast.Name) and element.id == name]
    return found


def _topics_of(node: ast.expr, imported: set[str], function: ast.AST | None, where: str) -> set[str]:
    """The events constants an expression can be; fails on anything else (a literal, an unknown name)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "events":
        assert node.attr in TOPICS, f"{where}: events.{node.attr} is not a topic in leadflow/events.py"
        return {node.attr}
    if isinstance(node, ast.Name) and node.id in imported:
        assert node.id in TOPICS, f"{where}: {node.id} is not a topic in leadflow/events.py"
        return {node.id}
    if isinstance(node, ast.IfExp):
        return _topics_of(node.body, imported, function, where) | _topics_of(node.orelse, imported, function, where)
    if isinstance(node, ast.Name) and function is not None:
        values = _assigned(function, node.id)
        assert values, f"{where}: the topic {node.id} is not a name from leadflow/events.py"
        return set().union(*(_topics_of(v, imported, None, where) for v in values))
    raise AssertionError(f"{where}: publish a topic by its name in leadflow/events.py, not {ast.unparse(node)}")


def _published() -> dict[str, set[str]]:
    """Topic constant -> where it is published: publish(...) calls and outbox rows written as dicts with a topic."""
    found: dict[str, set[str]] = {}
    for path, tree in _modules():
        if path.name == "outbox.py" and path.parent == SRC:
            continue  # the mechanism itself
        imported = _event_names(tree)
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for function in functions:
            for node in ast.walk(function):
                topic = None
                if isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if name in ("publish", "publish_once"):
                        keyword = next((k.value for k in node.keywords if k.arg == "topic"), None)
                        topic = keyword if keyword is not None else node.args[1]
                elif isinstance(node, ast.Dict):
                    topic = next((v for k, v in zip(node.keys, node.values, strict=True)
                                  if isinstance(k, ast.Constant) and k.value == "topic"), None)
                if topic is not None:
                    where = f"{path.relative_to(SRC.parent)}:{node.lineno}"
                    for constant in _topics_of(topic, imported, function, where):
                        found.setdefault(constant, set()).add(where)
    return found


def test_every_topic_has_a_handler_or_is_declared_as_having_none():
    handled, declared = set(jobs.handlers()), set(jobs.without_handler())
    missing = {name: value for name, value in TOPICS.items() if value not in handled | declared}
    assert not missing, f"topics nobody handles and nobody declared as unhandled (leadflow/jobs.py): {missing}"
    assert not handled - declared - set(TOPICS.values()) - set(events.RENAMED), "a handler for an unknown topic"
    assert all(reason.strip() for reason in jobs.without_handler().values())


def test_the_source_publishes_only_topics_named_in_events_and_each_is_handled_or_declared():
    published = _published()
    assert {"LEAD_CAPTURED", "LEAD_RECAPTURED", "LEADS_MERGED", "LEAD_SALES_READY", "SALES_READY_CHECK",
            "SCORING_RESCORED"} <= set(published)
    handled = set(jobs.handlers()) | set(jobs.without_handler())
    assert not {c: w for c, w in published.items() if TOPICS[c] not in handled}


def test_no_topic_is_written_out_as_text_outside_events():
    values = set(TOPICS.values()) | set(events.RENAMED)
    for path, tree in _modules():
        if path.name == "events.py" and path.parent == SRC:
            continue
        literals = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in values]
        assert not literals, f"{path}:{literals[0].lineno}: use the name from leadflow/events.py"


def test_topic_names_cannot_be_confused():
    """No two topics differ only by a plural or separator ("lead.merged" beside "leads.merged")."""
    def shape(topic: str) -> str:
        return "".join(part.rstrip("s") for part in topic.replace("_", ".").split("."))

    shapes = [shape(value) for value in TOPICS.values()]
    assert len(shapes) == len(set(shapes)), sorted(TOPICS.values())
    assert not set(events.RENAMED) & set(TOPICS.values())
