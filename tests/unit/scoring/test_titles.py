"""The shipped rule set in the markets leadflow serves first: job titles and seniorities in English, Norwegian,
Danish, Swedish, Finnish, Dutch and German reach the same fit as their English peers (case and diacritics aside,
compound titles by their ending), and pricing pages in those languages score like /pricing."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from leadflow.scoring import rules

T0 = 1_800_000_000.0
DEFAULTS = rules.parse(json.loads(resources.files("leadflow.scoring").joinpath("defaults.json").read_text("utf-8")))


def seniority(title: str) -> str | None:
    hits = rules.evaluate_fit(DEFAULTS, {"job_title": title}).hits
    return next((rule_id for rule_id, _, _ in hits if rule_id.startswith("seniority-")), None)


@pytest.mark.parametrize("title", [
    "CEO", "daglig leder", "Daglig leder og eier", "Administrerende direktør", "Adm. direktør", "adm.dir.",
    "Konsernsjef", "VD", "Verkställande direktör", "Grundare", "toimitusjohtaja", "Yrittäjä", "Algemeen directeur",
    "Directeur-eigenaar", "Eigenaar", "Geschäftsführer", "GESCHAFTSFUHRER", "Inhaberin", "Ejer", "Medstifter",
    "Chief Executive Officer", "Owner & Founder"])
def test_chief_executives_and_owners_in_every_language_fit_like_a_ceo(title):
    assert seniority(title) == "seniority-c-level"
    assert rules.evaluate_fit(DEFAULTS, {"job_title": title}).points == rules.evaluate_fit(
        DEFAULTS, {"job_title": "CEO"}).points


@pytest.mark.parametrize(("title", "level"), [
    ("Salgsdirektør", "seniority-director"), ("Økonomidirektør", "seniority-director"),
    ("Försäljningsdirektör", "seniority-director"), ("Myyntijohtaja", "seniority-director"),
    ("Commercieel directeur", "seniority-director"), ("Bedrijfsleider", "seniority-director"),
    ("Vertriebsleiter", "seniority-director"), ("Direktør", "seniority-director"),
    ("Head of Sales", "seniority-vp"), ("Hoofd marketing", "seniority-vp"), ("Varatoimitusjohtaja", "seniority-vp"),
    ("Salgssjef", "seniority-manager"), ("Avdelingsleder", "seniority-manager"), ("Försäljningschef", "seniority-manager"),
    ("Myyntipäällikkö", "seniority-manager"), ("Teamleider", "seniority-manager"), ("Accountmanager", "seniority-manager"),
    ("Teamleiterin", "seniority-manager"),
    ("Praktikant", "seniority-student"), ("Harjoittelija", "seniority-student"), ("Stagiair", "seniority-student"),
    ("Lærling", "seniority-student"), ("Werkstudent", "seniority-student"),
    ("Kok", None), ("Regnskapsmedarbeider", None), ("Analyst", None)])
def test_titles_in_the_markets_languages_reach_their_seniority(title, level):
    assert seniority(title) == level


def test_words_ignore_case_and_diacritics_on_either_side():
    rule_set = rules.parse({"fit": [{"id": "boss", "field": "job_title", "match": {"words": ["Direktør"]},
                                     "points": 10},
                                    {"id": "suffix", "field": "job_title", "match": {"words": ["*päällikkö"]},
                                     "points": 5}]})
    for title in ("DIREKTOR", "direktør", "Direktör", "Direktor"):
        assert rules.evaluate_fit(rule_set, {"job_title": title}).points == 10
    for title in ("Myyntipaallikko", "MYYNTIPÄÄLLIKKÖ", "päällikkö"):
        assert rules.evaluate_fit(rule_set, {"job_title": title}).points == 5
    assert rules.evaluate_fit(rule_set, {"job_title": "päällikkötaso"}).points == 0  # an ending, not a part


@pytest.mark.parametrize("path", ["/pricing", "/priser", "/prijzen", "/hinnasto", "/preise", "/prislista",
                                  "/prisliste", "/hinnat", "/en/pricing/enterprise", "/Prijzen"])
def test_pricing_pages_in_every_language_score_like_pricing(path):
    def points(url_path: str) -> float:
        state = rules.BehaviourState()
        rules.apply_event(DEFAULTS, state, "page_view", {"url": f"https://acme.example{url_path}"}, T0)
        return state.points

    assert points(path) == points("/pricing") == 1 + 10
    assert points("/about") == 1
