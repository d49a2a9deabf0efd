"""The demo's councils (理事会), written through ``councils.actions`` as the district would:
a 党建引领共同缔造理事会 in every park (72 at scale 1), a street's first merchants' council
(7 founding merchants, 52 who joined since) and merchants' councils in more of that
street's communities, and party-led owners' committees (红色业主委) in older estates.

The names are our own (generated), as every demo text is. Two logins sit in the first
merchants' council: ``council_secretary`` (its secretary) and ``merchant`` (a member).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.councils import actions
from civicgrid.councils.models import Council, CouncilKind, CouncilRole, MemberKind
from civicgrid.inputs import CREDIT_CODE_ALPHABET, credit_code_check
from civicgrid.org.models import COMMUNITY_KINDS, STREET_KINDS, Unit, UnitKind, User

from . import naming

MERCHANTS_RULES = "小事巡查解决，中事商量解决，大事请示解决"
PARK_RULES = "企业吹哨、理事会报到；理事会吹哨、服务马上到"
OWNERS_RULES = "小事不出楼栋，大事不出小区，难事及时上报"
FIRST_COUNCIL_FOUNDERS = 7
FIRST_COUNCIL_JOINED = 52
MORE_MERCHANT_COUNCILS = 3
OWNERS_COMMITTEES = 5

SHOP_WORDS = (
    "面馆",
    "超市",
    "药房",
    "水果店",
    "理发店",
    "五金店",
    "早餐店",
    "茶饮店",
    "花店",
    "便利店",
    "烘焙坊",
    "服装店",
    "眼镜店",
    "书店",
    "干洗店",
    "小吃店",
    "烟酒店",
    "菜馆",
)
COMPANY_WORDS = (
    "科技",
    "智能",
    "新材料",
    "精密机械",
    "电子",
    "物流",
    "生物医药",
    "软件",
    "包装",
    "食品",
    "环保",
    "新能源",
)
LIAISON_DEPARTMENTS = ("区商务局", "区经济和信息化局", "区市场监督管理局", "区住房和城乡建设局")


@dataclass(frozen=True)
class CouncilLogin:
    username: str
    display_name: str
    what: str


COUNCIL_LOGINS = (
    CouncilLogin(
        "council_secretary", "商圈理事会秘书长", "the first merchants' council's secretary"
    ),
    CouncilLogin("merchant", "商户代表", "a member of the first merchants' council"),
)


@dataclass
class CouncilsSummary:
    councils: dict[str, int] = field(default_factory=dict)
    members: int = 0
    first_merchants: int | None = None  # the first merchants' council's id


def credit_code(rng: random.Random) -> str:
    """A well-formed unified social credit code (an enterprise, registered in the
    district's region), with its right check character."""
    body = "91330199" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check(body)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), timezone.get_default_timezone())


@dataclass
class _Seats:
    """A council's seats to fill, filled in the order of their days (the log's order)."""

    council: Council
    rng: random.Random
    planned: list[tuple[date, int, dict[str, object]]] = field(default_factory=list)

    def add(self, **seat: object) -> None:
        self.planned.append((seat["on"], len(self.planned), seat))  # type: ignore[arg-type]

    def fill(self) -> None:
        for _on, _i, seat in sorted(self.planned, key=lambda p: (p[0], p[1])):
            _seat(self.council, self.rng, **seat)  # type: ignore[arg-type]


def _seat(
    council: Council,
    rng: random.Random,
    *,
    name: str,
    kind: str,
    role: str = CouncilRole.MEMBER,
    on: date,
    user: User | None = None,
    department: Unit | None = None,
) -> None:
    with clock.at(_at(on)):
        actions.add_member(
            council,
            actions.Seat(
                name=name,
                kind=kind,
                role=role,
                user=user,
                contact_name=naming.person_name(rng),
                phone=_phone(rng),
                credit_code=credit_code(rng) if kind == MemberKind.ENTERPRISE else "",
                department=department,
                term_start=on if role != CouncilRole.MEMBER else None,
                term_end=on.replace(year=on.year + 3) if role != CouncilRole.MEMBER else None,
            ),
            actor=None,
            on=on,
        )


def _found(unit: Unit, name: str, kind: str, rules: str, on: date) -> Council:
    with clock.at(_at(on)):
        return actions.found_council(
            actor=None,
            unit=unit,
            name=name,
            kind=kind,
            founded_on=on,
            party_organisation=f"{unit.name}党支部",
            rules=rules,
        )


def _logins(password: str) -> list[User]:
    return [
        User.objects.create(
            username=login.username, display_name=login.display_name, password=password
        )
        for login in COUNCIL_LOGINS
        if not User.objects.filter(username=login.username).exists()
    ]


