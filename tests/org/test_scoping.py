from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.errors import Invalid
from civicgrid.org import actions
from civicgrid.org.models import Role, Unit, UnitKind, User
from civicgrid.org.scoping import scope_of
from tests.factories import TreeFixture, UserFactory, make_member


def codes(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("code", flat=True))


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_community_worker_sees_only_their_community(tree: TreeFixture) -> None:
    mine, other = tree.communities[0], tree.communities[1]
    worker = make_member(mine, Role.HANDLER)
    visible = codes(Unit.objects.visible_to(worker))
    assert visible == {mine.code} | {g.code for g in tree.grids if g.parent_id == mine.pk}
    assert other.code not in visible
    assert tree.district.code not in visible and tree.department.code not in visible


def test_street_dispatcher_sees_the_street_subtree_but_not_the_other_street(
    tree: TreeFixture,
) -> None:
    street = tree.streets[0]
    dispatcher = make_member(street, Role.DISPATCHER)
    visible = codes(Unit.objects.visible_to(dispatcher))
    assert street.code in visible
    assert all(c.startswith(street.code) for c in visible)
    assert not visible & codes(Unit.objects.subtree(tree.streets[1]))


def test_department_sees_only_itself(tree: TreeFixture) -> None:
    handler = make_member(tree.department, Role.HANDLER)
    assert codes(Unit.objects.visible_to(handler)) == {tree.department.code}


def test_district_member_and_superuser_see_everything(tree: TreeFixture) -> None:
    leader = make_member(tree.district, Role.LEADER)
    admin = UserFactory(is_superuser=True, is_staff=True)
    everything = codes(Unit.objects.all())
    assert codes(Unit.objects.visible_to(leader)) == everything
    assert codes(Unit.objects.visible_to(admin)) == everything


def test_two_memberships_add_up_and_inactive_ones_do_not_count(tree: TreeFixture) -> None:
    a, b = tree.communities[0], tree.communities[2]
    user = make_member(a, Role.HANDLER)
    actions.grant_membership(user=user, unit=b, role=Role.HANDLER)
    assert {a.code, b.code} <= codes(Unit.objects.visible_to(user))
    user.memberships.filter(unit=b).update(active=False)
    fresh = User.objects.get(pk=user.pk)  # the scope is cached per user object (per request)
    assert b.code not in codes(Unit.objects.visible_to(fresh))


def test_nobody_sees_anything_without_membership(tree: TreeFixture) -> None:
    stranger = UserFactory()
    assert not Unit.objects.visible_to(stranger).exists()
    assert scope_of(stranger).roles == frozenset()


def test_a_code_prefix_is_not_a_subtree(db) -> None:  # type: ignore[no-untyped-def]
    """Street "S1" must not see street "S10": paths end with '/'."""
    district = actions.create_unit(code="X", name="区", kind=UnitKind.DISTRICT, parent=None)
    s1 = actions.create_unit(code="S1", name="一", kind=UnitKind.STREET, parent=district)
    actions.create_unit(code="S10", name="十", kind=UnitKind.STREET, parent=district)
    user = make_member(s1, Role.DISPATCHER)
    assert codes(Unit.objects.visible_to(user)) == {"S1"}


def test_api_refuses_another_communitys_unit_with_404(tree: TreeFixture) -> None:
    worker = make_member(tree.communities[0], Role.HANDLER)
    client = logged_in(worker)
    own = client.get(f"/api/org/units/{tree.communities[0].code}")
    assert own.status_code == 200 and own.json()["name"] == tree.communities[0].name
    other = client.get(f"/api/org/units/{tree.communities[1].code}")
    assert other.status_code == 404
    assert tree.communities[1].code in other.json()["detail"]
    children = client.get("/api/org/units", {"parent": tree.streets[0].code})
    assert children.status_code == 404  # the street is above their scope
    tops = client.get("/api/org/units").json()
    assert [u["code"] for u in tops] == [tree.communities[0].code]


def test_grid_map_api_refuses_a_street_outside_scope(tree: TreeFixture) -> None:
    dispatcher = make_member(tree.streets[0], Role.DISPATCHER)
    client = logged_in(dispatcher)
    mine = client.get(f"/api/geo/units/{tree.streets[0].code}/grids")
    assert mine.status_code == 200
    assert len(mine.json()["features"]) == 8
    assert client.get(f"/api/geo/units/{tree.streets[1].code}/grids").status_code == 404


def test_api_needs_login(tree: TreeFixture) -> None:
    response = Client().get("/api/org/units")
    assert response.status_code == 401


def test_tree_partial_is_scoped(tree: TreeFixture) -> None:
    worker = make_member(tree.communities[0], Role.HANDLER)
    client = logged_in(worker)
    top = client.get("/units/children/").content.decode()
    assert tree.communities[0].name in top and tree.communities[1].name not in top
    assert client.get("/units/children/", {"parent": tree.communities[1].code}).status_code == 404


@pytest.mark.parametrize(
    ("kind", "parent_attr", "message"),
    [
        (UnitKind.GRID, "district", "不能隶属于"),
        (UnitKind.STREET, None, "必须有上级单位"),
        (UnitKind.COMMUNITY, "department", "不能隶属于"),
    ],
)
def test_misplaced_units_are_refused(tree: TreeFixture, kind, parent_attr, message) -> None:  # type: ignore[no-untyped-def]
    parent = getattr(tree, parent_attr) if parent_attr else None
    with pytest.raises(Invalid, match=message):
        actions.create_unit(code="NEW", name="新单位", kind=kind, parent=parent)
    assert not Unit.objects.filter(code="NEW").exists()


def test_moving_a_community_repaths_its_grids(tree: TreeFixture) -> None:
    community = tree.communities[0]
    actions.update_unit(community, name=community.name, parent=tree.streets[1], active=True)
    grid = Unit.objects.filter(parent=community).first()
    assert grid.path == f"D/D02/{community.code}/{grid.code}/"
    with pytest.raises(Invalid):
        actions.update_unit(tree.streets[0], name="x", parent=tree.streets[0], active=True)


def test_units_where_a_role_is_held_are_read_once_and_not_at_all_for_the_whole_tree(
    tree: TreeFixture, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases.permissions import CONTACT_ROLES, known_residents

    street = tree.streets[0]
    dispatcher = make_member(street, Role.DISPATCHER)
    scope = scope_of(dispatcher)
    mine = set(Unit.objects.subtree(street).values_list("pk", flat=True))
    with django_assert_num_queries(2):  # the roots, then the street's units
        assert set(scope.units_where(CONTACT_ROLES) or ()) == mine
        assert set(scope.units_where(CONTACT_ROLES) or ()) == mine
        known_residents(scope)
    assert scope.units_where({Role.VOLUNTEER}) == (), "a role not held: no unit"
    # A contact role over the root: the whole tree, no list of ids in the query.
    district = scope_of(make_member(tree.district, Role.DISPATCHER))
    assert district.units_where(CONTACT_ROLES) is None
    assert str(known_residents(district)) == "(AND: )"
    # A handler holds no contact role: they may not know residents anywhere.
    assert known_residents(make_member(street, Role.HANDLER)) is None
