"""A roster week from the community's page to the phones: made, planned, published; two
party members check in from their phones with the phone's location, a third reports an
absence; the community sees who is on duty. And a volunteer who tries to see another
grid's people is refused."""

from __future__ import annotations

import pytest

from civicgrid.org.models import Role
from civicgrid.people import actions
from civicgrid.people.models import Duty, DutyState, PeopleAction, PeopleEvent
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import check
from tests.browser.test_console import log_in
from tests.factories import UserFactory, make_member, make_tree
from tests.people.conftest import IN_GRID0, person, this_monday

pytestmark = pytest.mark.browser


def test_a_roster_week_with_check_ins_and_one_absence(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.communities[0], Role.HANDLER, username="shequ")
    phones = {}
    for username, name in (("wang", "王党员"), ("li", "李党员"), ("zhao", "赵志愿")):
        phones[username] = person(
            tree.grids[0], name, party_member=True, user=UserFactory(username=username)
        )
    today = actions.today()

    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/people/rosters/")
    page.click("#make-roster summary")
    page.select_option("#r-unit", str(tree.grids[0].pk))
    page.fill("#r-week", this_monday(today).isoformat())
    page.click("#make-roster button[type=submit]")
    page.wait_for_selector("#plan-duty")
    for username, starts, ends in (
        ("wang", "08:00", "11:00"),
        ("li", "13:00", "16:00"),
        ("zhao", "18:00", "20:00"),
    ):
        page.select_option("#d-person", str(phones[username].pk))
        page.select_option("#d-unit", str(tree.grids[0].pk))
        page.select_option("#d-day", today.isoformat())
        page.fill("#d-starts", starts)
        page.fill("#d-ends", ends)
        page.click("#plan-duty button[type=submit]")
        page.wait_for_selector("text=值班已安排。")
        if not page.locator("#plan-duty[open]").count():
            page.click("#plan-duty summary")
    page.click("#publish")
    page.wait_for_selector("#roster-state[data-state='published']")
    screenshot(page, "people-roster-published")

    # The phones: the party members' location is inside grid 0.
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"longitude": IN_GRID0[0], "latitude": IN_GRID0[1]})
    for username in ("wang", "li"):
        page.context.clear_cookies()
        log_in(page, live_server, username)
        page.goto(f"{live_server.url}/people/me/")
        page.click("button[data-action='check-in']")
        page.wait_for_selector("text=签到成功。")
        assert page.locator("#my-duties li[data-state='checked_in']").count() == 1
    screenshot(page, "people-checked-in")
    page.context.clear_cookies()
    log_in(page, live_server, "zhao")
    page.goto(f"{live_server.url}/people/me/")
    page.click("#my-duties details summary >> text=我来不了")
    page.fill("form[data-absence] input[name=reason]", "孩子发烧")
    page.click("form[data-absence] button[type=submit]")
    page.wait_for_selector("text=缺勤已报告。")
    problems: list[str] = []
    check(page, "/people/me/", live_server, problems)

    states = dict(Duty.objects.values_list("person__user__username", "state"))
    assert states == {
        "wang": DutyState.CHECKED_IN,
        "li": DutyState.CHECKED_IN,
        "zhao": DutyState.ABSENT,
    }
    assert all(
        PeopleEvent.objects.get(action=PeopleAction.CHECK_IN, person=phones[u]).data["in_place"]
        for u in ("wang", "li")
    )

    # The community sees who is on duty today.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.context.clear_cookies()
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/people/")
    on_duty = page.locator("#on-duty").inner_text()
    assert "王党员" in on_duty and "已签到" in on_duty and "孩子发烧" in on_duty
    assert page.locator("#on-duty tr[data-state='checked_in']").count() == 2
    assert page.locator("#on-duty tr[data-state='absent']").count() == 1
    screenshot(page, "people-on-duty")
    roster = Duty.objects.first().roster  # type: ignore[union-attr]
    for path in (
        "/people/",
        "/people/rosters/",
        f"/people/rosters/{roster.pk}/",
        f"/people/{phones['wang'].pk}/",
    ):
        check(page, path, live_server, problems)
    assert not problems, "\n".join(problems)


def test_a_volunteer_who_tries_to_see_another_grids_people_is_refused(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.grids[0], Role.VOLUNTEER, username="zhiyuan")
    mine = person(tree.grids[0], "本网格志愿者")
    theirs = person(tree.grids[1], "邻网格志愿者")
    log_in(page, live_server, "zhiyuan")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=人员与值班")
    assert "本网格志愿者" in page.inner_text("#people")
    assert "邻网格志愿者" not in page.inner_text("#people")
    answer = page.goto(f"{live_server.url}/people/{theirs.pk}/")
    assert answer is not None and answer.status == 404
    assert "未找到" in page.inner_text("main")
    answer = page.goto(f"{live_server.url}/api/people/{theirs.pk}")
    assert answer is not None and answer.status == 404
    answer = page.goto(f"{live_server.url}/people/{mine.pk}/")
    assert answer is not None and answer.status == 200