def seed_councils(
    rng: random.Random, *, centre_community: Unit | None = None, password: str = "!"
) -> CouncilsSummary:
    """Every demo council with its members (joined over the past two years); its logins
    get ``password`` (a hash: the staff's one)."""
    summary = CouncilsSummary()
    today = timezone.localdate()
    departments = {
        u.name: u
        for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT, name__in=LIAISON_DEPARTMENTS)
    }
    liaisons = [departments[n] for n in LIAISON_DEPARTMENTS if n in departments]

    def some_day(days_back: int, days_span: int) -> date:
        return today - timedelta(days=days_back - rng.randrange(max(1, days_span)))

    def after(founded: date, days_span: int) -> date:
        return min(today, founded + timedelta(days=rng.randrange(1, days_span)))

    # 1. A council in every park: enterprises, a department's liaison, the party branch.
    parks = list(Unit.objects.filter(kind=UnitKind.PARK, active=True).order_by("code"))
    for park in parks:
        founded = some_day(700, 200)
        council = _found(
            park, f"{park.name}党建引领共同缔造理事会", CouncilKind.PARK, PARK_RULES, founded
        )
        seats = _Seats(council, rng)
        base = park.name[:2]
        seats.add(
            name=f"{park.name}党支部",
            kind=MemberKind.PARTY,
            role=CouncilRole.CHAIR,
            on=founded,
        )
        seats.add(
            name=f"{park.name}运营公司",
            kind=MemberKind.ENTERPRISE,
            role=CouncilRole.SECRETARY,
            on=founded,
        )
        for _ in range(rng.randrange(4, 8)):
            word = rng.choice(COMPANY_WORDS)
            seats.add(
                name=f"{base}{naming.person_name(rng)[0]}{word}有限公司",
                kind=MemberKind.ENTERPRISE,
                on=after(founded, 600),
            )
        if liaisons:
            seats.add(
                name=f"{rng.choice(liaisons).name}联络员",
                kind=MemberKind.DEPARTMENT,
                on=founded,
                department=rng.choice(liaisons),
            )
        seats.add(
            name=f"{naming.person_name(rng)}（智囊团）",
            kind=MemberKind.RESIDENT,
            role=CouncilRole.ADVISER,
            on=after(founded, 300),
        )
        seats.fill()
        summary.councils[CouncilKind.PARK] = summary.councils.get(CouncilKind.PARK, 0) + 1

    # 2. The first merchants' council, in the community at the map's centre (where the
    # demo's community and street logins work), and more in its street.
    community = (
        centre_community or Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code").first()
    )
    if community is not None:
        first = _merchants(
            community,
            rng,
            today,
            founders=FIRST_COUNCIL_FOUNDERS,
            joined=FIRST_COUNCIL_JOINED,
            logins=_logins(password),
        )
        summary.first_merchants = first.pk
        siblings = (
            Unit.objects.filter(parent=community.parent, kind=UnitKind.COMMUNITY)
            .exclude(pk=community.pk)
            .order_by("code")
        )
        for other in siblings[:MORE_MERCHANT_COUNCILS]:
            _merchants(other, rng, today, founders=5, joined=rng.randrange(6, 14), logins=[])
        summary.councils[CouncilKind.MERCHANTS] = 1 + min(MORE_MERCHANT_COUNCILS, siblings.count())

    # 3. Party-led owners' committees in older estates, across the streets.
    streets = list(Unit.objects.filter(kind__in=STREET_KINDS).order_by("code"))
    owners = 0
    for street in rng.sample(streets, min(OWNERS_COMMITTEES, len(streets))):
        estate = (
            Unit.objects.filter(parent=street, kind__in=COMMUNITY_KINDS - {UnitKind.PARK})
            .order_by("?")
            .first()
        )
        if estate is None:
            continue
        founded = some_day(500, 300)
        council = _found(
            estate, f"{estate.name}红色业主委员会", CouncilKind.OWNERS, OWNERS_RULES, founded
        )
        seats = _Seats(council, rng)
        seats.add(
            name=f"{estate.name}党支部书记{naming.person_name(rng)}",
            kind=MemberKind.PARTY,
            role=CouncilRole.CHAIR,
            on=founded,
        )
        seats.add(
            name=naming.person_name(rng),
            kind=MemberKind.RESIDENT,
            role=CouncilRole.SECRETARY,
            on=founded,
        )
        for _ in range(rng.randrange(5, 9)):
            seats.add(
                name=naming.person_name(rng),
                kind=MemberKind.RESIDENT,
                on=after(founded, 400),
            )
        seats.fill()
        owners += 1
    summary.councils[CouncilKind.OWNERS] = owners
    summary.members = sum(c.members.count() for c in Council.objects.all())
    return summary


def _merchants(
    community: Unit,
    rng: random.Random,
    today: date,
    *,
    founders: int,
    joined: int,
    logins: list[User],
) -> Council:
    founded = today - timedelta(days=400 + rng.randrange(60))
    council = _found(
        community, f"{community.name}商圈理事会", CouncilKind.MERCHANTS, MERCHANTS_RULES, founded
    )
    seats = _Seats(council, rng)
    secretary, merchant = [*logins, None, None][:2]
    seats.add(
        name=f"{community.name}党委",
        kind=MemberKind.PARTY,
        role=CouncilRole.CHAIR,
        on=founded,
    )
    seats.add(
        name=f"{community.name}商会秘书处",
        kind=MemberKind.MERCHANT,
        role=CouncilRole.SECRETARY,
        on=founded,
        user=secretary,
    )
    shops = rng.sample(SHOP_WORDS, min(len(SHOP_WORDS), founders + joined)) + list(SHOP_WORDS) * 4
    for index in range(founders + joined):
        on = founded if index < founders else founded + timedelta(days=rng.randrange(20, 380))
        name = f"{naming.person_name(rng)[0]}记{shops[index]}"
        if index == 0 and merchant is not None:
            seats.add(name=name, kind=MemberKind.MERCHANT, on=founded, user=merchant)
            continue
        seats.add(name=name, kind=MemberKind.MERCHANT, on=min(on, today))
    seats.fill()
    return council


def after_history(seed: int) -> dict[str, object]:
    """What the councils did over the demo's months, written after its year of cases (in
    the worker, with the history: it goes through the real actions and makes cases, which
    takes a minute at full scale): past meetings, items and problems."""
    from civicgrid.councils.demo_meetings import seed as seed_meetings

    rng = random.Random(f"councils {seed}")
    met = seed_meetings(Council.objects.order_by("pk"), rng)
    return {"council_meetings": met.meetings, "council_cases": met.cases}
