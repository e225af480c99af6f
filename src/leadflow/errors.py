"""Domain errors: no HTTP in them; app.py maps them to responses once."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    pass


class NotFound(DomainError):
    def __init__(self, what: str, ident: object = None):
        super().__init__(f"{what} not found" if ident is None else f"{what} {ident} not found")
        self.what = what


class Conflict(DomainError):
    pass


@dataclass
class FieldError:
    field: str
    reason: str


@dataclass
class Invalid(DomainError):
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in self.errors))

    @classmethod
    def one(cls, field_name: str, reason: str) -> Invalid:
        return cls([FieldError(field_name, reason)])


class Unauthorized(DomainError):
    pass


class Forbidden(DomainError):
    pass


class TooMany(DomainError):
    def __init__(self, retry_after: int):
        super().__init__("too many requests")
        self.retry_after = retry_after
