"""The one place tests build users, units and grids."""

from __future__ import annotations

from dataclasses import dataclass, field

import factory
import shapely
from shapely.geometry import box

from civicgrid.councils.models import Council, CouncilKind, CouncilMember, CouncilRole, MemberKind
from civicgrid.geo.actions import set_boundaries
from civicgrid.org import actions
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User

PASSWORD = "test-pass-123"

# A 0.01° cell is about 960 m × 1,110 m at this latitude.
ORIGIN_LON, ORIGIN_LAT = 120.0, 30.0
CELL = 0.01


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()


def make_unit(code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    return actions.create_unit(code=code, name=name, kind=kind, parent=parent)


def make_member(unit: Unit, role: str = Role.HANDLER, **user_fields: object) -> User:
    user = UserFactory(**user_fields)
    actions.grant_membership(user=user, unit=unit, role=role)
    return user


def cell(col: int, row: int) -> shapely.Polygon:
    """The grid square at column ``col``, row ``row`` of the test district."""
    x, y = ORIGIN_LON + col * CELL, ORIGIN_LAT + row * CELL
    return box(x, y, x + CELL, y + CELL)


@dataclass
class TreeFixture:
    district: Unit
    streets: list[Unit] = field(default_factory=list)
    communities: list[Unit] = field(default_factory=list)
    grids: list[Unit] = field(default_factory=list)
    department: Unit | None = None
    grid_cells: dict[str, tuple[int, int]] = field(default_factory=dict)

    def unit(self, code: str) -> Unit:
        return Unit.objects.get(code=code)


def make_tree() -> TreeFixture:
    """District D ▸ streets D01, D02 ▸ communities D01001, D01002, … ▸ 2×2 grids each.

    Community k (0-3) covers columns 2k..2k+1, rows 0..1; its grids are the four cells.
    """
    district = make_unit("D", "测试区", UnitKind.DISTRICT)
    t = TreeFixture(district=district)
    t.department = make_unit("DX01", "区城市管理局", UnitKind.DEPARTMENT, district)
    shapes = []
    for s in range(2):
        street = make_unit(f"D0{s + 1}", f"第{s + 1}街道", UnitKind.STREET, district)
        t.streets.append(street)
        for c in range(2):
            k = s * 2 + c
            community = make_unit(
                f"{street.code}00{c + 1}", f"社区{k + 1}", UnitKind.COMMUNITY, street
            )
            t.communities.append(community)
            for g, (dc, dr) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
                grid = make_unit(
                    f"{community.code}00{g + 1}",
                    f"社区{k + 1}第{g + 1}网格",
                    UnitKind.GRID,
                    community,
                )
                t.grids.append(grid)
                t.grid_cells[grid.code] = (2 * k + dc, dr)
                shapes.append((grid, cell(2 * k + dc, dr)))
    set_boundaries(shapes)
    return t


def memberships_of(user: User) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(user=user).values_list("unit__code", "role"))


# --- cases ------------------------------------------------------------------------------------


def make_categories() -> dict[str, object]:
    """A small category tree with one leaf per tier, and default deadline policies."""
    from datetime import timedelta

    from civicgrid.cases.models import Category, DeadlinePolicy, Tier, Urgency

    top = Category.objects.create(code="T", name="测试大类")
    cats = {
        "micro": Category.objects.create(
            code="T1",
            name="楼道杂物",
            parent=top,
            default_tier=Tier.MICRO,
            grid_may_self_handle=True,
        ),
        "micro_not_grid": Category.objects.create(
            code="T2", name="门禁损坏", parent=top, default_tier=Tier.MICRO
        ),
        "minor": Category.objects.create(
            code="T3", name="邻里噪声", parent=top, default_tier=Tier.MINOR
        ),
        "moderate": Category.objects.create(
            code="T4", name="商铺噪声", parent=top, default_tier=Tier.MODERATE
        ),
        "major": Category.objects.create(
            code="T5", name="危房险房", parent=top, default_tier=Tier.MAJOR
        ),
    }
    h = timedelta(hours=1)
    for urgency, working in [
        (Urgency.NORMAL, True),
        (Urgency.URGENT, True),
        (Urgency.EMERGENCY, False),
    ]:
        DeadlinePolicy.objects.create(
            urgency=urgency,
            acknowledge=2 * h,
            check_in=4 * h,
            resolve=40 * h,
            follow_up=24 * h,
            working_time=working,
        )
    return cats


