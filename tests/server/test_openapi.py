"""The OpenAPI document at /api/schema/openapi.json: every API route, with its request and
response schemas, and real responses that match them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from tests import anvil_repo
from tests.server._client import Browser
from tests.server._runs import events_of, wait_for_run
from tests.server.conftest import Server

pytestmark = pytest.mark.server

SCHEMA_PATH = "/api/schema"
CSV = "text/csv"
ZIP = "application/zip"
MULTIPART = "multipart/form-data"
EVENT_STREAM = "text/event-stream"


def api_operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    """(method, OpenAPI path, handler) for every route of the JSON API."""
    for route in app.routes:
        if not route.path.startswith("/api/") or route.path.startswith(SCHEMA_PATH):
            continue
        for handler in getattr(route, "route_handlers", []):
            assert isinstance(handler, HTTPRouteHandler)
            for method in handler.http_methods - {"OPTIONS"}:  # CORS preflight, automatic
                yield method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), handler


@pytest.fixture
def document(anon: Browser) -> dict[str, Any]:
    response = anon.get("/api/schema/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc: dict[str, Any] = response.json()
    return doc


def resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = doc["components"]["schemas"][name]
    return schema


TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def fits_type(value: Any, schema: dict[str, Any]) -> bool:
    if "type" not in schema:
        return True
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return any(
        isinstance(value, TYPES[name])
        and not (name in {"integer", "number"} and isinstance(value, bool))
        for name in names
    )


def object_problems(
    value: dict[str, Any], schema: dict[str, Any], doc: dict[str, Any], where: str
) -> list[str]:
    found = [f"{where}: lacks {name}" for name in schema.get("required", []) if name not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        if name in properties:
            found += problems(item, properties[name], doc, f"{where}.{name}")
        elif isinstance(extra, dict):
            found += problems(item, extra, doc, f"{where}.{name}")
        elif properties:
            found.append(f"{where}: undocumented field {name}")
    return found


def problems(
    value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str = "$"
) -> list[str]:
    """Where `value` does not match `schema` (the subset of JSON Schema Litestar emits)."""
    schema = resolve(schema, doc)
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            options = [problems(value, option, doc, where) for option in schema[combinator]]
            return [] if any(not found for found in options) else [f"{where}: no option fits"]
    if not fits_type(value, schema):
        return [f"{where}: {value!r} is not {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if isinstance(value, dict):
        return object_problems(value, schema, doc, where)
    if isinstance(value, list) and "items" in schema:
        return [
            found
            for i, item in enumerate(value)
            for found in problems(item, schema["items"], doc, f"{where}[{i}]")
        ]
    return []


def test_every_api_route_is_documented(server: Server, document: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    routes = {(method, path) for method, path, _ in api_operations(server.app)}
    assert len(routes) >= 16
    assert routes == documented
    assert all(path.startswith("/api/") for _, path in documented)  # no pages, no static


def test_every_operation_has_its_schemas(server: Server, document: dict[str, Any]) -> None:
    for method, path, handler in api_operations(server.app):
        operation = document["paths"][path][method.lower()]
        assert operation.get("summary"), (method, path)
        assert operation.get("tags"), (method, path)
        takes_body = "data" in handler.parsed_fn_signature.parameters
        if takes_body:
            [(media, content)] = operation["requestBody"]["content"].items()
            assert media in ("application/json", MULTIPART), (method, path)  # files: multipart
            body = content["schema"]
            options = [o for o in body.get("oneOf", [body]) if o.get("type") != "null"]
            for option in options:
                struct = resolve(option, document)
                assert struct["type"] == "object", (method, path)
                assert struct["properties"], (method, path)
            assert options, (method, path)
        else:
            assert "requestBody" not in operation, (method, path)
        successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        assert len(successes) == 1, (method, path)
        [(code, response)] = successes.items()
        assert int(code) == handler.status_code, (method, path)
        if code == "204":
            continue
        if handler.media_type in (EVENT_STREAM, CSV, ZIP):  # not one JSON document
            assert set(response["content"]) == {handler.media_type}, (method, path)
            assert response["description"], (method, path)
            continue
        schema = resolve(response["content"]["application/json"]["schema"], document)
        assert schema["type"] == "object", (method, path)
        assert schema["properties"], (method, path)
        for name in ("slug", "number", "run_id", "name"):
            if "{" + name + "}" in path:
                parameters = {p["name"]: p for p in operation["parameters"]}
                assert parameters[name]["in"] == "path"
                assert parameters[name]["required"] is True


def test_the_yaml_form_is_served(anon: Browser) -> None:
    response = anon.get("/api/schema/openapi.yaml")
    assert response.status_code == 200
    assert "openapi:" in response.text
    assert "/api/widgets/{slug}/fork" in response.text


def test_real_responses_match_the_document(server: Server, document: dict[str, Any]) -> None:
    """A tour of the API; every successful response is checked against its schema."""
    checked: set[tuple[str, str]] = set()
    admin, alice, anon = server.browser(), server.browser(), server.browser()

    def check(response: httpx.Response, method: str, path: str) -> httpx.Response:
        code = str(response.status_code)
        operation = document["paths"][path][method.lower()]
        assert code in operation["responses"], (method, path, code)
        content = operation["responses"][code].get("content", {})
        if code == "204":
            assert not response.content, (method, path)
        elif CSV in content or ZIP in content:
            media = CSV if CSV in content else ZIP
            assert response.headers["content-type"].startswith(media), (method, path)
        elif EVENT_STREAM in content:
            check_events(response, method, path)
        else:
            assert response.headers["content-type"].startswith("application/json")
            schema = content["application/json"]["schema"]
            assert problems(response.json(), schema, document) == [], (method, path)
        checked.add((method, path))
        return response

    def check_events(response: httpx.Response, method: str, path: str) -> None:
        """Server-Sent Events: each one's data is JSON, and what it says about the run
        matches the run's schema (the summary at the end: its status, times and error)."""
        events = events_of(response)
        assert [e.kind for e in events][-1] == "done", (method, path)
        run = resolve({"$ref": "#/components/schemas/RunDetail"}, document)["properties"]
        for event in events:
            assert event.kind in {"status", "output", "done"}, event
            if event.kind == "output":
                assert event.data["stream"] in {"stdout", "stderr"}, event
                assert isinstance(event.data["text"], str), event
            else:
                for name, value in event.data.items():
                    field = run["id" if name == "run" else name]
                    assert problems(value, field, document, name) == [], (event, name)

    check(anon.get("/api/session"), "GET", "/api/session")
    check(
        admin.post("/api/auth/signup", json={"username": "admin", "password": "a long password"}),
        "POST",
        "/api/auth/signup",
    )
    check(admin.get("/api/admin/settings"), "GET", "/api/admin/settings")
    check(
        admin.put("/api/admin/settings", json={"open_signup": True}), "PUT", "/api/admin/settings"
    )
    alice.post("/api/auth/signup", json={"username": "alice", "password": "a long password"})
    check(admin.get("/api/admin/users"), "GET", "/api/admin/users")
    check(admin.post("/api/admin/users", json={"username": "carol"}), "POST", "/api/admin/users")
    user = "/api/admin/users/{username}"
    check(admin.patch("/api/admin/users/carol", json={"disabled": True}), "PATCH", user)
    check(admin.post("/api/admin/users/carol/password-link"), "POST", f"{user}/password-link")
    check(admin.get("/api/admin/limits"), "GET", "/api/admin/limits")
    limits = {"values": {"queue_size": None}}
    check(admin.put("/api/admin/limits", json=limits), "PUT", "/api/admin/limits")
    check(admin.get("/api/admin/health"), "GET", "/api/admin/health")
    check(alice.post("/api/auth/logout"), "POST", "/api/auth/logout")
    check(
        alice.post("/api/auth/login", json={"username": "alice", "password": "a long password"}),
        "POST",
        "/api/auth/login",
    )
    check(alice.get("/api/session"), "GET", "/api/session")
    check(
        alice.post("/api/widgets", json={"kind": "gui", "title": "Tour", "visibility": "public"}),
        "POST",
        "/api/widgets",
    )
    check(alice.get("/api/widgets"), "GET", "/api/widgets")
    check(alice.get("/api/widgets/tour"), "GET", "/api/widgets/{slug}")
    check(anon.get("/api/widgets/tour"), "GET", "/api/widgets/{slug}")
    check(
        alice.save("tour", {"server.py": "x = 1\n", "forms/Form1.py": ""}, 1),
        "POST",
        "/api/widgets/{slug}/versions",
    )
    check(alice.get("/api/widgets/tour/versions"), "GET", "/api/widgets/{slug}/versions")
    check(alice.get("/api/widgets/tour/versions/1"), "GET", "/api/widgets/{slug}/versions/{number}")
    check(
        alice.patch("/api/widgets/tour/versions/2", json={"message": "Toured"}),
        "PATCH",
        "/api/widgets/{slug}/versions/{number}",
    )
    check(alice.get("/api/widgets/tour/diff?old=1"), "GET", "/api/widgets/{slug}/diff")
    check(
        alice.post("/api/widgets/tour/versions/1/restore", json={"base_version": 2}),
        "POST",
        "/api/widgets/{slug}/versions/{number}/restore",
    )
    check(admin.get("/api/widgets/tour/fork"), "GET", "/api/widgets/{slug}/fork")
    check(admin.post("/api/widgets/tour/fork", json={}), "POST", "/api/widgets/{slug}/fork")
    check(anon.get("/api/explore"), "GET", "/api/explore")
    check(
        alice.patch("/api/widgets/tour", json={"title": "Toured"}), "PATCH", "/api/widgets/{slug}"
    )

    # import and export (an Anvil app as a zip, and back)
    app = anvil_repo.zipped(anvil_repo.api())
    imported = alice.post("/api/imports", files={"file": ("app.zip", app, "application/zip")})
    check(imported, "POST", "/api/imports")
    exported = alice.get(f"/api/widgets/{imported.json()['widget']['slug']}/export")
    check(exported, "GET", "/api/widgets/{slug}/export")

    # runs: one that fails (an error with frames), its record, history, events; and logs
    alice.create_widget("script", "Tour script", slug="tour-script")
    alice.save("tour-script", {"main.py": "print('hi')\nraise ValueError('tour')\n"}, 1)
    started = check(
        alice.post("/api/widgets/tour-script/runs"), "POST", "/api/widgets/{slug}/runs"
    ).json()
    wait_for_run(alice, started["id"])
    detail = check(alice.get(f"/api/runs/{started['id']}"), "GET", "/api/runs/{run_id}").json()
    assert detail["error"]["frames"]  # the error's schema was checked with something in it
    check(alice.get("/api/widgets/tour-script/runs"), "GET", "/api/widgets/{slug}/runs")
    check(alice.get(f"/api/runs/{started['id']}/events"), "GET", "/api/runs/{run_id}/events")
    check(alice.post(f"/api/runs/{started['id']}/cancel"), "POST", "/api/runs/{run_id}/cancel")
    alice.create_widget("http", "Tour API", slug="tour-api")
    assert alice.get("/w/tour-api/hello").status_code == 200
    server.call(server.app.state.runner.log.flush)
    logs = check(alice.get("/api/widgets/tour-api/logs"), "GET", "/api/widgets/{slug}/logs")
    assert logs.json()["runs"][0]["request"]["status"] == 200

    # a task's schedule
    alice.create_widget("scheduled", "Tour task", slug="tour-task")
    rule = {"type": "interval", "every": 1, "unit": "days", "at": "03:00"}
    schedule = "/api/widgets/{slug}/schedule"
    check(alice.post("/api/schedules/preview", json=rule), "POST", "/api/schedules/preview")
    check(alice.put("/api/widgets/tour-task/schedule", json=rule), "PUT", schedule)
    check(alice.get("/api/widgets/tour-task/schedule"), "GET", schedule)
    check(alice.post("/api/widgets/tour-task/schedule/pause"), "POST", schedule + "/pause")
    check(alice.post("/api/widgets/tour-task/schedule/resume"), "POST", schedule + "/resume")
    check(alice.delete("/api/widgets/tour-task/schedule"), "DELETE", schedule)

    # secrets
    secret = "/api/widgets/{slug}/secrets/{name}"
    check(alice.put("/api/widgets/tour-task/secrets/TOKEN", json={"value": "s"}), "PUT", secret)
    check(alice.get("/api/widgets/tour-task/secrets"), "GET", "/api/widgets/{slug}/secrets")
    check(alice.delete("/api/widgets/tour-task/secrets/TOKEN"), "DELETE", secret)

    # packages (an empty list: the tour's server reaches no package index)
    packages = "/api/widgets/{slug}/packages"
    check(
        alice.put("/api/widgets/tour-task/packages/requirements", json={"requirements": ""}),
        "PUT",
        packages + "/requirements",
    )
    check(alice.get("/api/widgets/tour-task/packages"), "GET", packages)
    check(alice.post("/api/widgets/tour-task/packages/install"), "POST", packages + "/install")

    # Data Tables
    tables, people = "/api/widgets/{slug}/tables", "/api/widgets/tour-task/tables/people"
    check(alice.post("/api/widgets/tour-task/tables", json={"name": "people"}), "POST", tables)
    check(
        alice.patch("/api/widgets/tour-task/tables", json={"auto_create": False}), "PATCH", tables
    )
    column = {"name": "name", "type": "string"}
    check(alice.post(f"{people}/columns", json=column), "POST", tables + "/{table}/columns")
    renamed = alice.patch(f"{people}/columns?column=name", json={"name": "full"})
    check(renamed, "PATCH", tables + "/{table}/columns")
    row = {"text": {"full": "Ada"}}
    check(alice.post(f"{people}/rows", json=row), "POST", tables + "/{table}/rows")
    check(alice.get(f"{people}/rows"), "GET", tables + "/{table}/rows")
    check(alice.patch(f"{people}/rows/1", json=row), "PATCH", tables + "/{table}/rows/{row}")
    csv = {"csv": "full\nBob\n"}
    check(alice.post(f"{people}/import", json=csv), "POST", tables + "/{table}/import")
    check(alice.get(f"{people}/export"), "GET", tables + "/{table}/export")
    check(alice.delete(f"{people}/rows/1"), "DELETE", tables + "/{table}/rows/{row}")
    check(alice.delete(f"{people}/columns?column=full"), "DELETE", tables + "/{table}/columns")
    check(alice.patch(people, json={"client": "search"}), "PATCH", tables + "/{table}")
    check(alice.get("/api/widgets/tour-task/tables"), "GET", tables)
    check(alice.delete(people), "DELETE", tables + "/{table}")

    # the Users service (its settings; its users on the Data page)
    users, mine = "/api/widgets/{slug}/users", "/api/widgets/tour-task/users"
    check(alice.get(f"{mine}/settings"), "GET", users + "/settings")
    check(alice.put(f"{mine}/settings", json={"enabled": True}), "PUT", users + "/settings")
    ada = {"values": {"email": "ada@example.com", "enabled": True}}
    assert alice.post(f"{tables.replace('{slug}', 'tour-task')}/users/rows", json=ada).is_success
    check(alice.get(mine), "GET", users)
    check(alice.patch(f"{mine}/1", json={"enabled": False}), "PATCH", users + "/{row}")
    check(alice.delete(f"{mine}/1"), "DELETE", users + "/{row}")

    # API tokens (the value once; then a program with it, and no cookie)
    tokens = "/api/tokens"
    made = check(alice.post(tokens, json={"name": "tour", "scope": "read"}), "POST", tokens)
    check(alice.get(tokens), "GET", tokens)
    program = anon.get("/api/session", headers={"authorization": f"Bearer {made.json()['value']}"})
    check(program, "GET", "/api/session")
    assert program.json()["user"]["username"] == "alice"
    check(alice.delete(f"{tokens}/{made.json()['token']['id']}"), "DELETE", tokens + "/{token_id}")

    # a course: alice teaches, bob joins with the code, dora comes from a roster
    courses = "/api/courses"
    course = check(
        alice.post(courses, json={"title": "Tour", "timezone": "Europe/Paris"}), "POST", courses
    ).json()
    check(alice.get(courses), "GET", courses)
    c, cp = f"{courses}/{course['id']}", courses + "/{course_id}"
    check(alice.get(c), "GET", cp)
    check(alice.patch(c, json={"title": "Tour course"}), "PATCH", cp)
    code = check(alice.post(f"{c}/join-code"), "POST", f"{cp}/join-code").json()["join_code"]
    bob = server.browser()
    bob.post("/api/auth/signup", json={"username": "bobby", "password": "a long password"})
    check(bob.post(f"{courses}/join", json={"code": code}), "POST", f"{courses}/join")
    roster = {"csv": "name,username,email\nDora,dora,dora@example.com\n"}
    made = check(alice.post(f"{c}/roster", json=roster), "POST", f"{cp}/roster").json()
    check(
        anon.post(
            "/api/auth/set-password",
            json={"token": made["created"][0]["link"].split("#")[1], "password": "a long password"},
        ),
        "POST",
        "/api/auth/set-password",
    )
    members = check(alice.get(f"{c}/members"), "GET", f"{cp}/members").json()["members"]
    check(alice.post(f"{c}/co-teachers", json={"username": "carol"}), "POST", f"{cp}/co-teachers")
    dora = next(m["user_id"] for m in members if m["username"] == "dora")
    link = f"{cp}/members/{{user_id}}/password-link"
    assert alice.post(f"{c}/members/{dora}/password-link").status_code == 403  # she set one
    roster = {"csv": "name,username,email\nEd,eddie,ed@example.com\n"}
    ed = alice.post(f"{c}/roster", json=roster).json()["created"][0]["username"]
    members = alice.get(f"{c}/members").json()["members"]
    ed_id = next(m["user_id"] for m in members if m["username"] == ed)
    check(alice.post(f"{c}/members/{ed_id}/password-link"), "POST", link)
    check(alice.delete(f"{c}/members/{ed_id}"), "DELETE", f"{cp}/members/{{user_id}}")
    new = {"title": "Loops", "kind": "script", "instructions": "*Go*", "due": "2099-01-01T09:00"}
    given = check(alice.post(f"{c}/assignments", json=new), "POST", f"{cp}/assignments").json()
    a, ap = f"{c}/assignments/{given['id']}", f"{cp}/assignments/{{assignment_id}}"
    check(alice.patch(a, json={"published": True, "due": None}), "PATCH", ap)
    check(bob.get(f"{c}/assignments"), "GET", f"{cp}/assignments")
    check(bob.get(a), "GET", ap)
    check(bob.post(f"{a}/start"), "POST", f"{ap}/start")
    check(bob.post(f"{a}/submissions", json={}), "POST", f"{ap}/submissions")
    check(bob.get(f"{a}/mine"), "GET", f"{ap}/mine")
    check(alice.get(f"{a}/students"), "GET", f"{ap}/students")
    checks = {"source": "from classroom import public\n\n@public\ndef test_a():\n    pass\n"}
    check(alice.put(f"{a}/checks", json=checks), "PUT", f"{ap}/checks")
    check(alice.get(f"{a}/checks"), "GET", f"{ap}/checks")
    check(bob.post(f"{a}/check", json={}), "POST", f"{ap}/check")
    check(bob.get(f"{a}/mine/checks"), "GET", f"{ap}/mine/checks")
    check(alice.post(f"{a}/checks/run"), "POST", f"{ap}/checks/run")
    check(alice.get(f"{a}/checks/results"), "GET", f"{ap}/checks/results")
    check(alice.delete(f"{a}/checks"), "DELETE", f"{ap}/checks")
    bob_id = next(m["user_id"] for m in members if m["username"] == "bobby")
    f, fp = f"{a}/students/{bob_id}/feedback", f"{ap}/students/{{student_id}}/feedback"
    check(alice.put(f"{f}/note", json={"note": "Well done"}), "PUT", f"{fp}/note")
    remark = {"version": 1, "path": "main.py", "line": 1, "body": "Nice"}
    said = check(alice.post(f"{f}/comments", json=remark), "POST", f"{fp}/comments").json()
    check(alice.post(f"{f}/release", json={}), "POST", f"{fp}/release")
    check(alice.get(f), "GET", fp)
    check(bob.get(f"{a}/feedback"), "GET", f"{ap}/feedback")
    check(alice.get(f"{c}/grid"), "GET", f"{cp}/grid")
    check(alice.get(f"{c}/grid.csv"), "GET", f"{cp}/grid.csv")
    check(alice.get(f"{c}/submissions.zip"), "GET", f"{cp}/submissions.zip")
    gone = f"{fp}/comments/{{comment_id}}"
    check(alice.delete(f"{f}/comments/{said['id']}"), "DELETE", gone)
    check(alice.put(f"{c}/limits", json={"runs_per_hour": 30}), "PUT", f"{cp}/limits")
    check(bob.get(f"{c}/limits"), "GET", f"{cp}/limits")
    check(alice.get(f"{c}/usage"), "GET", f"{cp}/usage")

    check(alice.delete("/api/widgets/tour"), "DELETE", "/api/widgets/{slug}")

    routes = {(method, path) for method, path, _ in api_operations(server.app)}
    assert checked == routes, f"add these to the tour: {sorted(routes - checked)}"


def test_error_responses_are_documented_in_the_error_shape(
    server: Server, document: dict[str, Any], alice: Browser
) -> None:
    response = alice.post("/api/widgets", json={"kind": 5})
    assert response.status_code == 400
    for method, path, _ in api_operations(server.app):
        responses = document["paths"][path][method.lower()]["responses"]
        if "400" in responses:
            schema = responses["400"]["content"]["application/json"]["schema"]
            assert problems(response.json(), schema, document) == [], (method, path)
    save = document["paths"]["/api/widgets/{slug}/versions"]["post"]["responses"]
    assert {"403", "404", "409", "422"} <= save.keys()


def test_bodies_with_only_optional_fields_are_required_and_documented(
    document: dict[str, Any], alice: Browser
) -> None:
    # Restore and fork take `{}` for their defaults; a request without a body is refused,
    # exactly as the document says.
    for path in ("/api/widgets/{slug}/fork", "/api/widgets/{slug}/versions/{number}/restore"):
        assert document["paths"][path]["post"]["requestBody"]["required"] is True
    alice.create_widget("http", "Body", slug="body")
    refused = alice.request("POST", "/api/widgets/body/fork")
    assert refused.status_code == 400
