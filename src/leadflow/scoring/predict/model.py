"""Pure: the conversion model: learned from a table of leads (cross-validated), rows scored, each probability
explained by the features that moved it, the model stored as bytes or a file. pandas, numpy and scikit-learn only;
never a database or the web.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from leadflow.scoring.predict.columns import (
    HIGH_CARDINALITY,
    MAX_LEVELS,
    MIN_LEVEL_COUNT,
    Column,
    PredictError,
    clean,
    features,
    infer_columns,
    parse_target,
    shown,
)

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
        raise PredictError(f"no column {target!r} in the file (columns: {', '.join(shown(list(frame.columns), 12))})")
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
