"""Predictive scoring: learn a conversion model from any table of leads, score rows, explain each probability.

Pure of the database and the web: pandas, numpy and scikit-learn only; files come in as paths or frames.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
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


@dataclass
class ConversionModel:
    """A trained model with everything needed to score new rows and to explain itself."""

    pipeline: object
    columns: list[Column]
    features: list[str]
    categorical: list[str]
    target: str
    positive: str
    auc: float | None
    auc_std: float | None
    rows: int
    positive_rate: float
    dropped: dict[str, str]
    baseline: dict[str, object]
    warnings: list[str] = field(default_factory=list)
    sklearn_version: str = ""
    trained_at: str = ""

    def metadata(self) -> dict:
        return {"target": self.target, "positive": self.positive, "auc": self.auc, "auc_std": self.auc_std,
                "rows": self.rows, "positive_rate": self.positive_rate,
                "columns": [{"name": c.name, "kind": c.kind} for c in self.columns], "dropped": self.dropped,
                "warnings": self.warnings, "sklearn_version": self.sklearn_version, "trained_at": self.trained_at}


# ---------------------------------------------------------------------------------------------------- reading

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


# ---------------------------------------------------------------------------------------------------- target

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
                               f"(it holds {', '.join(_show(labels))})")
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
                               f"({', '.join(_show(labels))}): say which one is a conversion with --positive")
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


def _show(labels: list[str], limit: int = 6) -> list[str]:
    shown = [repr(label) for label in labels[:limit]]
    return shown + ["..."] if len(labels) > limit else shown


# ---------------------------------------------------------------------------------------------------- columns

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


# ---------------------------------------------------------------------------------------------------- learning

def _pipeline(columns: list[Column], feature_names: list[str], seed: int):
    """Gradient-boosted trees (interactions, thresholds) blended with a regularized logistic regression (steady on
    small tables): the average of their probabilities."""
    return Blend(_trees(columns, feature_names, seed), _linear(columns, feature_names, seed))


def _split(columns: list[Column], feature_names: list[str]) -> tuple[list[str], list[str], list[str]]:
    kinds = {c.name: c.kind for c in columns}
    low = [n for n in feature_names if kinds.get(n) == "category"]
    high = [n for n in feature_names if kinds.get(n) == "high_category"]
    numeric = [n for n in feature_names if n not in low and n not in high]
    return numeric, low, high


def _target_encoder(seed: int):
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import TargetEncoder

    # Each level's conversion rate, cross-fitted while training so a row never sees its own outcome, shrunk toward
    # the overall rate for rare levels.
    return TargetEncoder(target_type="binary", cv=StratifiedKFold(5, shuffle=True, random_state=seed))


def _trees(columns: list[Column], feature_names: list[str], seed: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    numeric, low, high = _split(columns, feature_names)

    def codes():
        return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan,
                              min_frequency=MIN_LEVEL_COUNT, max_categories=MAX_LEVELS, dtype=np.float64)

    parts = []
    if numeric:
        parts.append(("numeric", "passthrough", numeric))
    if low:
        parts.append(("category", codes(), low))
    if high:
        parts.append(("high_rate", _target_encoder(seed), high))
        parts.append(("high_code", codes(), high))
    prepare = ColumnTransformer(parts, remainder="drop", sparse_threshold=0, verbose_feature_names_out=False)
    categorical = [False] * len(numeric) + [True] * len(low) + [False] * len(high) + [True] * len(high)
    model = HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=500, max_leaf_nodes=16, min_samples_leaf=30, l2_regularization=1.0,
        early_stopping=True, validation_fraction=0.15, n_iter_no_change=30, random_state=seed,
        categorical_features=categorical if any(categorical) else None)
    return Pipeline([("prepare", prepare), ("model", model)])


def _linear(columns: list[Column], feature_names: list[str], seed: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler

    numeric, low, high = _split(columns, feature_names)
    parts = []
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                             keep_empty_features=True),
                                               QuantileTransformer(n_quantiles=200, output_distribution="normal",
                                                                   subsample=100_000, random_state=seed)), numeric))
    if low:
        parts.append(("category", make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)", keep_empty_features=True),
            OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=MIN_LEVEL_COUNT,
                          sparse_output=False)), low))
    if high:
        parts.append(("high_rate", make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)", keep_empty_features=True),
            _target_encoder(seed), StandardScaler()), high))
    prepare = ColumnTransformer(parts, remainder="drop", sparse_threshold=0)
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(C=0.3, max_iter=2000))])


class Blend:
    """The mean of the probabilities of the member models (a scikit-learn-style classifier)."""

    def __init__(self, *members):
        self.members = list(members)

    def fit(self, x, y):
        for member in self.members:
            member.fit(x, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, x):
        return np.mean([member.predict_proba(x) for member in self.members], axis=0)


def train(frame: pd.DataFrame, target: str, *, positive: str | None = None, drop: tuple[str, ...] = (),
          folds: int = 5, seed: int = 0, progress=None) -> ConversionModel:
    """Learn P(conversion) from `frame` (text columns as read); cross-validated AUC (stratified k-fold) included."""
    import sklearn
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    say = progress or (lambda _message: None)
    if target not in frame.columns:
        raise PredictError(f"no column {target!r} in the file (columns: {', '.join(_show(list(frame.columns), 12))})")
    cleaned = clean(frame)
    y_all, positive_label = parse_target(frame[target], positive)
    keep = ~np.isnan(y_all)
    cleaned, y = cleaned.loc[keep].reset_index(drop=True), y_all[keep].astype(int)
    if len(y) < 20:
        raise PredictError(f"only {len(y)} rows have a known target: training needs at least 20")
    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < 2:
        raise PredictError("the target has fewer than 2 rows of one class: training needs both classes")
    inputs = cleaned.drop(columns=[target])
    say(f"reading {len(inputs.columns)} columns of {len(y):,} rows")
    columns, dropped = infer_columns(inputs, drop=drop)
    if not columns:
        raise PredictError("no usable column is left (all were identifiers, constant or empty)")
    x = features(inputs, columns)
    names = list(x.columns)
    warnings = _leak_warnings(x, y, columns)
    k = max(2, min(folds, minority))
    say(f"cross-validating ({k} folds)")
    scores = []
    for fold, (train_rows, test_rows) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(x, y)):
        pipeline = _pipeline(columns, names, seed)
        pipeline.fit(x.iloc[train_rows], y[train_rows])
        scores.append(roc_auc_score(y[test_rows], pipeline.predict_proba(x.iloc[test_rows])[:, 1]))
        say(f"fold {fold + 1}/{k}: AUC {scores[-1]:.3f}")
    say("fitting the final model on every row")
    pipeline = _pipeline(columns, names, seed)
    pipeline.fit(x, y)
    return ConversionModel(
        pipeline=pipeline, columns=columns, features=names,
        categorical=[c.name for c in columns if c.kind in ("category", "high_category")],
        target=target, positive=positive_label, auc=round(float(np.mean(scores)), 4),
        auc_std=round(float(np.std(scores)), 4), rows=len(y), positive_rate=round(float(y.mean()), 4),
        dropped=dropped, baseline=_baseline(x, columns), warnings=warnings, sklearn_version=sklearn.__version__,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"))


def _baseline(x: pd.DataFrame, columns: list[Column]) -> dict[str, object]:
    """A typical row: the median of numbers, the most common level of categories (the drivers' reference)."""
    baseline: dict[str, object] = {}
    for name in x.columns:
        values = x[name].dropna()
        if values.empty:
            baseline[name] = np.nan
        elif x[name].dtype == object:
            baseline[name] = values.value_counts().index[0]
        else:
            baseline[name] = float(values.median())
    return baseline


def _leak_warnings(x: pd.DataFrame, y: np.ndarray, columns: list[Column]) -> list[str]:
    """Columns that alone separate the classes almost perfectly are often recorded after the outcome."""
    from sklearn.metrics import roc_auc_score

    warnings = []
    for name in x.columns:
        values = x[name]
        if values.dtype == object:
            if values.nunique() > HIGH_CARDINALITY:
                continue
            rates = pd.Series(y).groupby(values.fillna("(missing)").to_numpy()).mean()
            signal = values.fillna("(missing)").map(rates).to_numpy(dtype=float)
        else:
            signal = values.fillna(values.median() if values.notna().any() else 0).to_numpy(dtype=float)
        try:
            auc = roc_auc_score(y, signal)
        except ValueError:
            continue
        if max(auc, 1 - auc) >= 0.99:
            warnings.append(f"{name!r} alone predicts the target almost perfectly (AUC {max(auc, 1 - auc):.3f}): "
                            "if it is recorded after the outcome, leave it out with --drop")
    return warnings


# ---------------------------------------------------------------------------------------------------- scoring

def probabilities(model: ConversionModel, frame: pd.DataFrame) -> np.ndarray:
    """P(conversion) per row of `frame` (text columns as read; missing columns are missing values)."""
    x = features(clean(frame.drop(columns=[model.target], errors="ignore")), model.columns)
    return model.pipeline.predict_proba(x[model.features])[:, 1]


@dataclass(frozen=True)
class Driver:
    feature: str
    value: object
    effect: float  # probability with this value minus probability with the typical value

    def as_dict(self) -> dict:
        value = self.value
        if isinstance(value, (float, np.floating)):
            value = None if np.isnan(value) else round(float(value), 2)
        elif isinstance(value, np.generic):
            value = value.item()
        return {"feature": self.feature, "value": value, "effect": round(self.effect, 4)}


def explain(model: ConversionModel, frame: pd.DataFrame, *, top: int = 5) -> tuple[np.ndarray, list[list[Driver]]]:
    """Probabilities and, per row, the features that moved it most, strongest first, up or down.

    Each feature's effect is the mean of two one-at-a-time changes (the first and last places of a Shapley
    ordering): the row with that feature set back to the typical value, and the typical row given this row's
    value. The second keeps features that repeat each other (country and language) from hiding one another."""
    x = features(clean(frame.drop(columns=[model.target], errors="ignore")), model.columns)[model.features]
    base = model.pipeline.predict_proba(x)[:, 1]
    n = len(x)
    if n == 0:
        return base, []
    typical = pd.DataFrame({name: pd.Series([model.baseline.get(name, np.nan)] * n, index=x.index,
                                            dtype=object if x[name].dtype == object else float)
                            for name in model.features})
    removed, added = [], []
    for name in model.features:
        copy = x.copy()
        copy[name] = typical[name]
        removed.append(copy)
        copy = typical.copy()
        copy[name] = x[name]
        added.append(copy)
    k = len(model.features)
    moved = model.pipeline.predict_proba(pd.concat(removed + added, ignore_index=True))[:, 1].reshape(2 * k, n)
    reference = model.pipeline.predict_proba(typical.iloc[:1])[:, 1][0]
    effects = ((base[None, :] - moved[:k]) + (moved[k:] - reference)) / 2  # feature x row
    drivers = []
    for row in range(n):
        order = np.argsort(-np.abs(effects[:, row]))
        row_drivers = []
        for i in order[:top]:
            if abs(effects[i, row]) < 0.005:
                break
            name = model.features[i]
            row_drivers.append(Driver(name, x.iloc[row][name], float(effects[i, row])))
        drivers.append(row_drivers)
    return base, drivers


# ---------------------------------------------------------------------------------------------------- storing

def dump(model: ConversionModel) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def load(data: bytes) -> ConversionModel:
    import joblib

    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, ConversionModel):
        raise PredictError("this file is not a leadflow conversion model")
    return model


def save(model: ConversionModel, path: str | Path) -> None:
    Path(path).write_bytes(dump(model))


def open_model(path: str | Path) -> ConversionModel:
    path = Path(path)
    if not path.is_file():
        raise PredictError(f"{path}: no such model file (train one with `leadflow predict train`)")
    try:
        return load(path.read_bytes())
    except PredictError:
        raise
    except Exception as exc:  # noqa: BLE001  (unpickling a foreign file raises any kind of error)
        raise PredictError(f"{path}: not a model file ({type(exc).__name__})") from None


# ---------------------------------------------------------------------------------------------------- lead words

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
