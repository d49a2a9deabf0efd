"""Every URL the project answers, sent arbitrary text and numbers: never a 5xx; text no
database can store refused with 400 at the door, naming the field; a refusal leaves
nothing written, and every case's log still replays to the case.

The endpoints are not listed here: they come from the URL resolver (the API's from its
OpenAPI document too), and the field names from what the code reads, so an endpoint or
a field added later is sent the same values without anyone remembering to."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import civicgrid
from civicgrid.api import api
from civicgrid.cases.models import Case
from tests.cases.test_lifecycle import assert_log_is_truth
from tests.hostile.conftest import World, nasty_text, nasty_value, rows, unstorable

# --- the endpoints, from the resolver ------------------------------------------------------

ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
REGEX_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _template(pattern: Any) -> str:
    """A URL pattern as a template with ``{name}`` for each parameter."""
    text = str(pattern.pattern)
    if text.startswith("^") or text.endswith("$"):  # a regular expression
        text = REGEX_PARAM.sub(r"{\1}", text.strip("^$")).replace("\\.", ".")
        return text.replace(".*", "")
    return ROUTE_PARAM.sub(r"{\1}", text)


def _routes(patterns: list[Any], prefix: str = "/") -> Iterator[str]:
    for pattern in patterns:
        here = prefix + _template(pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, here)
        elif isinstance(pattern, URLPattern):
            yield here


def routes() -> list[str]:
    """Every route; the admin's pages of one model stand for every model's (Django's own
    views, alike for each), except the lists, which search and filter by each model's
    admin."""
    found, shapes = [], set()
    for route in _routes(get_resolver().url_patterns):
        shape = route
        if (match := re.match(r"^/admin/(\w+)/(\w+)/", route)) and route != match[0]:
            try:
                apps.get_model(match[1], match[2])
                shape = "/admin/MODEL/" + route[match.end() :]
            except LookupError:
                pass
        if shape not in shapes:
            shapes.add(shape)
            found.append(route)
    return found


OPENAPI = api.get_openapi_schema()


def _schema(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref", "")
    return OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else ref_or_schema


@dataclass(frozen=True)
class Operation:
    method: str
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()  # a JSON body's properties
    form: tuple[str, ...] = ()  # a multipart body's fields
    files: tuple[str, ...] = ()  # … of which files


def operations(route: str) -> list[Operation]:
    """What the OpenAPI document says the route takes; a page takes GET and POST of any
    field the code reads."""
    path = OPENAPI["paths"].get(route.rstrip("/") if route != "/api/" else route)
    if path is None:
        return [Operation("GET"), Operation("POST")]
    found = []
    for method, op in path.items():
        query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
        content = op.get("requestBody", {}).get("content", {})
        body = form = files = ()
        if "application/json" in content:
            body = tuple(_schema(content["application/json"]["schema"]).get("properties", {}))
        if "multipart/form-data" in content:
            fields = _schema(content["multipart/form-data"]["schema"]).get("properties", {})
            form = tuple(fields)
            files = tuple(name for name, f in fields.items() if "binary" in json.dumps(f))
        found.append(Operation(method.upper(), query, body, form, files))
    return found


# --- the fields, from what the code reads -------------------------------------------------

SOURCE = Path(civicgrid.__file__).parent
READS = re.compile(
    r"""(?:\b(?:GET|POST|FILES|values|post|form|params)\.(?:get|getlist)\(\s*"""
    r"""|\b_(?:text|units|listed)\(\s*\w+,\s*)["']([\w\[\]-]+)["']"""
)
# Read by Django itself: the login form, the language switch, the admin's lists.
DJANGO_FIELDS = ("username", "password", "language", "next", "q", "p", "o", "post")


def fields_read() -> list[str]:
    found = set(DJANGO_FIELDS) | {"attribute[scope]", "attribute[floors]"}
    for module in SOURCE.rglob("*.py"):
        if "migrations" not in module.parts:
            found.update(READS.findall(module.read_text(encoding="utf-8")))
    return sorted(found)


FIELDS = fields_read()

# --- what is sent ---------------------------------------------------------------------------


def as_received(text: str) -> str:
    """``text`` as the server reads it from a URL or a form: UTF-8 on the wire, so a
    lone surrogate (which has no UTF-8) arrives as U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def form_values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for item in value for v in form_values(item)]
    if isinstance(value, bool):
        return ["1" if value else "0"]
    return [str(value)]


def value_for(world: World, name: str) -> st.SearchStrategy[object]:
    real = world.real.get(name)
    return st.one_of(st.sampled_from(real), nasty_value()) if real else nasty_value()


@st.composite
def requests(draw: st.DrawFn, world: World, route: str, op: Operation) -> dict[str, Any]:
    params = re.findall(r"{(\w+)}", route)
    path = route
    path_bad, given = False, {}
    for name in params:
        real = world.real.get(name)
        value = draw(st.one_of(st.sampled_from(real), nasty_text()) if real else nasty_text())
        given[name] = value
        path_bad |= unstorable(as_received(value))
        path = path.replace(f"{{{name}}}", quote(value.encode("utf-8", "surrogatepass"), safe=""))
    if route.startswith("/open311/") and route.endswith("/{path}"):
        path += draw(st.sampled_from([".json", ".xml", ""]))
    names = list(op.query + op.body + op.form) if route.startswith("/api/") else FIELDS
    if draw(st.booleans()):
        # A request as the page or the client would send it, but for a few fields.
        data = {n: draw(st.sampled_from(world.real[n])) for n in names if n in world.real}
        for name in draw(st.lists(st.sampled_from(names or FIELDS), min_size=1, max_size=3)):
            data[name] = draw(nasty_value())
        code = given.get("code")
        if data.get("version") in world.real["version"] and code in world.real["code"]:
            current = Case.objects.filter(tracking_code=code).values_list("version", flat=True)
            data["version"] = str(next(iter(current), data["version"]))  # the case's own
    else:
        chosen = draw(st.lists(st.sampled_from(names or FIELDS), max_size=6, unique=True))
        data = {name: draw(value_for(world, name)) for name in chosen}
    headers = draw(
        st.dictionaries(
            st.sampled_from(["Idempotency-Key", "Accept-Language", "User-Agent", "X-Whatever"]),
            nasty_text().map(lambda t: "".join(c for c in t if ord(c) < 256)),
            max_size=2,
        )
    )
    if route == "/api/requests" and "Idempotency-Key" not in headers:
        headers["Idempotency-Key"] = draw(st.sampled_from(["k-1", "k-2"]))
    return {
        "method": op.method,
        "path": path,
        "path_bad": path_bad,
        "data": data,
        "headers": headers,
        "as_json": bool(op.body),
        "multipart": bool(op.files) or draw(st.booleans()),
        "files": op.files or ("photos", "before", "after"),
        "filename": draw(st.one_of(st.just("a.jpg"), nasty_text())),
        "encoding": draw(st.sampled_from(["ascii", "utf-8", "utf-16"])),
    }


def send(client: Client, request: dict[str, Any]) -> tuple[Any, bool]:
    """The response, and whether the request carried text no database can store."""
    method, path, data = request["method"], request["path"], request["data"]
    bad = request["path_bad"] or unstorable(list(request["headers"].values()))
    headers = request["headers"]
    if method in ("GET", "HEAD") or not data:
        pairs = [(k, as_received(v)) for k, value in data.items() for v in form_values(value)]
        bad |= unstorable(pairs)
        query = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
        url = f"{path}?{query}" if query and method in ("GET", "HEAD") else path
        return client.generic(method, url, headers=headers), bad
    if request["as_json"]:
        # ASCII (a lone surrogate as its escape), UTF-8 with a surrogate's own bytes, or
        # UTF-16: json.loads reads all three
        text = json.dumps(data, ensure_ascii=request["encoding"] == "ascii")
        body = text.encode(
            "utf-16" if request["encoding"] == "utf-16" else "utf-8", "surrogatepass"
        )
        bad |= unstorable(json.loads(body))  # (two escapes of a pair read as one character)
        return client.generic(method, path, body, "application/json", headers=headers), bad
    pairs = [(k, as_received(v)) for k, value in data.items() for v in form_values(value)]
    bad |= unstorable(pairs)
    if request["multipart"]:
        fields: dict[str, Any] = {}
        for k, v in pairs:
            fields.setdefault(k, []).append(v)
        for name in [n for n in request["files"] if n not in fields][:1]:
            filename = as_received(request["filename"])
            if os.path.basename(filename).strip() in ("", ".", ".."):  # no name: not sendable
                filename = "a.jpg"
            # (Django's parser drops control characters from a file's name itself)
            fields[name] = SimpleUploadedFile(filename, b"\xff\xd8\xff not really a jpeg")
        return client.post(path, fields, headers=headers), bad
    body = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
    content_type = "application/x-www-form-urlencoded"
    return client.generic(method, path, body, content_type, headers=headers), bad


# --- the property ---------------------------------------------------------------------------

CASES = [(route, op) for route in routes() for op in operations(route)]
# Examples per endpoint (the admin's a third): a few seconds a database here; set
# CIVICGRID_HOSTILE_EXAMPLES=200 for a deeper search before a release.
EXAMPLES = int(os.environ.get("CIVICGRID_HOSTILE_EXAMPLES", "8"))


def _id(case: tuple[str, Operation]) -> str:
    return f"{case[1].method} {case[0]}"


@pytest.mark.parametrize("route,op", CASES, ids=[_id(c) for c in CASES])
def test_no_input_gets_a_server_error(world: World, route: str, op: Operation) -> None:
    client = Client()
    client.force_login(world.user)

    @settings(
        max_examples=max(1, EXAMPLES // 3) if route.startswith("/admin/") else EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(world, route, op))
    def property_(request: dict[str, Any]) -> None:
        before, versions = rows(), dict(Case.objects.values_list("pk", "version"))
        response, bad = send(client, request)
        status = response.status_code
        assert status < 500, (status, request)
        refused_at_the_door = (
            route.startswith("/api/")
            and status == 400
            and any(p["type"] == "unstorable" for p in response.json().get("errors", []))
        )
        if bad:
            assert status == 400, (status, request)
            assert refused_at_the_door or not route.startswith("/api/"), request
        else:
            assert not refused_at_the_door, ("storable text refused", request)
        if status >= 400:
            assert rows() == before, ("a refusal wrote something", status, request)
        for case in Case.objects.all():
            if versions.get(case.pk) != case.version:  # changed or new: its log is the truth
                assert_log_is_truth(case)
        if "logout" in route:
            client.force_login(world.user)

    property_()
