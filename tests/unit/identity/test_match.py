"""The pure matcher: each kind of variation of one person merges; different people who share a lot stay apart."""

from __future__ import annotations

import pytest

from leadflow.identity import blocking, match
from leadflow.identity.normalize import PersonRecord, prepare

MODEL = match.Model()
BASE = dict(first_name="William", last_name="de Vries", email="william.devries@acme.nl", phones=("+31612345678",),
            company="Acme B.V.", street="Hoofdstraat 12", postal_code="1234 AB", city="Amsterdam", country="NL")


def result(a: dict, b: dict) -> match.MatchResult:
    return MODEL.score(match.compare(prepare(PersonRecord(1, **a)), prepare(PersonRecord(2, **b))))


def varied(**changes) -> dict:
    return {**BASE, **changes}


@pytest.mark.parametrize("variation", [
    pytest.param(varied(first_name="Bill", email=None), id="nickname"),
    pytest.param(varied(first_name="W.", email=None), id="initial"),
    pytest.param(varied(first_name="de Vries", last_name="William", email=None), id="swapped names"),
    pytest.param(varied(first_name="Wiliam", email=None), id="typo in first name"),
    pytest.param(varied(last_name="de Vriess", email=None), id="typo in last name"),
    pytest.param(varied(last_name="de Vriés", first_name="Wílliam", email=None), id="diacritics"),
    pytest.param(varied(company="ACME", email=None, phones=()), id="legal form dropped"),
    pytest.param(varied(street="Hoofdstr. 12", email=None, phones=()), id="abbreviated street"),
    pytest.param(varied(phones=("06-12345678",), email=None), id="national phone notation"),
    pytest.param(varied(email="william.devries@acme.com", phones=()), id="same local part at the company domain"),
])
def test_each_kind_of_variation_of_one_person_merges(variation):
    outcome = result(BASE, variation)
    assert outcome.decision == "merge", outcome


def test_swapped_names_are_noted_in_the_reasons():
    outcome = result(BASE, varied(first_name="de Vries", last_name="William"))
    assert "first and last name swapped" in outcome.notes


def test_twins_at_one_address_stay_apart():
    twin_a = dict(first_name="Emma", last_name="Jansen", phones=("+31201234567",), street="Kerkstraat 5",
                  postal_code="1017 GA", city="Amsterdam", country="NL", birth_date="1990-05-01")
    twin_b = {**twin_a, "first_name": "Sophie", "birth_date": "1991-07-02"}
    assert result(twin_a, twin_b).decision == "distinct"


def test_father_and_son_with_one_name_and_address_do_not_merge():
    father = dict(first_name="Peter", last_name="Smith Sr", email="peter.smith@gmail.com", phones=("+441134960000",),
                  street="12 High Street", postal_code="LS1 4AP", city="Leeds", country="GB", birth_date="1960-03-02")
    son = {**father, "last_name": "Smith Jr", "email": "pete.smith99@hotmail.com", "birth_date": "1990-08-14"}
    assert result(father, son).decision == "distinct"


def test_father_and_son_without_birth_dates_go_to_a_person_at_most():
    father = dict(first_name="Peter", last_name="Smith", email="peter.smith@gmail.com", phones=("+441134960000",),
                  street="12 High Street", postal_code="LS1 4AP", city="Leeds", country="GB")
    son = {**father, "email": "pete.smith99@gmail.com"}
    assert result(father, son).decision != "merge"


def test_two_employees_sharing_the_company_phone_and_domain_stay_apart():
    anna = dict(first_name="Anna", last_name="Virtanen", email="anna.virtanen@nokia-tools.fi",
                phones=("+35891234567",), company="Nokia Tools Oy", city="Helsinki", country="FI")
    mikko = {**anna, "first_name": "Mikko", "last_name": "Korhonen", "email": "mikko.korhonen@nokia-tools.fi"}
    assert result(anna, mikko).decision == "distinct"


def test_common_name_in_one_city_with_other_emails_and_phones_does_not_merge():
    a = dict(first_name="Jan", last_name="de Jong", email="jan.dejong@gmail.com", phones=("+31611111111",),
             city="Utrecht", country="NL")
    b = dict(first_name="Jan", last_name="de Jong", email="jdj1975@hotmail.com", phones=("+31622222222",),
             city="Utrecht", country="NL")
    assert result(a, b).decision != "merge"


