"""The predictive model's pure core: placeholders, targets, column kinds, high-cardinality levels, scoring rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadflow.scoring.predict import columns as predict_columns
from leadflow.scoring.predict import model as predict_model


def lead_table(n: int = 1200, seed: int = 1) -> pd.DataFrame:
    """Conversion depends on the source and the time on site; the city (400 levels) carries a weaker signal."""
    rng = np.random.default_rng(seed)
    source = rng.choice(["Referral", "Google", "Select", "Direct", "Organic"], n)
    minutes = rng.gamma(2.0, 5.0, n)
    city_effect = rng.normal(0, 1.0, 400)
    city = rng.integers(0, 400, n)
    logit = -3.0 + 2.5 * (source == "Referral") + 0.25 * minutes + 0.8 * city_effect[city] + rng.normal(0, 0.3, n)
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({
        "Lead ID": [f"L{i:05d}" for i in range(n)], "Source": source, "Minutes": minutes.round(1).astype(str),
        "City": [f"City {c}" for c in city], "Do Not Email": rng.choice(["Yes", "No"], n),
        "Country": "India", "Converted": np.where(converted, "Yes", "No"),
    })
    frame.loc[rng.random(n) < 0.1, "Minutes"] = "N/A"
    return frame.astype(str)


def test_placeholders_of_any_case_become_missing_values():
    frame = pd.DataFrame({"a": ["Select", "select ", "--", "N/A", "unknown", "", "Finance", " IT "]})
    cleaned = predict_columns.clean(frame)["a"]
    assert cleaned.isna().sum() == 6
    assert list(cleaned.dropna()) == ["Finance", "IT"]


@pytest.mark.parametrize(("values", "positive"), [
    (["1", "0", "0", "1"], "1"), (["yes", "No", "no", "YES"], "yes"), (["True", "False", "False", "True"], "True"),
    (["converted", "not converted", "not converted", "converted"], "converted"), (["Won", "Lost", "Lost", "Won"], "Won"),
])
def test_common_target_words_say_which_class_is_a_conversion(values, positive):
    target, label = predict_columns.parse_target(pd.Series(values, name="t"))
    assert label == positive
    assert list(target) == [1.0, 0.0, 0.0, 1.0]


def test_two_unknown_labels_take_the_rarer_as_positive_unless_told():
    values = pd.Series(["gold", "lead", "lead", "lead", ""], name="t")
    target, label = predict_columns.parse_target(values)
    assert label == "gold" and list(target[:4]) == [1.0, 0.0, 0.0, 0.0] and np.isnan(target[4])
    target, label = predict_columns.parse_target(values, positive="LEAD")
    assert label == "lead" and list(target[:4]) == [0.0, 1.0, 1.0, 1.0]


def test_a_target_with_one_class_or_many_labels_is_refused_with_a_reason():
    with pytest.raises(predict_columns.PredictError, match="one class"):
        predict_columns.parse_target(pd.Series(["yes", "yes", "Select"], name="t"))
    with pytest.raises(predict_columns.PredictError, match="--positive"):
        predict_columns.parse_target(pd.Series(["a", "b", "c"], name="t"))


def test_identifiers_and_constant_columns_are_left_out_and_kinds_are_recognised():
    frame = predict_columns.clean(lead_table(300).drop(columns=["Converted"]))
    frame["Signed up"] = pd.date_range("2025-01-01", periods=300, freq="13h").strftime("%Y-%m-%d %H:%M")
    columns, dropped = predict_columns.infer_columns(frame)
    kinds = {c.name: c.kind for c in columns}
    assert set(dropped) == {"Lead ID", "Country"}
    assert kinds == {"Source": "category", "Minutes": "numeric", "City": "high_category",
                     "Do Not Email": "boolean", "Signed up": "date"}


def test_numbers_written_as_text_are_read():
    values = predict_columns.to_number(pd.Series(["1,234.5", "12 %", "€ 300", "3,5", "abc", None]))
    assert values.iloc[:4].tolist() == [1234.5, 12.0, 300.0, 3.5]
    assert values.iloc[4:].isna().all()


@pytest.fixture(scope="module")
def model() -> predict_model.ConversionModel:
    return predict_model.train(lead_table(), "Converted", folds=3)


def test_a_model_learns_a_known_signal_through_placeholders_and_a_high_cardinality_column(model):
    assert model.positive == "Yes"
    assert model.auc > 0.75
    assert "City" in model.categorical and "Lead ID" in model.dropped


def test_rows_missing_columns_are_scored_and_explained_with_their_drivers(model):
    rows = pd.DataFrame({"Source": ["Referral", "Select"], "Minutes": ["40", "1"], "Extra": ["x", "y"]})
    probabilities, drivers = predict_model.explain(model, rows)
    assert probabilities[0] > probabilities[1]
    assert any(d.feature == "Source" and d.effect > 0 for d in drivers[0])
    assert all(isinstance(d.as_dict()["effect"], float) for row in drivers for d in row)
    restored = predict_model.load(predict_model.dump(model))
    assert np.allclose(predict_model.probabilities(restored, rows), probabilities)


def test_job_titles_map_to_seniority():
    assert predict_columns.seniority("Chief Marketing Officer") == "c-level"
    assert predict_columns.seniority("VP Sales") == "vp"
    assert predict_columns.seniority("Head of IT") == "director"
    assert predict_columns.seniority("Marketing Manager") == "manager"
    assert predict_columns.seniority("Accountant") == "staff"
    assert predict_columns.seniority("  ") is None


def test_a_model_stored_before_the_predict_package_still_loads(monkeypatch):
    """Models pickled when everything lived in scoring/predict.py name `leadflow.scoring.predict.Column` (and
    ConversionModel, Blend): the package still answers to those names."""
    import pickle

    monkeypatch.setattr(predict_columns.Column, "__module__", "leadflow.scoring.predict")
    old = pickle.dumps(predict_columns.Column("Company size", "numeric"))
    monkeypatch.undo()
    assert b"leadflow.scoring.predict\n" in old or b"leadflow.scoring.predict\x94" in old
    loaded = pickle.loads(old)
    assert isinstance(loaded, predict_columns.Column) and loaded.name == "Company size"
