"""Imports as the API shows them, and the correction a person makes before one starts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadflow.inputs import Input


class ImportChange(Input):
    mapping: dict[str, str] | None = Field(
        default=None, description='{"Column header": "lead_field" | "custom:<name>" | "ignore"}; replaces the last')
    id_column: str | None = Field(default=None, max_length=300)
    campaign: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=32)
    country: str | None = Field(default=None, max_length=100, description=(
        "ISO 3166 code (or name) of the country the file's phone numbers without +country code are read by; a "
        "row's own country column comes first; \"\" clears it"))


class ColumnRead(BaseModel):
    header: str
    target: str
    source: str  # synonym, mapping, unknown (kept as a custom field)


class ImportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    file_format: str
    channel: str
    campaign_id: int | None
    id_column: str | None
    status: str
    size_bytes: int
    rows_total: int | None
    rows_done: int
    created: int
    merged: int
    rejected: int
    set_aside: int = Field(description="rows imported with a value that could not be read, kept as given "
                                       "(`phone_as_given`) in a custom field")
    country: str | None
    bytes_done: int
    progress: float | None = None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None = None
    rows_per_second: float | None = None


class ImportDetail(ImportRead):
    columns: list[ColumnRead] = Field(default_factory=list)
    mapping: dict[str, str] = Field(default_factory=dict, description="every column's target, as it will import")
    sample: list[dict[str, str]] = Field(default_factory=list)
    links: dict[str, str] = Field(default_factory=dict)


class ImportPage(BaseModel):
    items: list[ImportRead]
    next_cursor: str | None
