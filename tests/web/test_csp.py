"""The Content-Security-Policy: on every page, and no page needs more than it allows.

The policy allows scripts and styles from this site only; so no served HTML may hold
an inline <script>, an inline event handler (onclick=…), a javascript: URL, a <style>
element or a style= attribute. The walk starts at each kind of user's pages and
follows the links it finds; error pages, htmx partials, the admin and the API's
Swagger UI are visited on purpose.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.errors import Conflict
from civicgrid.org.models import Role
from civicgrid.web.middleware import refused
from tests.factories import UserFactory, make_categories, make_member, make_tree
from tests.images import image_bytes, upload

EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}
NOT_WALKED = ("/static/", "/media/", "/i18n/", "/logout/", "/account/logout", "/admin/")


class PageReader(HTMLParser):
    """What of a page the policy would block, and where its links go."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (inline event handler)")
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}> (javascript: URL)")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}> (inline style)")
        if tag == "style":
            self.problems.append("<style> element (inline style)")
        if tag == "script" and "src" not in values:
            kind = values.get("type", "").strip().lower()
            self._inline_script = kind in EXECUTABLE_TYPES
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = False


def policy_problems(response: HttpResponse) -> list[str]:
    policy = response.get("Content-Security-Policy", "")
    problems = []
    if "script-src 'self'" not in policy or "style-src 'self'" not in policy:
        problems.append(f"Content-Security-Policy missing or incomplete: {policy!r}")
    if "unsafe" in policy:
        problems.append(f"the policy allows unsafe sources: {policy!r}")
    return problems


def read(response: HttpResponse) -> PageReader:
    reader = PageReader()
    if "html" in response.get("Content-Type", ""):
        reader.feed(response.content.decode())
    return reader


def walk(client: Client, seeds: list[str], limit: int = 60) -> dict[str, list[str]]:
    """GET the seeds and the site's links from them (breadth first, up to ``limit``
    pages); each page's problems by URL."""
    found: dict[str, list[str]] = {}
    queue, seen = list(seeds), set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        problems = policy_problems(response)
        if response.status_code not in (200, 302):  # 302: the login page, for a resident
            problems.append(f"status {response.status_code}")
        reader = read(response)
        found[url] = problems + reader.problems
        for link in reader.links:
            link = urldefrag(link).url
            walked = link.startswith("/") and not link.startswith(("//", *NOT_WALKED))
            if walked and "/photos/" not in link:
                queue.append(link)
    return found


def assert_clean(found: dict[str, list[str]]) -> None:
    bad = {url: problems for url, problems in found.items() if problems}
    assert not bad, bad


@pytest.fixture
def district(db):  # type: ignore[no-untyped-def]
    """A district with a case in each place a page shows one: a resident's with a
    photo, dispatched, whistled to a department."""
    tree = make_tree()
    cats = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    street = make_member(tree.streets[0], Role.DISPATCHER)
    resident = Client()
    form = {
        "text": "幸福小区东门口的路灯坏了一周，晚上很黑。",
        "lon": "120.005",
        "lat": "30.005",
        "phone": "13812345678",
        "photos": [upload(image_bytes(), "现场.jpg")],
    }
    response = resident.post("/r/", form)
    assert response.status_code == 302
    case = Case.objects.get()
    case = actions.triage_case(
        case, actor=dispatcher, category=cats["moderate"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    actions.whistle_case(case, actor=street, lead=tree.department)
    return tree, case, resident


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_every_staff_page_has_the_policy_and_nothing_inline(district) -> None:  # type: ignore[no-untyped-def]
    tree, case, _resident = district
    admin = UserFactory(is_superuser=True, is_staff=True)
    found = walk(
        logged_in(admin),
        [
            "/",
            "/account/",
            f"/cases/{case.tracking_code}/",
            "/units/children/",
            f"/units/children/?parent={tree.streets[0].code}",
            "/intake/hotline/aside/?phone=13812345678&text=路灯",
            "/api/docs",
            "/admin/",
            "/admin/org/user/",
            f"/admin/org/user/{admin.pk}/change/",
            "/admin/cases/case/",
            f"/admin/cases/case/{case.pk}/change/",
            "/admin/notify/notification/",
        ],
    )
    # The walk reached the pages of the navigation (links from the header).
    for page in [
        "/cases/",
        "/triage/",
        "/triage/hot/",
        "/triage/models/",
        "/intake/hotline/",
        "/notify/",
    ]:
        assert page in found, sorted(found)
    assert_clean(found)


def test_field_and_department_pages(district) -> None:  # type: ignore[no-untyped-def]
    tree, _case, _resident = district
    grid_worker = make_member(tree.grids[0], Role.GRID_WORKER)
    department = make_member(tree.department, Role.HANDLER)
    found = walk(logged_in(grid_worker), ["/", "/intake/patrol/"])
    found |= walk(logged_in(department), ["/", "/tasks/"])
    assert "/units/" in found
    assert_clean(found)


def test_resident_pages(district) -> None:  # type: ignore[no-untyped-def]
    _tree, case, resident = district
    assert (
        resident.post("/r/track/", {"code": case.tracking_code, "last4": "5678"}).status_code == 302
    )
    found = walk(
        resident,
        ["/r/", "/r/track/", f"/r/done/{case.tracking_code}/", f"/r/track/{case.tracking_code}/"],
    )
    found |= walk(Client(), ["/login/"])
    assert_clean(found)


def test_error_pages(district, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import civicgrid.intake.views as views

    tree, _case, _resident = district
    pages: dict[str, HttpResponse] = {}
    pages["404"] = Client().get("/no-such-page/")
    volunteer = logged_in(make_member(tree.grids[0], Role.VOLUNTEER))
    pages["403"] = volunteer.get("/triage/models/")
    pages["csrf"] = Client(enforce_csrf_checks=True).post("/r/", {"text": "x"})

    def locked(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setattr(views, "receive", locked)
    pages["503"] = Client().post(
        "/r/", {"text": "路灯坏了", "lon": "120.005", "lat": "30.005", "phone": "13812345678"}
    )
    user = make_member(tree.district, Role.DISPATCHER)
    with override_settings(AXES_FAILURE_LIMIT=2):
        for _ in range(3):
            pages["locked out"] = Client().post(
                "/login/", {"username": user.username, "password": "wrong"}, REMOTE_ADDR="10.1.1.1"
            )
    expected = {"404": 404, "403": 403, "csrf": 403, "503": 503, "locked out": 429}
    assert {name: r.status_code for name, r in pages.items()} == expected
    assert "页面已过期" in pages["csrf"].content.decode()
    found = {name: policy_problems(r) + read(r).problems for name, r in pages.items()}
    # A refusal raised under a page (the middleware's page; its header is the
    # policy middleware's, tested above).
    request = RequestFactory().get("/cases/X/")
    request.user = AnonymousUser()
    conflict = refused(request, Conflict("该工单已被其他人签收"))
    assert conflict.status_code == 409
    found["refused"] = read(conflict).problems
    assert_clean(found)


def test_the_reader_finds_what_the_policy_blocks() -> None:
    """The walk's reader must be able to fail."""
    reader = PageReader()
    reader.feed(
        '<script>alert(1)</script><script type="application/json">{"a": 1}</script>'
        '<script src="/static/x.js"></script><select onchange="go()"></select>'
        '<a href="javascript:history.back()">x</a><p style="color: red">y</p><style>p{}</style>'
    )
    assert len(reader.problems) == 5, reader.problems
    assert "onchange" in " ".join(reader.problems)
