"""Attribution's weights: each model's shares sum to exactly one, the touches after the conversion never count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from leadflow.analytics import attribution

START = datetime(2026, 3, 1, tzinfo=UTC)


def touch(day: int, campaign: int) -> attribution.Touch:
    return attribution.Touch(at=START + timedelta(days=day), kind="capture", campaign_id=campaign, source=None,
                             medium=None, channel=None)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 13])
@pytest.mark.parametrize("model", attribution.MODELS)
def test_every_models_weights_sum_to_one(model, n):
    weights = attribution.weights(model, n)
    assert len(weights) == n and sum(weights) == D(1) and all(w >= 0 for w in weights)


def test_the_four_models_side_by_side():
    assert attribution.weights("first_touch", 3) == [D(1), D(0), D(0)]
    assert attribution.weights("last_touch", 3) == [D(0), D(0), D(1)]
    assert attribution.weights("position", 4) == [D("0.4"), D("0.1"), D("0.1"), D("0.4")]
    assert attribution.weights("position", 2) == [D("0.5"), D("0.5")]
    assert attribution.weights("linear", 3)[:2] == [D("0.3333333333")] * 2
    assert attribution.weights("linear", 0) == []
    with pytest.raises(ValueError):
        attribution.weights("time_decay", 2)


def test_only_the_touches_up_to_the_conversion_earn_credit_oldest_first():
    touches = [touch(5, 2), touch(1, 1), touch(20, 3)]
    credited = attribution.credits(touches, START + timedelta(days=10))
    assert [(t.campaign_id, w) for t, w in credited["first_touch"]] == [(1, D(1)), (2, D(0))]
    assert [t.campaign_id for t, _ in credited["last_touch"] if _] == [2]
    assert attribution.credits(touches, START) == {}
