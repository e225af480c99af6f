"""Real HTTP servers on 127.0.0.1 for handoff's tests: a webhook receiver that verifies signatures and records what
it got, and fake HubSpot and Salesforce APIs that check the bearer token and the request shapes their public
documentation gives, and answer as it says."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from leadflow.handoff import signing


class _Server:
    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"owner": self})
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.http.shutdown()
        self.http.server_close()

    def answer(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict | list | None]:
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    owner: _Server

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer = self.owner.answer(self.command, self.path, headers, body)
        raw = b"" if answer is None else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except OSError:  # the sender was killed meanwhile
            pass

    do_POST = do_PATCH = do_PUT = _handle

    def log_message(self, *args):
        pass


class Receiver(_Server):
    """A webhook receiver: verifies X-Leadflow-Signature with the secret, answers with the next of `statuses`
    (then 200); with `hold` set it keeps the first request waiting until `release` is set."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret
        self.statuses: list[int] = []
        self.hold = False
        self.release = threading.Event()
        self.arrived = threading.Event()

    def answer(self, method, path, headers, body):
        verified = signing.verify(self.secret, body, headers.get("x-leadflow-signature"))
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "body": body,
                                  "verified": verified, "json": json.loads(body)})
            first = len(self.requests) == 1
            status = self.statuses.pop(0) if self.statuses else 200
        self.arrived.set()
        if self.hold and first:
            self.release.wait(60)
        if not verified:
            return 401, {"error": "bad signature"}
        return status, {"ok": True}

    def delivery_ids(self) -> list[str]:
        return [r["headers"]["x-leadflow-delivery"] for r in self.requests]


def _bearer(headers: dict, token: str) -> bool:
    return headers.get("authorization") == f"Bearer {token}"


class FakeHubSpot(_Server):
    """CRM v3: POST /crm/v3/objects/contacts/batch/upsert (inputs with idProperty email) answers 200 with the
    contacts' ids; POST /crm/v3/objects/notes with hs_timestamp, hs_note_body and an association answers 201."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self.contacts: dict[str, dict] = {}
        self.notes: list[dict] = []

    def answer(self, method, path, headers, body):
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "json": json.loads(body)})
        if not _bearer(headers, self.token):
            return 401, {"status": "error", "message": "Authentication credentials not found.",
                         "category": "INVALID_AUTHENTICATION"}
        data = json.loads(body)
        if method == "POST" and path == "/crm/v3/objects/contacts/batch/upsert":
            inputs = data.get("inputs")
            if not isinstance(inputs, list) or not all(
                    i.get("idProperty") == "email" and i.get("id") and isinstance(i.get("properties"), dict)
                    for i in inputs):
                return 400, {"status": "error", "message": "Invalid input JSON", "category": "VALIDATION_ERROR"}
            results = []
            for item in inputs:
                new = item["id"] not in self.contacts
                contact = self.contacts.setdefault(item["id"], {"id": str(5000 + len(self.contacts)),
                                                                "properties": {}})
                contact["properties"].update(item["properties"])
                results.append({"id": contact["id"], "properties": contact["properties"], "new": new,
                                "archived": False, "createdAt": "2026-12-06T00:00:00Z",
                                "updatedAt": "2026-12-06T00:00:00Z"})
            return 200, {"status": "COMPLETE", "results": results, "startedAt": "2026-12-06T00:00:00Z",
                         "completedAt": "2026-12-06T00:00:01Z"}
        if method == "POST" and path == "/crm/v3/objects/notes":
            properties = data.get("properties") or {}
            associations = data.get("associations") or []
            ok = (properties.get("hs_timestamp") and properties.get("hs_note_body") and associations and all(
                a.get("to", {}).get("id") in {c["id"] for c in self.contacts.values()}
                and a.get("types") == [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]
                for a in associations))
            if not ok:
                return 400, {"status": "error", "message": "Invalid note", "category": "VALIDATION_ERROR"}
            self.notes.append(data)
            return 201, {"id": str(9000 + len(self.notes)), "properties": properties,
                         "createdAt": "2026-12-06T00:00:00Z", "archived": False}
        return 404, {"status": "error", "message": "not found"}


class FakeSalesforce(_Server):
    """REST: PATCH /services/data/vXX.X/sobjects/Lead/{external id field}/{value} answers 201 {id, success, errors,
    created} for a new Lead, 204 for an existing one; 400 REQUIRED_FIELD_MISSING without LastName or Company, 400
    when the body names Id or the external id field, 404 NOT_FOUND for an unknown field."""

    FIELD = "Leadflow_Id__c"

    def __init__(self, token: str, version: str = "v60.0"):
        super().__init__()
        self.token = token
        self.prefix = f"/services/data/{version}/sobjects/Lead/"
        self.leads: dict[str, dict] = {}

    def answer(self, method, path, headers, body):
        data = json.loads(body) if body else {}
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers, "json": data})
        if not _bearer(headers, self.token):
            return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        if method != "PATCH" or not path.startswith(self.prefix):
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        field, _, value = path[len(self.prefix):].partition("/")
        if field != self.FIELD or not value:
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        if "Id" in data or self.FIELD in data:
            return 400, [{"message": "Id or the external id field in the body", "errorCode":
                          "INVALID_FIELD_FOR_INSERT_UPDATE"}]
        missing = [f for f in ("LastName", "Company") if not data.get(f)]
        if missing:
            return 400, [{"message": f"Required fields are missing: {missing}", "errorCode":
                          "REQUIRED_FIELD_MISSING", "fields": missing}]
        if value in self.leads:
            self.leads[value].update(data)
            return 204, None
        self.leads[value] = dict(data)
        return 201, {"id": f"00Q{len(self.leads):015d}", "success": True, "errors": [], "created": True}