def submit(tree: TreeFixture, category=None, *, grid_index: int | None = 0, **fields):  # type: ignore[no-untyped-def]
    """A resident's request located in ``tree.grids[grid_index]`` (None: not located)."""
    from civicgrid.cases.actions import Submission, submit_case

    lon = lat = None
    if grid_index is not None:
        col, row = tree.grid_cells[tree.grids[grid_index].code]
        lon, lat = ORIGIN_LON + (col + 0.5) * CELL, ORIGIN_LAT + (row + 0.5) * CELL
    submission = Submission(
        channel=fields.pop("channel", "web"),
        title=fields.pop("title", "楼道里堆满杂物"),
        text=fields.pop("text", "三单元楼道里堆满了纸箱，影响通行和消防安全。"),
        category=category,
        lon=lon,
        lat=lat,
        contact_name=fields.pop("contact_name", "张女士"),
        contact_phone=fields.pop("contact_phone", "13812345678"),
        **fields,
    )
    return submit_case(submission, actor=None, district=tree.district)


def case_as_it_stands(owner: Unit, created_at, **columns):  # type: ignore[no-untyped-def]
    """A case row with the columns a test names, as if its transitions had happened
    (for figures computed from columns; a case's life goes through ``cases.actions``).
    Not saved: ``Case.objects.bulk_create`` a list of them."""
    from civicgrid.cases.models import Case

    return Case(
        channel=columns.pop("channel", "web"),
        title=columns.pop("title", "楼道里堆满杂物"),
        text=columns.pop("text", "三单元楼道里堆满了纸箱。"),
        owner_unit=owner,
        created_at=created_at,
        **columns,
    )


@dataclass
class CouncilFixture:
    """A council on a community: a chair and a secretary (the officers), two members
    with accounts, one without."""

    council: Council
    chair: CouncilMember
    secretary: CouncilMember
    members: list[CouncilMember]

    def user(self, member: CouncilMember) -> User:
        assert member.user is not None
        return member.user


def make_council(
    unit: Unit, *, name: str = "", kind: str = CouncilKind.MERCHANTS
) -> CouncilFixture:
    """A council on ``unit`` with five members (written by the system, as the demo is)."""
    from civicgrid.councils import actions as council_actions

    council = council_actions.found_council(
        actor=None, unit=unit, name=name or f"{unit.name}商圈理事会", kind=kind
    )
    seats = [
        ("理事长商户", MemberKind.MERCHANT, CouncilRole.CHAIR, True),
        ("秘书长", MemberKind.PARTY, CouncilRole.SECRETARY, True),
        ("甲商户", MemberKind.MERCHANT, CouncilRole.MEMBER, True),
        ("乙企业", MemberKind.ENTERPRISE, CouncilRole.MEMBER, True),
        ("丙居民", MemberKind.RESIDENT, CouncilRole.MEMBER, False),
    ]
    made = [
        council_actions.add_member(
            council,
            council_actions.Seat(
                name=seat, kind=kind_, role=role, user=UserFactory() if account else None
            ),
            actor=None,
        )
        for seat, kind_, role, account in seats
    ]
    return CouncilFixture(council, made[0], made[1], made[2:])


# --- the enterprise window ------------------------------------------------------------------


def a_credit_code(n: int) -> str:
    """A valid unified social credit code (its GB 32100 check character right), the
    ``n``-th of a series."""
    from civicgrid.inputs import credit_code_check

    first17 = f"91330100MA{n:07d}"
    return first17 + credit_code_check(first17)


@dataclass
class WindowFixture:
    """The enterprise window on a test tree: a park under the first street, the
    business-environment office (a department) with a dispatcher, two enterprises
    registered in the park, and the district's dispatcher."""

    tree: TreeFixture
    park: Unit
    office: Unit
    office_staff: User
    district_dispatcher: User
    enterprises: list = field(default_factory=list)  # [(Enterprise, User)]


def make_window(tree: TreeFixture) -> WindowFixture:
    from civicgrid.enterprise import actions as window_actions

    make_categories()
    park = make_unit("D01P01", "高新园区", UnitKind.PARK, tree.streets[0])
    office = make_unit("DX09", "区营商环境办", UnitKind.DEPARTMENT, tree.district)
    window_actions.set_up_window(actor=None, office=office)
    fixture = WindowFixture(
        tree=tree,
        park=park,
        office=office,
        office_staff=make_member(office, Role.DISPATCHER, username="yingshang"),
        district_dispatcher=make_member(tree.district, Role.DISPATCHER, username="qu_diaodu"),
    )
    for n, (name, mobile) in enumerate(
        [("甲科技有限公司", "13900000001"), ("乙制造有限公司", "13900000002")]
    ):
        fixture.enterprises.append(
            window_actions.register_enterprise(
                window_actions.Registration(
                    name=name,
                    credit_code=a_credit_code(n + 1),
                    contact_name=f"联系人{n + 1}",
                    mobile=mobile,
                    password=PASSWORD,
                    address="高新园区创业路1号",
                    unit=park,
                )
            )
        )
    return fixture
