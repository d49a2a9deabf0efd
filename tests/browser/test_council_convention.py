"""A convention scoring period in the browser, on a phone: a member assesses themself,
the secretary records an inspection's finding with a photo, rates and publishes; the
member then sees the scores and the red and black lists. A member of another council is
refused."""

from __future__ import annotations

import pytest

from civicgrid.councils import scoring
from civicgrid.councils.convention_models import Cadence, InspectionPhoto, PeriodState, Score
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import grave_violations
from tests.browser.test_console import log_in
from tests.factories import make_council, make_tree
from tests.images import image_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_period_from_self_assessment_to_the_red_and_black_lists(
    page, live_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    council = make_council(tree.communities[0])
    other = make_council(tree.communities[2])
    scoring.adopt_convention(council.council, actor=None, template=scoring.district_template())
    for member in [council.chair, council.secretary, *council.members[:2]]:
        scoring.sign_convention(member, actor=None)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-11"
    )
    member, fined = council.members[0], council.members[1]
    photo = tmp_path / "fire-exit.jpg"
    photo.write_bytes(image_bytes())
    page.set_viewport_size(PHONE)

    # the member, on their phone: the council, its convention tab, the period, the form
    log_in(page, live_server, council.user(member).username)
    page.wait_for_url(f"{live_server.url}/councils/{council.council.pk}/")
    page.click("[data-tab=convention]")
    page.click(f"[data-period='{period.pk}'] a")
    page.fill("#sa-2\\.1", "8")
    screenshot(page, "convention-self-assessment")
    assert grave_violations(page) == []
    page.click("#self-assessment button[type=submit]")
    page.wait_for_selector("text=您的自评已保存。")
    assert Score.objects.get(period=period, member=member, indicator="2.1").self_points == 8
    assert page.locator("#inspection").count() == 0  # a member does not inspect

    # the secretary: a blocked fire exit at another member, with a photo; rate; publish
    page.context.clear_cookies()
    log_in(page, live_server, council.user(council.secretary).username)
    page.goto(f"{live_server.url}/councils/{council.council.pk}/convention/periods/{period.pk}/")
    assert grave_violations(page) == []  # the inspection form, on a phone
    page.select_option("#in-member", str(fined.pk))
    page.select_option("#in-indicator", "4.1")
    page.fill("#in-findings", "1")
    page.fill("#in-note", "消防通道堆放纸箱")
    page.set_input_files("#in-photos", str(photo))
    page.click("#inspection button[type=submit]")
    page.wait_for_selector("text=巡查结果已记录。")
    assert InspectionPhoto.objects.count() == 1
    page.click(f"[data-row='{fined.pk}'] summary")
    assert page.locator(f"[data-row='{fined.pk}'] img").count() == 1
    page.click("button[data-action=close]")
    page.wait_for_selector("#period[data-state=inspection]")
    page.click("button[data-action=rate]")
    page.wait_for_selector("#period[data-state=rated]")
    page.click("button[data-action=publish]")
    page.wait_for_selector("#period[data-state=published]")
    period.refresh_from_db()
    assert period.state == PeriodState.PUBLISHED

    # the member sees the published scores and the red and black lists
    page.context.clear_cookies()
    log_in(page, live_server, council.user(member).username)
    page.goto(f"{live_server.url}/councils/{council.council.pk}/convention/periods/{period.pk}/")
    page.wait_for_selector("#results")
    assert page.locator(f"#black-list [data-black='{fined.pk}']").count() == 1
    assert page.locator(f"#red-list [data-red='{council.secretary.pk}']").count() == 1
    assert "上黑榜" in page.inner_text("#black-list")
    assert page.inner_text(f"#totals tr[data-member='{member.pk}'] [data-total]") == "98"
    screenshot(page, "convention-published")
    assert grave_violations(page) == []  # axe-core: nothing critical or serious
    page.click("[data-tab=convention]")
    screenshot(page, "convention-tab")
    assert grave_violations(page) == []

    # a member of another council is refused
    page.context.clear_cookies()
    log_in(page, live_server, other.user(other.members[0]).username)
    page.wait_for_url(f"{live_server.url}/councils/{other.council.pk}/")
    response = page.goto(
        f"{live_server.url}/councils/{council.council.pk}/convention/periods/{period.pk}/"
    )
    assert response is not None and response.status == 404
    assert page.locator("#results").count() == 0
