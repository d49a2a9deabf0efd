from __future__ import annotations

from django.test import Client
from django.urls import reverse

from civicgrid.org.models import Role
from tests.factories import PASSWORD, TreeFixture, UserFactory, make_member


def nav_labels(client: Client) -> list[str]:
    response = client.get("/")
    assert response.status_code == 200
    return [str(link.label) for link in response.context["nav_items"]]


def test_pages_need_login(db) -> None:  # type: ignore[no-untyped-def]
    for url in ["/", "/units/", "/units/children/"]:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_navigation_depends_on_role(tree: TreeFixture) -> None:
    handler = Client()
    handler.force_login(make_member(tree.communities[0], Role.HANDLER))
    admin = Client()
    admin.force_login(UserFactory(is_superuser=True, is_staff=True))
    handler_nav, admin_nav = nav_labels(handler), nav_labels(admin)
    assert "单位与网格" in handler_nav
    assert "管理后台" not in handler_nav and "API" not in handler_nav
    assert "管理后台" in admin_nav and "API" in admin_nav


def test_login_attempts_are_limited(tree: TreeFixture, settings) -> None:  # type: ignore[no-untyped-def]
    user = make_member(tree.communities[0], Role.HANDLER)
    client = Client()
    url = reverse("web:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": user.username, "password": "nope"})
        assert response.status_code == 200
    last_try = client.post(url, {"username": user.username, "password": "nope"})
    assert last_try.status_code == 429
    # Locked now: even the right password does not let them in.
    locked = client.post(url, {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_units_page_map_defaults_to_a_visible_street(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(make_member(tree.streets[1], Role.DISPATCHER))
    page = client.get("/units/")
    assert page.context["selected_code"] == tree.streets[1].code
    assert [u.code for u in page.context["map_units"]] == [tree.streets[1].code]
    html = page.content.decode()
    assert f"/api/geo/units/{tree.streets[1].code}/grids" in html


def test_no_page_loads_from_a_cdn(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    for url in ["/", "/units/", "/login/", "/api/docs"]:
        html = client.get(url).content.decode()
        assert "https://" not in html and "http://" not in html.replace("http://www.w3.org", ""), (
            url
        )


def test_admin_lists_units_users_and_boundaries(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    for url in [
        "/admin/org/unit/",
        "/admin/org/user/",
        "/admin/org/membership/",
        "/admin/geo/boundary/",
        f"/admin/org/unit/{tree.grids[0].pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_refuses_a_misplaced_unit(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/org/unit/add/",
        {
            "code": "BADG",
            "name": "错位网格",
            "kind": "grid",
            "parent": tree.district.pk,
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "不能隶属于" in response.content.decode()
    ok = client.post(
        "/admin/org/unit/add/",
        {
            "code": "NEWC",
            "name": "新社区",
            "kind": "community",
            "parent": tree.streets[0].pk,
            "active": "on",
        },
    )
    assert ok.status_code == 302
    from civicgrid.org.models import Unit

    assert Unit.objects.get(code="NEWC").path == "D/D01/NEWC/"


def test_hot_pages_do_a_fixed_number_of_queries(
    tree: TreeFixture, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(make_member(tree.district, Role.LEADER))
    client.get("/")  # warm the session
    with django_assert_max_num_queries(6):
        assert client.get("/units/children/", {"parent": tree.streets[0].code}).status_code == 200
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/geo/units/{tree.district.code}/grids")
        assert len(response.json()["features"]) == 16
    with django_assert_max_num_queries(6):
        assert client.get("/api/org/units", {"parent": tree.district.code}).status_code == 200


def test_district_users_can_map_the_whole_district(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(make_member(tree.district, Role.LEADER))
    page = client.get("/units/")
    codes = [u.code for u in page.context["map_units"]]
    assert codes == [tree.district.code] + [s.code for s in tree.streets]
    assert page.context["selected_code"] == tree.streets[0].code  # a street is lighter to draw
    whole = client.get("/units/", {"map": tree.district.code}).content.decode()
    assert f"/api/geo/units/{tree.district.code}/grids" in whole


def test_staff_can_set_the_tier_when_triaging_in_the_console(tree: TreeFixture) -> None:
    from civicgrid.cases.models import Case
    from tests.factories import make_categories, submit

    categories = make_categories()
    case = submit(tree)
    client = Client()
    client.force_login(make_member(tree.district, Role.DISPATCHER))
    page = client.get(f"/cases/{case.tracking_code}/").content.decode()
    assert 'name="tier"' in page
    client.post(
        f"/cases/{case.tracking_code}/triage/",
        {
            "version": case.version,
            "category": categories["minor"].code,
            "urgency": "normal",
            "tier": "major",
        },
    )
    assert Case.objects.get(pk=case.pk).tier == "major"
    other = Client()
    other.force_login(make_member(tree.communities[1], Role.HANDLER))
    assert other.get(f"/cases/{case.tracking_code}/").status_code == 404


def test_console_refuses_unknown_actions_and_other_departments_tasks(tree: TreeFixture) -> None:
    from civicgrid.cases import actions
    from civicgrid.cases.models import Case, WhistleTask
    from civicgrid.org import actions as org_actions
    from tests.factories import make_categories, submit

    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    case = actions.triage_case(
        submit(tree), actor=dispatcher, category=categories["moderate"], urgency="normal"
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.whistle_case(case, actor=dispatcher, lead=tree.department)
    task = WhistleTask.objects.get(case=case)
    other_dept = org_actions.create_unit(
        code="DX02", name="区水利局", kind="department", parent=tree.district
    )
    outsider = Client()
    outsider.force_login(make_member(other_dept, Role.HANDLER))
    refused = outsider.post(f"/tasks/{task.pk}/check_in/", {})
    assert refused.status_code == 404
    assert WhistleTask.objects.get(pk=task.pk).state == "notified"

    client = Client()
    client.force_login(dispatcher)
    version = Case.objects.get(pk=case.pk).version
    assert client.post(f"/cases/{case.tracking_code}/explode/", {}).status_code == 404
    assert client.post(f"/tasks/{task.pk}/explode/", {}).status_code == 404
    assert Case.objects.get(pk=case.pk).version == version


def test_only_the_longest_matching_link_is_current(tree: TreeFixture) -> None:
    from civicgrid.web.navigation import navigation_for

    dispatcher = make_member(tree.district, Role.DISPATCHER)
    current = [str(k.label) for k in navigation_for(dispatcher, "/triage/hot/") if k.current]
    assert current == ["热点问题"], current
    current = [str(k.label) for k in navigation_for(dispatcher, "/triage/") if k.current]
    assert current == ["分类"], current


def test_a_refusal_is_a_translated_page_in_the_console(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(make_member(tree.communities[0], Role.HANDLER))
    response = client.get("/triage/models/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "不允许" in page and "<nav" in page, page[:400]
