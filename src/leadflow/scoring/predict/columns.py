"""Pure: a table of leads as predictive scoring reads it: the file read and cleaned, the target column's yes and no,
each column's kind and the features built from it, a job title's seniority. pandas and numpy only; never a database,
the web or a model.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

# Values that mean "nobody answered" (compared case-insensitively, after trimming spaces).
PLACEHOLDERS = frozenset({
    "", "select", "-- select --", "--select--", "please select", "choose", "choose one", "-", "--", "---", "?",
    "n/a", "na", "n.a.", "#n/a", "none", "null", "nil", "nan", "unknown", "not known", "not provided",
    "not specified", "not available", "undefined", "(blank)", "blank", "missing",
})
TRUE_WORDS = frozenset({"1", "1.0", "yes", "y", "true", "t", "converted", "won", "win", "success", "positive",
                        "customer", "closed won", "paid", "purchased", "bought", "signed"})
FALSE_WORDS = frozenset({"0", "0.0", "no", "n", "false", "f", "not converted", "not", "lost", "loss", "failure",
                         "negative", "closed lost", "unconverted", "not_converted", "none"})
BOOLEAN_WORDS = frozenset({"yes", "no", "y", "n", "true", "false", "t", "f", "0", "1", "0.0", "1.0"})
ID_NAME = re.compile(r"(^|[\s_\-.])(id|uuid|guid|key|number|no|nr|num|code|ref|reference|email|e-mail|phone|name)$",
                     re.IGNORECASE)
HIGH_CARDINALITY = 50   # more levels than this: target encoding (cross-fitted) instead of native categories
MIN_LEVEL_COUNT = 5     # rarer levels are grouped into one "infrequent" level
MAX_LEVELS = 254        # HistGradientBoosting's native categories (the rest grouped as infrequent)


class PredictError(ValueError):
    """Bad input for training or scoring, said in words a user can act on."""


@dataclass
class Column:
    """One input column as learned: its kind and what scoring needs to rebuild its features."""

    name: str
    kind: str  # numeric, boolean, date, category, high_category
    reference: str | None = None  # dates: the newest date seen in training (ages are counted back from it)


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (delimiter sniffed), TSV or Excel file as text columns, nothing parsed yet."""
    path = Path(path)
    if not path.is_file():
        raise PredictError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            raw = path.read_bytes()
            text = _decode(raw)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=_delimiter(text, path),
                                skipinitialspace=False)
    except PredictError:
        raise
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise PredictError(f"{path}: cannot be read as a table ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise PredictError(f"{path}: the file has no rows")
    return frame


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PredictError("the file is not text")


def _delimiter(text: str, path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0] if "\n" in sample else sample, ",;\t|").delimiter
    except csv.Error:
        return ","


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Text trimmed; placeholders ("Select", "--", "N/A", "unknown", "") become missing (NaN), in object columns."""
    out = {}
    for name in frame.columns:
        values = frame[name].astype(object)
        mask = values.isna()
        text = values.where(mask, values.astype(str).str.strip())
        lowered = text.where(mask, text.astype(str).str.lower())
        missing = mask | lowered.isin(PLACEHOLDERS)
        out[name] = text.where(~missing, np.nan).astype(object)
    return pd.DataFrame(out, index=frame.index)


def parse_target(values: pd.Series, positive: str | None = None) -> tuple[np.ndarray, str]:
    """The target as 0/1 (NaN where unknown) and the label taken as positive.

    Two labels: known words ("1", "yes", "true", "converted", "won") decide; otherwise the rarer label is positive.
    With `positive`, that label is positive and every other known label negative."""
    text = clean(values.to_frame())[values.name]
    known = text.dropna().astype(str)
    if known.empty:
        raise PredictError(f"the target column {values.name!r} has no values")
    lowered = known.str.lower()
    labels = sorted(lowered.unique())
    if positive is not None:
        wanted = positive.strip().lower()
        if wanted not in labels:
            raise PredictError(f"{positive!r} does not occur in the target column {values.name!r} "
                               f"(it holds {', '.join(shown(labels))})")
        chosen = wanted
    elif len(labels) == 1:
        raise PredictError(f"the target column {values.name!r} has one class only ({labels[0]!r}): "
                           "training needs converted and unconverted rows")
    elif len(labels) > 2:
        numbers = pd.to_numeric(lowered, errors="coerce")
        if numbers.notna().all() and set(numbers.unique()) <= {0.0, 1.0}:
            chosen = next(label for label in labels if float(label) == 1.0)
        else:
            raise PredictError(f"the target column {values.name!r} has {len(labels)} labels "
                               f"({', '.join(shown(labels))}): say which one is a conversion with --positive")
    else:
        a, b = labels
        if (a in TRUE_WORDS) != (b in TRUE_WORDS):
            chosen = a if a in TRUE_WORDS else b
        elif (a in FALSE_WORDS) != (b in FALSE_WORDS):
            chosen = b if a in FALSE_WORDS else a
        else:
            counts = lowered.value_counts()
            chosen = min(labels, key=lambda label: (counts[label], label))
    lowered_all = text.where(text.isna(), text.astype(str).str.lower())
    target = np.where(lowered_all.isna(), np.nan, (lowered_all == chosen).astype(float))
    if np.nansum(target) == 0 or np.nansum(target) == np.sum(~np.isnan(target)):
        raise PredictError(f"the target column {values.name!r} has one class only: training needs both")
    original = known[lowered == chosen].iloc[0]
    return target, original


def shown(labels: list[str], limit: int = 6) -> list[str]:
    shown = [repr(label) for label in labels[:limit]]
    return shown + ["..."] if len(labels) > limit else shown


def to_number(values: pd.Series) -> pd.Series:
    """Numbers written as text: "1,234.5", "12 %", "€ 300", "3,5" (a decimal comma)."""
    text = values.astype(object).where(values.notna(), None)
    s = pd.Series(text, index=values.index, dtype=object).map(lambda v: v if v is None else str(v))
    s = s.str.replace(r"[\s%€$£¥]", "", regex=True)
    decimal_comma = s.str.fullmatch(r"-?\d+,\d{1,2}", na=False)
    s = s.where(~decimal_comma, s.str.replace(",", ".", regex=False))
    s = s.str.replace(r"(?<=\d),(?=\d{3}(\D|$))", "", regex=True)
    return pd.to_numeric(s, errors="coerce")


def _to_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", utc=True, format="mixed")


def infer_columns(frame: pd.DataFrame, *, drop: tuple[str, ...] = ()) -> tuple[list[Column], dict[str, str]]:
    """Each column's kind, and the columns left out with the reason (ID-like, constant, empty, asked)."""
    columns, dropped = [], {}
    rows = len(frame)
    for name in frame.columns:
        if name in drop:
            dropped[name] = "left out on request"
            continue
        values = frame[name]
        known = values.dropna()
        if known.empty:
            dropped[name] = "empty"
            continue
        distinct = known.astype(str).str.lower().nunique()
        if distinct == 1 and len(known) == rows:
            dropped[name] = "constant"
            continue
        unique_ratio = distinct / len(known)
        lowered = set(known.astype(str).str.lower().unique()[:20])
        if distinct <= 2 and lowered <= BOOLEAN_WORDS:
            columns.append(Column(name, "boolean"))
            continue
        numbers = to_number(known)
        if numbers.notna().mean() >= 0.95:
            integral = bool(np.all(np.mod(numbers.dropna(), 1) == 0))
            if integral and unique_ratio == 1.0 and rows >= 20 and (ID_NAME.search(name) or _sequential(numbers)):
                dropped[name] = "an identifier (a different value on every row)"
                continue
            columns.append(Column(name, "numeric"))
            continue
        if ID_NAME.search(name) and unique_ratio > 0.9 and rows >= 20:
            dropped[name] = "an identifier (a different value on nearly every row)"
            continue
        if unique_ratio >= 0.98 and len(known) >= 50:
            sample = known.iloc[:200]
            dates = _to_date(sample)
            if dates.notna().mean() >= 0.9 and sample.astype(str).str.contains(r"\d", regex=True).all():
                columns.append(Column(name, "date", reference=_to_date(known).max().isoformat()))
                continue
            dropped[name] = "an identifier or free text (a different value on nearly every row)"
            continue
        if distinct > 12 and known.astype(str).str.contains(r"\d", regex=True).mean() > 0.9:
            sample = known.iloc[:200]
            if _to_date(sample).notna().mean() >= 0.9:
                columns.append(Column(name, "date", reference=_to_date(known).max().isoformat()))
                continue
        columns.append(Column(name, "high_category" if distinct > HIGH_CARDINALITY else "category"))
    return columns, dropped


