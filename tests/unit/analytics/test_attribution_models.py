"""The attribution models' weights and the 25/25/50 split's arithmetic, which the funnel dashboard and the
attribution report show as they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from leadflow.analytics import attribution, domain

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _touch(days: int, campaign: int) -> attribution.Touch:
    return attribution.Touch(at=T0 + timedelta(days=days), kind="capture", campaign_id=campaign, source=None,
                             medium=None, channel=None)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("model", attribution.MODELS)
def test_each_models_weights_sum_to_exactly_one(model, n):
    assert sum(attribution.weights(model, n)) == Decimal(1)


def test_three_touches_first_last_linear_and_position():
    assert attribution.weights("first_touch", 3) == [1, 0, 0]
    assert attribution.weights("last_touch", 3) == [0, 0, 1]
    assert [str(w) for w in attribution.weights("linear", 3)] == ["0.3333333333", "0.3333333333", "0.3333333334"]
    assert [str(w) for w in attribution.weights("position", 3)] == ["0.4000000000", "0.2000000000", "0.4000000000"]
    assert attribution.weights("position", 2) == [Decimal("0.5"), Decimal("0.5")]


def test_only_the_touches_up_to_the_conversion_earn_credit_oldest_first():
    touches = [_touch(4, 3), _touch(0, 1), _touch(9, 4), _touch(2, 2)]
    credited = attribution.credits(touches, T0 + timedelta(days=6))
    assert [(t.campaign_id, str(w)) for t, w in credited["position"]] == [(1, "0.4000000000"), (2, "0.2000000000"),
                                                                         (3, "0.4000000000")]
    assert attribution.credits(touches, T0 - timedelta(days=1)) == {}  # no touch before: unattributed


def test_an_unknown_model_is_refused():
    with pytest.raises(ValueError):
        attribution.weights("time_decay", 2)


def test_the_split_against_25_25_50_gives_the_gap_in_points():
    parts = domain.split({"sales_ready": 3, "discarded": 1, "nurture": 2})
    assert {k: (p["leads"], str(p["share"]), str(p["gap_points"])) for k, p in parts.items()} == {
        "sales_ready": (3, "0.5000", "25.0"), "discarded": (1, "0.1667", "-8.3"), "nurture": (2, "0.3333", "-16.7")}
    empty = domain.split({})
    assert all(p["share"] is None and p["gap_points"] is None for p in empty.values())
