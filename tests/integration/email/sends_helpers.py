"""Arranging one-off sends' tests: templates, a campaign with its leads, an A/B test and a send through the API."""

from __future__ import annotations

from leadflow.campaigns.models import Campaign
from leadflow.email.models import EmailTemplate
from leadflow.leads.models import Lead

BODY = ("<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ first_name | default('there') }}, "
        "{{ offer | default('see our brochure') }}. <a href=\"https://example.com/brochure\">Read it</a>"
        "</mj-text></mj-column></mj-section></mj-body></mjml>")


def templates(factory, *names: str) -> list[int]:
    with factory() as session:
        rows = [EmailTemplate(name=name, subject=f"{name}: our spring brochure", body_mjml=BODY, purpose="marketing")
                for name in names]
        session.add_all(rows)
        session.commit()
        return [r.id for r in rows]


def campaign_with_leads(factory, count: int, *, code: str = "spring") -> tuple[int, list[int]]:
    with factory() as session:
        campaign = Campaign(name=f"Spring fair {code}", code=code, code_key=code, channel="event")
        session.add(campaign)
        session.flush()
        leads = [Lead(email=f"lead{i}.{code}@example.com", first_name=f"Lead{i}", campaign_id=campaign.id)
                 for i in range(count)]
        session.add_all(leads)
        session.commit()
        return campaign.id, [lead.id for lead in leads]


def experiment(client, auth, template_ids: list[int], **overrides) -> dict:
    body = {"name": "Subject test", "variants": [{"key": "A", "template_id": template_ids[0]},
                                                 {"key": "B", "template_id": template_ids[1],
                                                  "subject": "Your brochure is waiting"}],
            "split": {"A": 50, "B": 50}, "holdout_pct": 20, "metric": "open", "window_days": 14, **overrides}
    r = client.post("/api/v1/email/experiments", headers=auth, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def send(client, auth, **body) -> dict:
    r = client.post("/api/v1/email/sends", headers=auth, json={"name": "Spring send", **body})
    assert r.status_code == 201, r.text
    return r.json()
