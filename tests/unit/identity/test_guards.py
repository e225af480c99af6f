"""Our guards over pairs Splink scored, and Splink's trained levels mapped onto the per-capture model."""

from __future__ import annotations

from leadflow.identity import guards, linkage
from leadflow.identity.match import Model, MatchResult, cluster
from leadflow.identity.normalize import PersonRecord, prepare


def person(id_: int, first: str, last: str = "Jansen", birth: str = "1990-04-12", **extra) -> object:
    return prepare(PersonRecord(id=id_, first_name=first, last_name=last, street="Kerkstraat 12",
                                postal_code="3511 LK", city="Utrecht", country="NL", birth_date=birth, **extra))


def test_a_sure_splink_pair_of_twins_is_never_merged():
    prepared = {1: person(1, "Anna"), 2: person(2, "Maria")}
    result = guards.judge(1, 2, 0.9999, 30.0, {"first_name": "far", "last_name": "exact"}, {}, prepared, Model())
    assert result.decision == "review" and "first names differ" in result.contradictions


def test_a_generation_on_one_side_only_keeps_father_and_son_apart():
    prepared = {1: person(1, "Kalevi", "Mäkinen Sr", birth=""), 2: person(2, "Kalevi", "Mäkinen")}
    result = guards.judge(1, 2, 0.9999, 30.0, {}, {}, prepared, Model())
    assert result.decision == "review" and any("generation" in c for c in result.contradictions)


def test_the_same_person_given_twice_merges_with_splinks_reasons():
    prepared = {1: person(1, "Anna"), 2: person(2, "Anna", birth="1990-12-04")}   # day and month swapped
    weights = {"first_name": {"exact": 8.0}, "birth_date": {"close": 7.0}}
    result = guards.judge(1, 2, 0.999, 25.0, {"first_name": "exact", "birth_date": "close"}, weights, prepared,
                          Model())
    assert result.decision == "merge"
    assert [(r.field, r.level, r.weight) for r in result.reasons] == [("first_name", "exact", 8.0),
                                                                        ("birth_date", "close", 7.0)]


def test_clusters_do_not_chain_twins_through_a_record_without_a_first_name():
    prepared = {1: person(1, "Anna"), 2: person(2, "", birth=""), 3: person(3, "Maria")}
    sure = MatchResult(weight=20.0, probability=0.999, decision="merge", reasons=())
    scored = [(1, 2, sure), (2, 3, sure)]       # a scorer that never compared Anna with Maria
    apart = guards.apart_within(scored, prepared)
    assert [(a, b) for a, b, _ in apart] == [(1, 3)]
    assert sorted(map(sorted, cluster(scored + apart).clusters)) == [[1, 2]]


def test_splink_levels_map_onto_our_levels_of_the_same_name():
    parameters = {"comparisons": [
        {"output_column_name": "first_name", "comparison_levels": [
            {"label_for_charts": "missing", "is_null_level": True},
            {"label_for_charts": "exact", "m_probability": 0.7, "u_probability": 0.002},
            {"label_for_charts": "swapped", "m_probability": 0.01, "u_probability": 0.00001},
            {"label_for_charts": "far", "m_probability": 0.05, "u_probability": 0.95}]},
        {"output_column_name": "email", "comparison_levels": [
            {"label_for_charts": "alias", "m_probability": 0.04, "u_probability": 0.0003}]}]}
    start = Model()
    model = linkage.to_model(parameters, start=start)
    assert (model.m["first_name"]["exact"], model.u["first_name"]["exact"]) == (0.7, 0.002)
    assert (model.m["first_name"]["far"], model.u["first_name"]["far"]) == (0.05, 0.95)
    assert model.m["email"]["alias"] == 0.04 and model.m["email"]["role"] == start.m["email"]["role"]
    assert model.prior == start.prior and model.auto_threshold == start.auto_threshold
    assert start.m["first_name"]["exact"] == Model().m["first_name"]["exact"]      # the start model is untouched