def test_a_name_in_one_city_alone_never_merges_without_a_person():
    a = dict(first_name="Jan", last_name="de Jong", city="Utrecht", country="NL")
    assert result(a, dict(a)).decision != "merge"


def test_reasons_name_each_field_and_its_contribution():
    outcome = result(BASE, varied(first_name="Bill"))
    fields = {reason.field: reason for reason in outcome.reasons}
    assert fields["first_name"].level == "nickname"
    assert fields["email"].level == "exact" and fields["email"].weight > 0
    assert outcome.weight == pytest.approx(sum(r.weight for r in outcome.reasons), abs=0.05)


def test_a_model_survives_json_and_refuses_unknown_levels():
    model = match.Model(prior=0.2, auto_threshold=0.995)
    assert match.Model.from_json(model.to_json()) == model
    with pytest.raises(ValueError):
        match.Model.from_dict({"m": {"email": {"nearly": 0.5}}})


def test_duplicates_share_a_blocking_key_even_when_names_are_swapped_and_misspelt():
    a = prepare(PersonRecord(1, **varied(email=None, phones=())))
    b = prepare(PersonRecord(2, **varied(first_name="de Vries", last_name="Wiliam", email=None, phones=())))
    assert blocking.keys(a) & blocking.keys(b)


def test_estimation_learns_that_agreeing_emails_mean_one_person():
    firsts = ["Anna", "Bjorn", "Carla", "Dirk", "Eva", "Frode", "Greta", "Hugo", "Ingrid", "Jonas"]
    lasts = ["Berg", "Dahl", "Lund", "Moen", "Strand", "Vik", "Holm"]
    records = [prepare(PersonRecord(i, first_name=firsts[(i // 2) % 10], last_name=lasts[(i // 2) % 7],
                                    email=f"p{i // 2}@example.org", city="Oslo")) for i in range(200)]
    comparisons = [match.compare(records[i], records[j]) for i, j in blocking.candidate_pairs(records, max_block=400)]
    model = match.estimate(comparisons)
    assert model.weight("email", "exact") > 5 and model.weight("email", "far") < 0


def test_clusters_do_not_chain_through_a_pair_known_to_be_different_people():
    merge = MODEL.score(match.compare(prepare(PersonRecord(1, **BASE)), prepare(PersonRecord(2, **BASE))))
    apart = match.MatchResult(-10.0, 0.0, "distinct", (), (), ("first names differ", "birth dates differ"))
    clustering = match.cluster([("a", "b", merge), ("b", "c", merge), ("a", "c", apart)])
    assert sorted(map(sorted, clustering.clusters)) in ([["a", "b"]], [["b", "c"]])
    assert clustering.refused


def test_a_mistyped_birth_date_does_not_keep_one_person_apart():
    a = varied(email=None, birth_date="1984-10-21")
    assert result(a, {**a, "birth_date": "1984-01-21"}).decision == "merge"
    assert result(a, {**a, "birth_date": "1984-21-10"}).decision == "merge"


def test_a_far_birth_date_gives_way_to_the_same_personal_email():
    a = dict(first_name="Isabelle", last_name="Hall", email="isabelleh97@lewis-gregory.com", city="Swansea",
             birth_date="1984-10-21")
    outcome = result(a, {**a, "birth_date": "1948-03-12"})
    assert outcome.decision == "merge" and not outcome.contradictions


def test_a_couple_sharing_one_email_with_other_birth_dates_stays_apart():
    a = dict(first_name="Jan", last_name="Jansen", email="jansen.thuis@ziggo.nl", city="Utrecht", country="NL",
             birth_date="1960-02-03")
    b = {**a, "first_name": "Marie", "birth_date": "1962-11-30"}
    assert result(a, b).decision == "distinct"


def test_same_name_at_one_address_with_two_other_mobiles_does_not_merge():
    a = dict(first_name="Bram", last_name="Smits", phones=("+31612987654",), street="Meganbaan 133",
             postal_code="6778LE", country="NL")
    outcome = result(a, {**a, "phones": ("06-12345678",)})
    assert outcome.decision != "merge" and "mobile numbers differ" in outcome.contradictions


def test_a_mistyped_formal_form_of_a_nickname_still_counts_as_the_first_name():
    outcome = result(varied(first_name="Henk"), varied(first_name="Henlrik"))
    assert {r.field: r.level for r in outcome.reasons}["first_name"] == "close"


def test_a_street_without_its_kind_or_direction_is_the_same_address():
    a = dict(company="Hamline School", street="4747 S BISHOP ST", postal_code="60609", country="US")
    b = dict(company="Hamline School", street="4747 S. Bishop", country="US")
    pa, pb = prepare(PersonRecord(1, **a)), prepare(PersonRecord(2, **b))
    assert match.compare(pa, pb).levels["address"] == "exact"
    assert blocking.keys(pa) & {k for k in blocking.keys(pb) if k.startswith("as:")}


def test_the_floor_or_suite_is_not_part_of_the_street():
    a = prepare(PersonRecord(1, street="78 West Van Buren Floor 1"))
    b = prepare(PersonRecord(2, street="78 W Van Buren Street"))
    assert (a.house_number, a.street_core) == (b.house_number, b.street_core) == ("78", "vanburen")


def test_a_rare_surname_weighs_more_than_a_common_one():
    people = [prepare(PersonRecord(i, first_name="Anna", last_name="Jansen" if i % 2 else f"Rare{i}"))
              for i in range(200)]
    table = match.frequencies(people)
    common = match.compare(people[1], people[3], frequencies=table)
    rare = match.compare(people[2], prepare(PersonRecord(9, first_name="Anna", last_name="Rare2")), frequencies=table)
    assert rare.adjustments["last_name"] > 0 > common.adjustments["last_name"]
    assert MODEL.score(rare).weight > MODEL.score(common).weight


def test_estimation_keeps_an_exact_agreement_at_least_as_strong_as_a_partial_one():
    records = [prepare(PersonRecord(i, first_name=f"name{i % 40}", last_name=f"family{i % 7}",
                                    email=f"p{i // 2}@example.org", city="Oslo", birth_date=f"1980-01-{1 + i % 9:02}"))
               for i in range(200)]
    comparisons = [match.compare(records[i], records[j]) for i, j in blocking.candidate_pairs(records, max_block=400)]
    weights = match.estimate(comparisons).weights()
    for name, levels in weights.items():
        assert all(weights[name][levels_first] >= w for w in levels.values()
                   for levels_first in [next(iter(levels))]), name
        assert all(levels[next(reversed(levels))] <= w for w in levels.values()), name


@pytest.mark.parametrize("a, b", [
    pytest.param(dict(first_name="Voor1", last_name="Achter1", email="persoon1@bedrijf1.nl", phones=("+31610000001",),
                      company="Bedrijf 1 BV", city="Utrecht", country="NL"),
                 dict(first_name="Voor2", last_name="Achter2", email="persoon2@bedrijf2.nl", phones=("+31610000002",),
                      company="Bedrijf 2 BV", city="Utrecht", country="NL"), id="numbered rows of a list"),
    pytest.param(dict(first_name="Toka", last_name="Kakakaen", email="load6@example6.com", company="Company Toka"),
                 dict(first_name="Tika", last_name="Kakakaen", email="load16@example16.com", company="Company Tika"),
                 id="one letter apart in short names"),
    pytest.param(dict(first_name="William", last_name="de Vries", email="w.devries@acme.nl", company="Acme"),
                 dict(first_name="William", last_name="de Vries", email="wdv@globex.com", company="Globex"),
                 id="same name, another email at another firm"),
    pytest.param(dict(first_name="William", last_name="de Vries", email="w.devries@acme.nl"),
                 dict(first_name="William", last_name="de Vries", email="wdv@globex.com"),
                 id="same name, emails at two firms' domains"),
    pytest.param(dict(first_name="William", last_name="de Vries", phones=("+31612345678",), city="Utrecht"),
                 dict(first_name="William", last_name="de Vries", phones=("+31612345679",), city="Utrecht"),
                 id="mobiles one digit apart"),
])
def test_different_identifiers_are_never_merged_automatically_whatever_the_names(a, b):
    outcome = result(a, b)
    assert outcome.decision != "merge", outcome


@pytest.mark.parametrize("a, b, level", [
    ("Tim", "Tom", "far"), ("Toka", "Tika", "far"), ("Lisa", "Lina", "far"), ("Voor1", "Voor2", "far"),
    ("Jonh", "John", "close"), ("Wiliam", "William", "close"), ("Michael", "Micheal", "close"),
    ("Katrina", "Katrine", "close"),
])
def test_a_slip_in_a_first_name_is_close_but_another_short_name_is_not(a, b, level):
    comparison = match.compare(prepare(PersonRecord(1, first_name=a, last_name="Berg")),
                               prepare(PersonRecord(2, first_name=b, last_name="Berg")))
    assert comparison.levels["first_name"] == level
