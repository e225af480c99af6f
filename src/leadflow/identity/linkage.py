"""Batch record linkage with Splink (Fellegi–Sunter, EM, term frequencies) on DuckDB: our normalized leads in, scored
pairs out. DuckDB is only the compute engine, in memory for one run; the leads stay in our database.

Not pure: it runs DuckDB. The comparison levels carry the names of `match.FIELDS` levels where they mean the same,
so that a trained model maps onto the per-capture matcher's `match.Model` (see `parameters` and `to_model`).
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.comparison_library import CustomComparison

from leadflow.identity.match import DEFAULT_M, DEFAULT_U, FIELDS, Model
from leadflow.identity.normalize import Prepared

COLUMNS = ("unique_id", "first_name", "first_initial", "first_canon", "first_phon", "last_name", "last_initial",
           "last_phon", "birth_date", "street", "street_core", "house_number", "postal_code", "city", "email",
           "email_local", "phones", "phone_tails", "company")
MAX_RANDOM_PAIRS = 1_000_000   # pairs drawn at random to estimate u (Splink's default)
SEED = 2026
MIN_TRAINING = 250             # leads needed before u and m are estimated from the data itself
MAX_ITERATIONS = 10            # EM steps per training session (Splink's default 25; each step costs a second of
                               # SQL building whatever the data's size, and the weights settle sooner)


def row(p: Prepared) -> dict:
    """The linkage view of one prepared lead: our normalizations (folded names without particles, nickname forms,
    Metaphone, E.164 phones, company key, street and house number, postal code, birth date), empty as NULL."""
    def text(value: str) -> str | None:
        return value or None

    first = p.first_tokens[0] if p.first_tokens and not p.first_is_initials else ""
    initial = (p.first_initials or first)[:1]
    digits = "".join(c for c in p.house_number if c.isdigit())
    return {
        "unique_id": int(p.id), "first_name": text(first), "first_initial": text(initial),
        "first_canon": sorted(p.first_canon) if first else None, "first_phon": text(p.first_phonetic),
        "last_name": text(p.last_core), "last_initial": text(p.last_core[:1]), "last_phon": text(p.last_phonetic),
        "birth_date": text(p.birth_date), "street": text(p.street), "street_core": text(p.street_core),
        "house_number": text(digits), "postal_code": text(p.postal_code), "city": text(p.city),
        "email": text(p.email), "email_local": text(p.email_local_bare if not p.email_role else ""),
        "phones": list(p.phones) or None, "phone_tails": sorted({x[-8:] for x in p.phones}) or None,
        "company": text(p.company),
    }


def _level(label: str, sql: str, *, null: bool = False, tf: str | None = None, start: str | None = None) -> dict:
    """A comparison level; `start` names our field whose shipped m and u the level starts from (and keeps when the
    data holds no pair to train it on: a list without emails)."""
    level = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    elif start:
        level["m_probability"] = DEFAULT_M[start].get(label, SWAPPED_M)
        level["u_probability"] = DEFAULT_U[start].get(label, SWAPPED_U)
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _jw(column: str, at: float) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) >= {at}"


SWAPPED_M, SWAPPED_U = 0.02, 0.0001   # names given the other way round: rare, and rarer by chance
SWAPPED = ("jaro_winkler_similarity(first_name_l, last_name_r) >= 0.92 "
           "AND jaro_winkler_similarity(last_name_l, first_name_r) >= 0.92")
SAME_ADDRESS = "street_l = street_r AND house_number_l = house_number_r"
_DAY_MONTH_SWAPPED = ("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) "
                      "AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
                      "AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)")
_YEAR_OFF = ("substr(birth_date_l, 6) = substr(birth_date_r, 6) AND abs(CAST(substr(birth_date_l, 1, 4) AS INTEGER) "
             "- CAST(substr(birth_date_r, 1, 4) AS INTEGER)) <= 1")


def comparisons() -> list[CustomComparison]:
    """One comparison per field of `match.FIELDS`, its levels named as ours (and "swapped" for names given the
    other way round). As in `match.compare`, a postal code or city that the agreeing address already holds is not
    counted again."""
    def field(name: str, null: str, *levels: tuple) -> CustomComparison:
        return CustomComparison(output_column_name=name, comparison_levels=[
            _level("missing", null, null=True),
            *(_level(label, sql, tf=name if tf else None, start=name) for label, sql, tf in levels),
            _level("far", "ELSE", start=name)])

    street_alike = f"({_jw('street', 0.92)} OR {_jw('street_core', 0.92)})"
    return [
        field("first_name", "first_initial_l IS NULL OR first_initial_r IS NULL",
              ("exact", "first_name_l = first_name_r", True),
              ("swapped", SWAPPED, False),
              ("nickname", "len(list_intersect(first_canon_l, first_canon_r)) > 0", False),
              ("close", f"{_jw('first_name', 0.9)} OR levenshtein(first_name_l, first_name_r) <= 1", False),
              ("initial", "(first_name_l IS NULL OR first_name_r IS NULL) AND first_initial_l = first_initial_r",
               False)),
        field("last_name", "last_name_l IS NULL OR last_name_r IS NULL",
              ("exact", "last_name_l = last_name_r", True),
              ("swapped", SWAPPED, False),
              ("close", f"{_jw('last_name', 0.9)} OR levenshtein(last_name_l, last_name_r) <= 1 "
                        "OR last_phon_l = last_phon_r", False)),
        field("birth_date", "birth_date_l IS NULL OR birth_date_r IS NULL",
              ("exact", "birth_date_l = birth_date_r", False),
              ("close", f"hamming(birth_date_l, birth_date_r) <= 1 OR ({_DAY_MONTH_SWAPPED}) OR ({_YEAR_OFF})", False),
              ("near", "hamming(birth_date_l, birth_date_r) <= 2 "
                       "OR substr(birth_date_l, 1, 7) = substr(birth_date_r, 1, 7)", False)),
        field("address", "street_l IS NULL OR street_r IS NULL",
              ("exact", SAME_ADDRESS, False),
              ("close", f"house_number_l = house_number_r AND {street_alike}", False),
              ("street", f"(house_number_l IS NULL OR house_number_r IS NULL) AND {street_alike}", False)),
        field("postal_code", f"postal_code_l IS NULL OR postal_code_r IS NULL OR ({SAME_ADDRESS})",
              ("exact", "postal_code_l = postal_code_r", True),
              ("close", "levenshtein(postal_code_l, postal_code_r) <= 1", False)),
        field("city", f"city_l IS NULL OR city_r IS NULL OR postal_code_l = postal_code_r OR ({SAME_ADDRESS})",
              ("exact", "city_l = city_r", True),
              ("close", _jw("city", 0.9), False)),
        field("email", "email_l IS NULL OR email_r IS NULL",
              ("exact", "email_l = email_r", False),
              ("alias", "email_local_l = email_local_r", False),
              ("close", _jw("email", 0.88), False)),
        field("phone", "phones_l IS NULL OR phones_r IS NULL",
              ("exact", "len(list_intersect(phones_l, phones_r)) > 0", False),
              ("close", "len(list_intersect(phone_tails_l, phone_tails_r)) > 0", False)),
        field("company", "company_l IS NULL OR company_r IS NULL",
              ("exact", "company_l = company_r", True),
              ("close", _jw("company", 0.9), False)),
    ]


def blocking_rules() -> list:
    """Pairs are compared when they share any of these keys (Splink takes each pair once)."""
    return [
        block_on("last_phon", "first_initial"),
        block_on("first_phon", "last_initial"),
        "l.first_phon = r.last_phon AND l.last_phon = r.first_phon",          # first and last name swapped
        block_on("last_phon", "postal_code"),
        block_on("first_phon", "postal_code"),
        block_on("street", "house_number"),
        block_on("street_core", "house_number", "city"),
        block_on("birth_date", "first_initial"),
        block_on("birth_date", "last_initial"),
        block_on("birth_date", "postal_code"),
        block_on("email"),
        block_on("email_local"),
        block_on("phones", arrays_to_explode=["phones"]),
        block_on("company", "last_phon"),
    ]


def settings(prior: float = 1e-4) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id", comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(), retain_matching_columns=True,
        retain_intermediate_calculation_columns=False, probability_two_random_records_match=prior,
        max_iterations=MAX_ITERATIONS,
    )


# EM sessions: each fixes the fields of its blocking rule and estimates the others (as Splink's guides train). Two
# that run cover every field; a list without birth dates falls back on the address for the names' weights.
TRAINING_BLOCKS = (("birth_date",), ("last_phon", "first_initial"), ("street", "house_number"), ("postal_code",))
TRAINING_SESSIONS = 2
# Rules that, where they hold, mostly hold for one person: their count estimates the prior.
DETERMINISTIC = ("l.first_name = r.first_name AND l.last_name = r.last_name AND l.birth_date = r.birth_date",
                 "l.first_name = r.first_name AND l.last_name = r.last_name AND l.street = r.street "
                 "AND l.house_number = r.house_number",
                 "l.email = r.email")


@dataclass(frozen=True)
class Pair:
    low: int
    high: int
    probability: float
    weight: float                          # Splink's match weight (log2 Bayes factor with the prior)
    levels: dict[str, str]                 # the level of each comparison, by our level names


class Linkage:
    """One run: leads added in chunks into an in-memory DuckDB table, a model trained on them, pairs predicted."""

    def __init__(self, *, memory_limit: str | None = None, threads: int | None = None):
        logging.getLogger("splink").setLevel(logging.ERROR)
        self.connection = duckdb.connect(":memory:")
        if memory_limit:
            self.connection.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            self.connection.execute(f"SET threads = {int(threads)}")
        self.connection.execute(
            "CREATE TABLE records (unique_id BIGINT, first_name VARCHAR, first_initial VARCHAR, first_canon VARCHAR[], "
            "first_phon VARCHAR, last_name VARCHAR, last_initial VARCHAR, last_phon VARCHAR, birth_date VARCHAR, "
            "street VARCHAR, street_core VARCHAR, house_number VARCHAR, postal_code VARCHAR, city VARCHAR, "
            "email VARCHAR, email_local VARCHAR, phones VARCHAR[], phone_tails VARCHAR[], company VARCHAR)")
        self.count = 0
        self.trained: list[str] = []
        self._linker: Linker | None = None

    def add(self, rows: list[dict]) -> None:
        if not rows:
            return
        frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))  # noqa: F841 (read by DuckDB by name)
        self.connection.execute("INSERT INTO records SELECT * FROM frame")
        self.count += len(rows)

    @property
    def linker(self) -> Linker:
        if self._linker is None:
            # Until the rules estimate it: about one duplicate per lead (a pair's share of all pairs)
            prior = min(0.5, 1 / max(self.count, 2))
            self._linker = Linker("records", settings(prior), db_api=DuckDBAPI(connection=self.connection))
            for name in list(logging.root.manager.loggerDict):   # Splink's modules log every EM step at INFO
                if name.startswith("splink"):
                    logging.getLogger(name).setLevel(logging.ERROR)
        return self._linker

    def train(self) -> list[str]:
        """Unsupervised: the prior from deterministic rules, u from random pairs, m by EM in several sessions. A
        session whose block holds no pair (a list without birth dates) is skipped and said so. A handful of leads
        trains nothing worth having: below MIN_TRAINING they are scored with the shipped starting values."""
        linker = self.linker
        if self.count < MIN_TRAINING:
            self.trained.append(f"not trained: {self.count} leads (fewer than {MIN_TRAINING}); shipped weights")
            return self.trained
        default_prior = linker._settings_obj._probability_two_random_records_match
        try:
            linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC), recall=0.7)
        except Exception as error:  # noqa: BLE001 - Splink raises plain errors for "no pair"; keep the default prior
            self.trained.append(f"prior: default ({error.__class__.__name__})")
        if not linker._settings_obj._probability_two_random_records_match > 0:
            # no pair holds a rule (organisations without names or emails): a prior of 0 would score every pair 0;
            # Splink has no public setter for it, so the settings object it reads is given the default back
            linker._settings_obj._probability_two_random_records_match = default_prior
            self.trained.append("prior: default (no pair holds a deterministic rule)")
        pairs = min(MAX_RANDOM_PAIRS, max(self.count * (self.count - 1) // 2, 1))
        linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=SEED)
        done = 0
        for columns in TRAINING_BLOCKS:
            if done == TRAINING_SESSIONS:
                break
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*columns), fix_probability_two_random_records_match=True)
                self.trained.append("em: " + "+".join(columns))
                done += 1
            except Exception as error:  # noqa: BLE001 - an empty block is normal for some lists
                self.trained.append(f"em: {'+'.join(columns)} skipped ({error.__class__.__name__})")
        return self.trained

    def predict(self, threshold: float) -> Iterator[Pair]:
        """Pairs at or above `threshold` match probability, streamed from DuckDB a slice at a time."""
        frame = self.linker.inference.predict(threshold_match_probability=threshold)
        labels = self._labels()
        gammas = [f"gamma_{name}" for name in labels]
        cursor = self.connection.execute(
            f"SELECT unique_id_l, unique_id_r, match_probability, match_weight, {', '.join(gammas)} "
            f"FROM {frame.physical_name}")
        while True:
            rows = cursor.fetchmany(50_000)
            if not rows:
                break
            for values in rows:
                a, b, probability, weight = values[:4]
                levels = {name: labels[name].get(g, "missing") for name, g in zip(labels, values[4:], strict=True)}
                yield Pair(min(a, b), max(a, b), float(probability), float(weight), levels)
        frame.drop_table_from_database_and_remove_from_cache()

    def _labels(self) -> dict[str, dict[int, str]]:
        """gamma value -> level name, per comparison (-1 is a null level: missing)."""
        model = self.linker.misc.save_model_to_json()
        return {c["output_column_name"]: {_gamma(len(c["comparison_levels"]), i, level): level["label_for_charts"]
                                          for i, level in enumerate(c["comparison_levels"])}
                for c in model["comparisons"]}

    def parameters(self) -> dict:
        """The trained model as Splink writes it (settings with m and u per comparison level)."""
        return self.linker.misc.save_model_to_json()

    def close(self) -> None:
        self.connection.close()


def _gamma(count: int, index: int, level: dict) -> int:
    """Splink numbers the levels of a comparison from the most to the least similar as count-1 ... 0, without the
    null level, which is -1."""
    if level.get("is_null_level"):
        return -1
    return count - 1 - index


def weights(parameters: dict) -> dict[str, dict[str, float]]:
    """log2(m/u) per comparison level of a trained model, for reasons shown to a person."""
    found: dict[str, dict[str, float]] = {}
    for comparison in parameters["comparisons"]:
        levels = found.setdefault(comparison["output_column_name"], {})
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if m and u:
                levels[level["label_for_charts"]] = round(math.log2(m / u), 3)
    return found


def to_model(parameters: dict, start: Model) -> Model:
    """The per-capture matcher's model with Splink's m and u wherever a Splink level is one of ours (same field,
    same level name); levels Splink has no counterpart for (our email "role" and "local", company "partial"),
    and the prior and thresholds, keep `start`'s values. Splink's "swapped" name level is not mapped: our
    comparison turns swapped names the right way round before it grades them."""
    data = copy.deepcopy(start.to_dict())   # to_dict hands out the model's own tables
    for comparison in parameters["comparisons"]:
        name = comparison["output_column_name"]
        if name not in FIELDS:
            continue
        for level in comparison["comparison_levels"]:
            label = level["label_for_charts"]
            m, u = level.get("m_probability"), level.get("u_probability")
            if label in FIELDS[name] and m and u:
                data["m"][name][label] = min(max(float(m), 1e-6), 1.0)
                data["u"][name][label] = min(max(float(u), 1e-6), 1.0)
    return Model.from_dict(data)


def link(prepared: Iterable[Prepared], threshold: float) -> tuple[list[Pair], list[str], dict]:
    """The whole pipeline over records in memory (the benchmark's view): add, train, predict."""
    linkage = Linkage()
    try:
        batch = []
        for p in prepared:
            batch.append(row(p))
            if len(batch) == 20_000:
                linkage.add(batch)
                batch = []
        linkage.add(batch)
        trained = linkage.train()
        return list(linkage.predict(threshold)), trained, linkage.parameters()
    finally:
        linkage.close()
