"""A small district with cases in most states, one person who may do (and see) nearly
everything, and the hostile values every endpoint is sent."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import strategies as st

from civicgrid.cases import actions
from civicgrid.cases.deadlines import clear_calendar
from civicgrid.cases.models import Case, CaseEvent, ContactReveal, Photo, Urgency, WhistleTask
from civicgrid.intake.models import IdempotencyKey, Place
from civicgrid.open311.models import ApiClient, Open311Request
from civicgrid.org.actions import grant_membership
from civicgrid.org.models import Role, User
from tests.factories import (
    PASSWORD,
    TreeFixture,
    make_categories,
    make_member,
    make_tree,
    submit,
)

# What no database can store (NUL; surrogates without their pair), what int() and
# float() would take or choke on, what overflows a column, a date or a float, and
# markup: the values "more of the same kind" are made of.
NASTY_TEXT = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\udbff\udc00",  # a pair: one character once JSON reads its escapes, two lone ones elsewhere
    "²",
    "١٢",
    "1_000",
    " 7 ",
    "-1",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-Infinity",
    "9" * 30,
    "9" * 5000,
    "1.5",
    "0001-01-01T00:00:00~1",
    "9999-12-31T23:59:59+14:00~9223372036854775807",
    "2024-02-30",
    "0000",
    "../../etc/passwd",
    "%00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202e\ufeff\uffff",
    "长" * 300,
    "",
    " ",
    # well formed, but longer than a column holds
    "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "b" * 15 + ".org",
    "https://example.org/" + "a" * 600,
]

NASTY_NUMBERS = [-1, 0, 1, 2**31, 2**63, -(2**63) - 1, 10**30, math.nan, math.inf, -math.inf, 1.5]


def nasty_text() -> st.SearchStrategy[str]:
    """Arbitrary text with every category of character, surrogates included, and the
    list above."""
    anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
    return st.one_of(st.sampled_from(NASTY_TEXT), anything)


def nasty_value() -> st.SearchStrategy[object]:
    """A value for any field: text or a number (a JSON body carries numbers as such)."""
    numbers = st.one_of(
        st.sampled_from(NASTY_NUMBERS),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
    )
    return st.one_of(nasty_text(), numbers, st.lists(nasty_text(), max_size=3), st.none())


def unstorable(value: object) -> bool:
    """Whether ``value`` (or anything inside it) holds a character no database keeps."""
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unstorable(v) for v in value)
    return False


@dataclass
class World:
    tree: TreeFixture
    user: User
    cases: list[Case]
    task: WhistleTask
    place: Place
    client_key: str
    real: dict[str, list[str]] = field(default_factory=dict)


def rows() -> dict[str, int]:
    """What a refusal must leave as it was."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Case,
            CaseEvent,
            Photo,
            WhistleTask,
            ContactReveal,
            IdempotencyKey,
            Open311Request,
        )
    }


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """The world, built once per module in a transaction that each test's own (a
    savepoint inside it) rolls back to, and that is rolled back after the module: a
    few hundred tests each get the same fresh world without building it again."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(built_world: World, db, settings) -> World:  # type: ignore[no-untyped-def]
    """Rate limits off, so refusals are about the input."""
    settings.INTAKE_RATE_PER_IP = "0/60"
    settings.INTAKE_RATE_PER_PHONE = "0/60"
    cache.clear()
    return built_world


def build_world() -> World:
    """Cases submitted, triaged, dispatched, acknowledged, whistled, resolved; a user
    who dispatches, leads, takes calls and patrols, handles for the department and may
    use the admin."""
    clear_calendar()
    tree = make_tree()
    categories = make_categories()
    user = make_member(tree.district, Role.DISPATCHER, username="hostile")
    for unit, role in [
        (tree.district, Role.LEADER),
        (tree.district, Role.OPERATOR),
        (tree.district, Role.ADMIN),
        (tree.grids[0], Role.GRID_WORKER),
        (tree.department, Role.HANDLER),
    ]:
        grant_membership(user=user, unit=unit, role=role)
    user.is_staff = user.is_superuser = True
    user.save()

    fresh = submit(tree)
    triaged = actions.triage_case(
        submit(tree), actor=user, category=categories["minor"], urgency=Urgency.NORMAL
    )
    dispatched = actions.dispatch_case(
        actions.triage_case(
            submit(tree), actor=user, category=categories["micro"], urgency=Urgency.NORMAL
        ),
        actor=user,
    )
    handling = actions.acknowledge_case(dispatched, actor=user)
    whistled = actions.dispatch_case(
        actions.triage_case(
            submit(tree), actor=user, category=categories["moderate"], urgency=Urgency.NORMAL
        ),
        actor=user,
    )
    whistled = actions.whistle_case(whistled, actor=user, lead=tree.department, assisting=[])
    resolved = actions.resolve_case(
        actions.acknowledge_case(
            actions.dispatch_case(
                actions.triage_case(
                    submit(tree), actor=user, category=categories["micro"], urgency="normal"
                ),
                actor=user,
            ),
            actor=user,
        ),
        actor=user,
        reply="已处理完毕。",
    )
    cases = [fresh, triaged, handling, whistled, resolved]
    task = WhistleTask.objects.get(case=whistled)
    place = Place.objects.create(
        name="幸福花园", kind="estate", lon=120.015, lat=30.015, community=tree.communities[0]
    )
    client = ApiClient.objects.create(name="测试应用", contact_email="dev@example.org")
    codes = [c.tracking_code for c in cases]
    world = World(tree, user, cases, task, place, client.key)
    world.real = {
        "code": [*codes, tree.district.code, tree.grids[0].code, "T1"],
        "service_request_id": codes,
        "service_code": ["T1", "T3", "T"],
        "task_id": [str(task.pk)],
        "pk": ["1"],
        "object_id": [str(cases[0].pk), str(tree.district.pk)],
        "fmt": ["json", "xml"],
        "app_label": ["cases", "org", "intake"],
        "action": [
            *("triage", "dispatch", "acknowledge", "reject", "merge", "whistle", "rate"),
            *("resolve", "check_in", "start", "done", "return"),
        ],
        "version": [str(c.version) for c in cases],
        "api_key": [client.key],
        "place": [str(place.pk)],
        "into": codes,
        "merge_into": codes,
        "lead": [tree.department.code],
        "parent": [tree.district.code],
        "category": ["T1", "T3"],
        "phone": ["13812345678"],
        "text": ["楼道里堆满杂物，影响通行。"],
        "lon": ["120.005"],
        "lat": ["30.005"],
        "long": ["120.005"],
        "title": ["楼道杂物"],
        "name": ["王女士"],
        "address": ["幸福花园3栋"],
        "reason": ["需要上级协调"],
        "note": ["已到场处置"],
        "reply": ["杂物已清理完毕。"],
        "comment": ["很及时"],
        "description": ["小区停水了"],
        "email": ["resident@example.org"],
        "media_url": ["https://example.org/a.jpg"],
        "first_name": ["三"],
        "last_name": ["张"],
        "device_id": ["device-1"],
        "account_id": ["account-1"],
        "last4": ["5678"],
        "rating": ["5", "1"],
        "solved": ["1", "0"],
        "passed": ["1", "0"],
        "reached": ["1"],
        "fixed": ["1", "0"],
        "hide_identity": ["1"],
        "urgency": ["normal", "urgent"],
        "tier": ["minor"],
        "label": ["热点问题"],
        "codes": codes,
        "unit": [tree.communities[0].code],
        "status": ["open", "closed"],
        "start_date": ["2024-01-01"],
        "end_date": ["2024-03-01"],
        "queue": ["all", "triage"],
        "limit": ["10"],
        "days": ["90"],
        "username": ["hostile"],
        "password": [PASSWORD],
        "period": ["2024-02", "2025-03"],
        "by": ["unit", "month", "category"],
        "level": ["community", "grid"],
        "figure": ["cases", "response", "resolve_hours", "check_in"],
        "part": ["numerator", "denominator"],
        "own": ["true"],
        "channel": ["web", "hotline"],
        "attribute[scope]": ["home"],
        "attribute[floors]": ["3"],
    }
    return world
