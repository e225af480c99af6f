"""The intake planner on plain records: create, merge (with reasons), reject, review, duplicates inside a batch."""

from __future__ import annotations

from leadflow.capture.intake import plan
from leadflow.errors import FieldError
from leadflow.identity.candidates import CandidateIndex
from leadflow.leads.domain import name_key

WEBER = {"first_name": "Hans", "last_name": "Weber", "street": "Hauptstraße 7", "postal_code": "80331",
         "city": "München", "email": "hans.weber@gmx.de"}
WEBER_TOO = {**WEBER, "street": "Hauptstr. 7", "email": "h.weber@web.de"}


def held(lead_id: int, **fields) -> dict:
    return {"id": lead_id, "custom_fields": {}, "other_emails": [], "other_phones": [], "updated_at": None,
            "name_key": name_key(fields.get("first_name"), fields.get("last_name")), **fields}


def run(records, index=None, seen=None):
    made = []

    def create(record):
        lead = held(None, **record.fields)
        made.append(lead)
        return lead

    def merge(record, lead):
        for name, value in record.fields.items():
            lead.setdefault(name, value)
        return True

    index = index if index is not None else CandidateIndex()
    return plan.plan(records, index, seen=seen if seen is not None else {}, create=create, merge=merge), made


def test_a_new_person_is_created_without_reasons():
    (decision,), made = run([plan.Record(1, {"first_name": "Aino", "email": "aino@virtanen.example"})])
    assert decision.action == plan.CREATE and decision.lead is made[0] and decision.reasons == []


def test_the_same_email_merges_into_the_held_lead_with_its_reason():
    anna = held(7, first_name="Anna", email="anna@jansen.example")
    (decision,), made = run([plan.Record(1, {"first_name": "Anna", "email": "anna@jansen.example"})],
                            CandidateIndex([anna]))
    assert (decision.action, decision.lead["id"], decision.found_by) == (plan.MERGE, 7, "exact")
    assert decision.reasons == [{"field": "lead", "reason": "matched an existing lead"}] and not made


def test_row_7_merges_into_the_lead_row_3_creates():
    rows = [plan.Record(3, {"first_name": "Kees", "email": "kees@boer.example"}),
            plan.Record(5, {"first_name": "Piet", "email": "piet@bakker.example"}),
            plan.Record(7, {"first_name": "Kees", "email": "kees@boer.example", "city": "Utrecht"})]
    decisions, made = run(rows)
    assert [d.action for d in decisions] == [plan.CREATE, plan.CREATE, plan.MERGE]
    assert decisions[2].lead is decisions[0].lead is made[0] and decisions[2].found_by == "batch"


def test_a_record_that_cannot_be_read_is_rejected_with_its_field_errors():
    (decision,), made = run([plan.Record(2, None, errors=[FieldError("email", "not an email address")])])
    assert decision.action == plan.REJECT and not made
    assert decision.reasons == [{"field": "email", "reason": "not an email address"}]


def test_a_record_captured_before_lands_where_it_landed_whatever_its_values():
    moved = held(9, first_name="Anna", email="anna@elsewhere.example")
    (decision,), _ = run([plan.Record(1, {"first_name": "Anna", "email": "anna@jansen.example"}, fingerprint="fp")],
                         CandidateIndex([moved]), seen={"fp": moved})
    assert (decision.action, decision.lead["id"], decision.found_by) == (plan.MERGE, 9, "fingerprint")


def test_the_same_phone_with_another_email_is_another_person():
    switchboard = held(4, first_name="Ola", email="ola@agency.example", phone="+4722000000")
    record = plan.Record(1, {"first_name": "Kari", "email": "kari@agency.example", "phone": "+4722000000"})
    (decision,), _ = run([record], CandidateIndex([switchboard]))
    assert decision.action == plan.CREATE


def test_an_unsure_pair_is_created_and_queued_for_review_with_its_score():
    first, second = plan.Record(1, dict(WEBER)), plan.Record(2, dict(WEBER_TOO))
    decisions, made = run([first, second])
    assert [d.action for d in decisions] == [plan.CREATE, plan.CREATE]
    (other, result), = decisions[1].review
    assert other is made[0] and result.decision == "review" and result.probability >= 0.5


def test_only_records_neither_seen_nor_matched_exactly_need_the_fuzzy_candidates():
    anna = held(7, first_name="Anna", email="anna@jansen.example")
    index = CandidateIndex([anna])
    records = [plan.Record(1, {"first_name": "Anna", "email": "anna@jansen.example"}),
               plan.Record(2, {"first_name": "Bo", "email": "bo@example.org"}, fingerprint="seen"),
               plan.Record(3, {"first_name": "Cy", "email": "cy@example.org"}),
               plan.Record(4, None, errors=[FieldError("row", "empty")])]
    assert [r.ref for r in plan.needs_fuzzy(records, index, {"seen": anna})] == [3]


def test_a_fuzzy_merge_says_how_likely_it_was_and_why():
    stored = held(5, **WEBER, phone="+498912345678")
    index = CandidateIndex([stored])
    record = plan.Record(1, {**WEBER, "email": "hans@weber-privat.example", "phone": "+498912345678"})
    index.add_holders({key: [5] for key in record.keys})
    (decision,), _ = run([record], index)
    assert (decision.action, decision.found_by) == (plan.MERGE, "fuzzy") and decision.lead is stored
    assert decision.result.decision == "merge"
    assert decision.reasons[0] == {"field": "lead", "reason": "matched an existing lead (probability 1.000)"}
    assert {"field": "phone", "level": "exact"}.items() <= next(r for r in decision.reasons[1:]
                                                                 if r["field"] == "phone").items()
