"""The API documentation works without the internet: /docs loads Swagger UI from leadflow's own static files."""

from __future__ import annotations

import re


def test_the_docs_page_uses_only_assets_served_by_leadflow_itself(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    addresses = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(addresses) >= 3
    assert not re.search(r"https?://|//cdn|fonts\.googleapis", page.text)  # no other origin, not even a font
    kinds = {}
    for address in addresses:
        assert address.startswith("/static/"), address
        asset = client.get(address)
        assert asset.status_code == 200, address
        kinds[address.split("?")[0].rsplit(".", 1)[-1]] = asset.headers["content-type"]
        assert len(asset.content) > 100
    assert kinds["js"].startswith(("application/javascript", "text/javascript"))
    assert kinds["css"].startswith("text/css") and kinds["svg"].startswith("image/svg+xml")
    assert client.get("/openapi.json").json()["info"]["title"] == "leadflow"


def test_redoc_which_would_need_a_cdn_is_not_offered(client):
    assert client.get("/redoc").status_code == 404
