"""Numbers a client gets wrong (too large for the database, digits that are not decimal) are a 4xx, never a 500."""

from __future__ import annotations

from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

HUGE = "99999999999999999999"


def test_an_id_too_large_for_the_database_is_not_found_on_pages_and_refused_by_the_api(client, auth, factory):
    r = client.get(f"/api/v1/leads/{HUGE}", headers=auth)
    assert r.status_code in (404, 422), r.text
    assert r.json()["errors"]
    sign_in(client, person(factory, "admin").email)
    for path in (f"/leads/{HUGE}", f"/companies/{HUGE}", f"/campaigns/{HUGE}"):
        page = client.get(path)
        assert page.status_code == 404, (path, page.status_code)
        assert "<html" in page.text.lower()


def test_a_page_given_a_value_of_the_wrong_type_answers_with_a_page_naming_the_field(client, factory):
    sign_in(client, person(factory, "admin").email)
    r = client.get("/leads", params={"owner": "²", "campaign": "²"})
    assert r.status_code in (200, 422)
    assert "Internal" not in r.text


TOO_LARGE = 10 ** 25
OVER_BY_ONE = 2 ** 63  # one more than a BIGINT holds


def fields(r) -> set[str]:
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid"
    return {e["field"] for e in r.json()["errors"]}


def made_journey(client, auth) -> int:
    from tests.integration.journeys.journeys import make

    journey = make(client, auth)["id"]
    assert client.post(f"/api/v1/journeys/{journey}/publish", headers=auth).status_code == 200
    return journey


def test_an_id_too_large_in_a_path_is_a_422_naming_the_parameter_on_every_router(client, auth):
    journey = made_journey(client, auth)
    for path, field in ((f"/api/v1/journeys/{HUGE}", "journey_id"), (f"/api/v1/journeys/{OVER_BY_ONE}", "journey_id"),
                        (f"/api/v1/journeys/{journey}/versions/{HUGE}", "number"),
                        (f"/api/v1/leads/{HUGE}", "lead_id"), (f"/api/v1/leads/{HUGE}/assignments", "lead_id"),
                        (f"/api/v1/campaigns/{HUGE}", "campaign_id"), (f"/api/v1/companies/{HUGE}", "company_id"),
                        (f"/api/v1/opportunities/{HUGE}", "opportunity_id"), (f"/api/v1/forms/{HUGE}", "form_id"),
                        (f"/api/v1/users/{HUGE}/absences", "user_id"), (f"/api/v1/email/templates/{HUGE}", "template_id")):
        r = client.get(path, headers=auth)
        assert fields(r) == {field}, (path, r.text)
    assert client.get(f"/api/v1/journeys/{2 ** 63 - 1}", headers=auth).status_code == 404  # the largest is only unknown


def test_an_id_too_large_in_a_query_is_a_422_naming_the_parameter(client, auth):
    journey = made_journey(client, auth)
    for path, params, field in (("/api/v1/leads", {"owner": HUGE}, "owner"),
                                ("/api/v1/leads", {"company_id": HUGE}, "company_id"),
                                (f"/api/v1/journeys/{journey}/runs", {"after": HUGE}, "after"),
                                (f"/api/v1/journeys/{journey}/counts", {"version": HUGE}, "version"),
                                ("/api/v1/email/messages", {"before": HUGE}, "before"),
                                ("/api/v1/opportunities", {"offset": HUGE}, "offset")):
        assert fields(client.get(path, headers=auth, params=params)) == {field}, (path, params)


def test_an_id_too_large_in_a_json_body_is_a_422_naming_the_field(client, auth):
    from tests.integration.journeys.journeys import brochure
    from tests.integration.people.factories import lead

    journey = made_journey(client, auth)
    known = lead(client, auth)
    r = client.post(f"/api/v1/journeys/{journey}/enrol", headers=auth, json={"lead_ids": [known, TOO_LARGE]})
    assert fields(r) == {"lead_ids.1"}
    r = client.post(f"/api/v1/journeys/{journey}/enrol", headers=auth, json={"segment_id": TOO_LARGE})
    assert fields(r) == {"segment_id"}
    definition = brochure()
    definition["steps"][1]["template_id"] = TOO_LARGE
    r = client.put(f"/api/v1/journeys/{journey}/draft", headers=auth, json={"definition": definition})
    assert "definition.steps.survey.template_id" in fields(r)
    r = client.post(f"/api/v1/journeys/{journey}/simulate", headers=auth, json={"source": "segment",
                                                                               "segment_id": HUGE})
    assert fields(r) == {"segment_id"}
    r = client.post("/api/v1/opportunities", headers=auth, json={"lead_id": TOO_LARGE, "name": "Big", "value": 1})
    assert fields(r) == {"lead_id"}
    assert fields(client.post("/api/v1/companies", headers=auth, json={"name": "Acme", "parent_id": TOO_LARGE})) \
        == {"parent_id"}
    assert fields(client.patch(f"/api/v1/leads/{known}", headers=auth, json={"owner": TOO_LARGE})) == {"owner"}
    # a number that reaches the database unchecked is named by the last resort, on both databases
    r = client.post(f"/api/v1/leads/{known}/assign", headers=auth, json={"to": HUGE})
    assert fields(r) == {"to"}
    assert client.get(f"/api/v1/leads/{known}", headers=auth).status_code == 200


def test_the_bounds_of_ids_are_in_the_openapi(client):
    schema = client.get("/openapi.json").json()
    lead_id = next(p for p in schema["paths"]["/api/v1/leads/{lead_id}"]["get"]["parameters"] if p["name"] == "lead_id")
    assert lead_id["schema"]["maximum"] == 2 ** 63 - 1 and lead_id["schema"]["minimum"] == -(2 ** 63)
    assert schema["paths"]["/api/v1/journeys/{journey_id}/pause"]["post"]["operationId"] == \
        "pause_api_v1_journeys__journey_id__pause_post"
