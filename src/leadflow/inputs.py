"""What every JSON input of the API shares: unknown fields refused, texts cleaned, null only where it means "clear".

A field typed without None that defaults to None (`stage: Stage = None`) may be left out of a change, but not
set to null: that answers 422 "may not be null". Texts lose their control characters (tab and line breaks kept);
a lone surrogate, a non-finite number or JSON nested too deep is a 422 naming the field, the same on every database.
`Id` is every id a client gives (a path, a query or a body): a whole number the database holds, else a 422 naming it.
"""

from __future__ import annotations

import math
import types
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from leadflow import values as plain

MAX_INPUT_DEPTH = 32  # any structured input; free fields (custom fields) have their own, smaller limit

# A record's number as SQLite's INTEGER and PostgreSQL's BIGINT both hold it: a larger one is refused when the request
# is read, naming the field (`journey_id`, `lead_ids.3`), instead of failing in the database. Path and query
# parameters and Pydantic fields alike; the OpenAPI shows the bounds.
Id = Annotated[int, Field(ge=plain.MIN_INT, le=plain.MAX_ID)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _plain(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            if info.field_name and not _nullable(cls, info.field_name):
                raise PydanticCustomError("not_null", "may not be null")
            return value
        if isinstance(value, str):
            if plain.has_surrogate(value):
                raise PydanticCustomError("surrogate", plain.SURROGATE_REASON)
            return plain.clean(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise PydanticCustomError("finite_number", "must be a finite number")
        if isinstance(value, dict | list):
            cleaned, problems = plain.plain_json(value, "", max_depth=MAX_INPUT_DEPTH, max_bytes=None)
            if problems:
                first = problems[0]
                where = f"at {first.field}: " if first.field else ""
                raise PydanticCustomError("plain_json", "{problem}", {"problem": where + first.reason})
            return cleaned
        return value


@cache
def _nullable(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is None or _admits_none(field.annotation)


def _admits_none(annotation: Any) -> bool:
    if annotation in (None, type(None), Any):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _admits_none(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_admits_none(arg) for arg in get_args(annotation))
    return False
