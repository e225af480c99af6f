"""The tree of a condition: literals, field paths, comparisons, not, and/or. Every node keeps the span of text it came
from (0, 0 when built from data); a comparison with a fixed right side carries its compiled test. `render` writes a
tree back as text.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.conditions import compare, fields

TEXT_OPS = ("contains", "like", "has words")  # their operand: a text or a list of texts


@dataclass(frozen=True)
class Literal:
    value: object
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Path:
    name: str  # as written
    keys: tuple[str, ...] = ()  # where a context holds its value, the first present wins
    start: int = 0
    end: int = 0
    canonical: str = ""  # the catalogue's name ("bant.known" for "bant_known")


@dataclass(frozen=True)
class Compare:
    op: str  # ==, !=, <, <=, >, >=, in, not in, contains, like, has words, known, unknown
    left: object
    right: object  # a node, a tuple of nodes for in/not in and the text operators, None for known/unknown
    start: int = 0
    end: int = 0
    # The comparison of the left value with the right side, compiled once when the right side is fixed
    # (wildcards, word patterns, folded lists); None when it names a field.
    test: object = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self):
        items = self.right if isinstance(self.right, tuple) else (self.right,)
        fixed = tuple(item.value for item in items) if all(isinstance(i, Literal) for i in items) else None
        known = fields.FIELDS.get(self.left.canonical) if isinstance(self.left, Path) else None
        object.__setattr__(self, "test", compare.prepare(self.op, fixed, code=known is not None and known.code))


@dataclass(frozen=True)
class Not:
    operand: object
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or
    operands: tuple
    start: int = 0
    end: int = 0


def path(name: str, scope: str, start: int = 0, end: int = 0) -> Path:
    """A field path checked against the catalogue; ValueError with the reason when the scope has no such field."""
    found = fields.resolve(name, scope)
    if isinstance(found, str):
        raise ValueError(found)
    return Path(name, found.keys, start, end, found.canonical)


def render(node) -> str:
    """The text form of a tree (for trees built from data, which have no text of their own)."""
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, str):
            return '"' + node.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(node.value, float) and node.value.is_integer():
            return str(int(node.value))
        return str(node.value)
    if isinstance(node, Path):
        return node.name
    if isinstance(node, Not):
        return "not " + _grouped(node.operand)
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_grouped(operand) for operand in node.operands)
    left = render(node.left)
    if node.op in ("known", "unknown"):
        return f"{left} is {node.op}"
    if isinstance(node.right, tuple):
        items = ", ".join(render(item) for item in node.right)
        if node.op in TEXT_OPS and len(node.right) == 1:
            return f"{left} {node.op} {items}"
        return f"{left} {node.op} ({items})"
    return f"{left} {node.op} {render(node.right)}"


def _grouped(node) -> str:
    return f"({render(node)})" if isinstance(node, BoolOp) else render(node)