def _sequential(numbers: pd.Series) -> bool:
    values = numbers.dropna().to_numpy()
    span = values.max() - values.min() + 1
    return span <= 1.5 * len(values)


def features(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """The model's input: numbers as floats (NaN when missing), dates as age in days and month, categories as
    text. A column absent from `frame` is missing on every row."""
    out: dict[str, pd.Series] = {}
    index = frame.index
    for column in columns:
        values = frame[column.name] if column.name in frame.columns else pd.Series(np.nan, index=index, dtype=object)
        if column.kind == "numeric":
            out[column.name] = to_number(values).astype(float)
        elif column.kind == "boolean":
            lowered = values.where(values.isna(), values.astype(str).str.lower())
            out[column.name] = lowered.map(lambda v: np.nan if not isinstance(v, str) else
                                           (1.0 if v in TRUE_WORDS else 0.0 if v in FALSE_WORDS else np.nan)
                                           ).astype(float)
        elif column.kind == "date":
            dates = _to_date(values)
            reference = pd.Timestamp(column.reference) if column.reference else pd.Timestamp(datetime.now(UTC))
            out[f"{column.name} (age in days)"] = ((reference - dates).dt.total_seconds() / 86400).astype(float)
            out[f"{column.name} (month)"] = dates.dt.month.astype(float)
        else:
            out[column.name] = values.astype(object).where(values.notna(), np.nan)
    return pd.DataFrame(out, index=index)


SENIORITY = (
    ("c-level", (r"\b(ceo|cfo|cto|coo|cmo|cio|ciso|cro|chief|founder|co-founder|owner|president|partner|"
                 r"managing director|gesch[aä]ftsf[uü]hrer|directeur g[eé]n[eé]ral)\b")),
    ("vp", r"\b(vp|svp|evp|vice president|vice-president)\b"),
    ("director", r"\b(director|head of|head|directeur|leiter|leader)\b"),
    ("manager", r"\b(manager|lead|supervisor|teamlead|team lead|coordinator|responsable)\b"),
    ("student", r"\b(student|intern|trainee|apprentice|stagiaire|praktikant)\b"),
)


def seniority(job_title: str | None) -> str | None:
    """A job title's level (c-level, vp, director, manager, student, staff), or None when there is no title."""
    if not job_title or not job_title.strip():
        return None
    title = job_title.lower()
    for level, pattern in SENIORITY:
        if re.search(pattern, title):
            return level
    return "staff"
