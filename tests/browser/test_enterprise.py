"""The enterprise window on a phone: an enterprise registers, files a complaint about a
matter an office could not get done, the business-environment office works the case
(names the accountable department in its queue; the loop's transitions through the
actions), and the enterprise rates the result on its page. Another enterprise asking
for that complaint is refused. And the office pairs an agency with a park (包联) and
ends the pairing, which then takes no more visits."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions as case_actions
from civicgrid.cases.models import State
from civicgrid.enterprise.models import Complaint
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import grave_violations
from tests.browser.test_console import log_in
from tests.factories import PASSWORD, a_credit_code, make_tree, make_window

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_an_enterprise_complains_and_rates_on_a_phone(browser, live_server, page) -> None:  # type: ignore[no-untyped-def]
    w = make_window(make_tree())
    phone = browser.new_context(locale="zh-CN", **PHONE)
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)

    mobile.goto(f"{live_server.url}/enterprise/register/")
    assert grave_violations(mobile) == []
    form = mobile.locator("#register-form")
    form.locator("input[name=name]").fill("戊新材料有限公司")
    form.locator("input[name=credit_code]").fill(w.enterprises[0][0].credit_code)
    form.locator("input[name=contact_name]").fill("孙经理")
    form.locator("input[name=mobile]").fill("13900000030")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    assert "该统一社会信用代码已注册，请勿重复注册。" in mobile.inner_text(".messages")
    form.locator("input[name=credit_code]").fill(a_credit_code(30))
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    mobile.wait_for_url(f"{live_server.url}/enterprise/")
    assert mobile.locator("nav >> text=我的企业").count() == 1
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"

    assert grave_violations(mobile) == []
    complaint_form = mobile.locator("#complaint-form")
    complaint_form.locator("input[name=matter]").fill("办理排污许可证")
    complaint_form.locator("input[name=failed_office]").fill("区生态环境分局窗口")
    complaint_form.locator("textarea[name=tried]").fill("线上申报两次被退回，窗口说要等系统升级")
    screenshot(mobile, "enterprise-complaint-form")
    complaint_form.locator("button[type=submit]").click()
    mobile.wait_for_selector("#complaint[data-state='submitted']")
    complaint = Complaint.objects.get(enterprise__credit_code=a_credit_code(30))

    # The office names the accountable department in its queue …
    log_in(page, live_server, "yingshang")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/enterprise/queue/")
    assert grave_violations(page) == []
    row = page.locator(f"tr[data-complaint='{complaint.pk}']")
    assert "戊新材料有限公司" in row.inner_text()
    row.locator("select[name=department]").select_option(str(w.tree.department.pk))
    row.locator("button[data-action='name_department']").click()
    page.wait_for_selector(".messages li.success")
    complaint.refresh_from_db()
    assert complaint.accountable == w.tree.department
    # … and works the case through the loop.
    case = case_actions.dispatch_case(complaint.case, actor=w.district_dispatcher)
    case = case_actions.acknowledge_case(case, actor=w.office_staff)
    case = case_actions.resolve_case(case, actor=w.office_staff, reply="已协调分局，许可证已核发")
    case = case_actions.verify_case(case, actor=w.district_dispatcher, passed=True)
    assert case.state == State.FOLLOW_UP

    mobile.reload()
    assert "已协调分局，许可证已核发" in mobile.inner_text("#reply")
    assert "区城市管理局" in mobile.inner_text("#complaint")
    assert grave_violations(mobile) == []
    rate = mobile.locator("#rate")
    rate.locator("input[name=rating][value='5']").check()
    rate.locator("textarea[name=comment]").fill("办得快，谢谢")
    screenshot(mobile, "enterprise-rate")
    rate.locator("button[type=submit]").click()
    mobile.wait_for_selector("#complaint[data-state='closed']")
    assert "5 ★" in mobile.inner_text("#rating")
    complaint.case.refresh_from_db()
    assert complaint.case.rating == 5
    phone.close()

    # Another enterprise asking for that complaint is refused.
    other = browser.new_context(locale="zh-CN", **PHONE)
    theirs = other.new_page()
    log_in(theirs, live_server, "13900000001")
    theirs.wait_for_url(f"{live_server.url}/enterprise/")
    assert "办理排污许可证" not in theirs.inner_text("main")
    answer = theirs.goto(f"{live_server.url}/enterprise/complaints/{complaint.pk}/")
    assert answer is not None and answer.status == 404
    other.close()


def test_the_office_pairs_an_agency_and_ends_the_pairing(page, live_server) -> None:  # type: ignore[no-untyped-def]
    w = make_window(make_tree())
    log_in(page, live_server, w.office_staff.username)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/enterprise/pairings/")
    form = page.locator("#pair-form")
    form.locator("select[name=agency]").select_option(label=w.tree.department.name)
    form.locator("select[name=unit]").select_option(label=w.park.name)
    form.locator("button[type=submit]").click()
    card = page.locator("section[data-pairing]")
    card.wait_for()
    assert w.park.name in card.locator("h2").inner_text()
    card.locator(".end-pairing button").click()
    page.wait_for_selector("section[data-pairing] .pairing-ended")
    assert "结束于" in page.locator("section[data-pairing] h2").inner_text()
    assert not page.locator("section[data-pairing] form").count()  # no visit, no second end
    assert grave_violations(page) == []
