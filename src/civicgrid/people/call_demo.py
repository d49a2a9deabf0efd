"""The demo's grid calls (一呼百应): the last eight weeks of calls in the centre grid and
a few others, claimed, reported done with a photo and credited, through
``people.calls`` with each step's time on the clock (``clock.at``); one call of the
centre grid still open this morning for the demo's party member to claim, one made
from a case of the centre grid where there is one.

The grid's people who answer calls get accounts first, as an import would make them
(``grid-<person id>``, with the demo's one password hash, like every demo login).
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from PIL import Image

from civicgrid.cases import clock
from civicgrid.cases.models import FINAL_STATES, Case
from civicgrid.cases.photos import CheckedPhoto, check_photo
from civicgrid.errors import Refusal
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User
from civicgrid.people import calls
from civicgrid.people.call_models import CallClaim, ClaimState, GridCall
from civicgrid.people.models import Person

MATTERS = (
    ("帮独居老人买菜送药", Decimal("1.5"), 10),
    ("清理楼道堆放的纸箱杂物", Decimal("2"), 15),
    ("雨后清扫小区主干道积水", Decimal("2"), 15),
    ("协助社区疫苗接种点引导", Decimal("3"), 20),
    ("文明养犬劝导", Decimal("1"), 8),
    ("垃圾分类桶边督导", Decimal("1.5"), 10),
    ("帮助搬运捐赠物资", Decimal("2.5"), 18),
    ("电动车楼道充电安全巡查", Decimal("1"), 8),
)
REPORTS = ("已完成，现场已清理干净", "已送到老人家中", "已劝导并张贴提示", "任务完成")
WEEKS = 8
OTHER_GRIDS = 6


def _photo(rng: random.Random) -> CheckedPhoto:
    image = Image.new("RGB", (96, 72), (rng.randrange(256), rng.randrange(256), 120))
    out = io.BytesIO()
    image.save(out, "JPEG")
    out.seek(0)
    return check_photo(out, name="demo.jpg")


def _with_accounts(grid: Unit, password: str) -> list[Person]:
    """The grid's active volunteers and party members, each with an account."""
    people = list(
        Person.objects.filter(Q(volunteer=True) | Q(party_member=True), home_grid=grid, active=True)
    )
    missing = [p for p in people if p.user_id is None]
    users = User.objects.bulk_create(
        [User(username=f"grid-{p.pk}", display_name=p.name, password=password) for p in missing]
    )
    for person, user in zip(missing, users, strict=True):
        person.user = user
    Person.objects.bulk_update(missing, ["user"])
    return people


def _caller(grid: Unit) -> User | None:
    """A grid worker of the grid or a handler of its community, else the system."""
    found = (
        Membership.objects.filter(
            Q(unit=grid, role=Role.GRID_WORKER) | Q(unit_id=grid.parent_id, role=Role.HANDLER),
            active=True,
        )
        .select_related("user")
        .first()
    )
    return found.user if found is not None else None


def seed_calls(rng: random.Random, *, centre_grid: Unit | None, password: str = "!") -> int:
    """Past calls of the centre grid and ``OTHER_GRIDS`` others; returns how many."""
    grids = list(Unit.objects.filter(kind=UnitKind.GRID, active=True).order_by("path"))
    if not grids:
        return 0
    chosen = rng.sample(grids, min(OTHER_GRIDS, len(grids)))
    if centre_grid is not None and centre_grid not in chosen:
        chosen.insert(0, centre_grid)
    now = clock.now()
    made = 0
    for grid in chosen:
        people = _with_accounts(grid, password)
        if len(people) < 1:
            continue
        caller = _caller(grid)
        for _n in range(rng.randint(2, 4)):
            at = now - timedelta(days=rng.randint(3, 7 * WEEKS), hours=rng.randint(0, 8))
            _past_call(rng, grid, people, caller, at)
            made += 1
    if centre_grid is not None:
        made += _centre_now(rng, centre_grid, now)
    return made


def _past_call(
    rng: random.Random,
    grid: Unit,
    people: list[Person],
    caller: User | None,
    at: datetime,
    case: Case | None = None,
) -> GridCall:
    title, hours, points = rng.choice(MATTERS)
    wanted = rng.randint(1, max(1, min(4, len(people))))
    with clock.at(at):
        call = calls.broadcast_call(
            calls.Call(title=title, wanted=wanted, hours=hours, points=points),
            actor=caller,
            grid=grid,
            case=case,
        )
    claimants = rng.sample(people, min(len(people), wanted))
    when = at
    for person in claimants:
        when += timedelta(minutes=rng.randint(2, 40))
        with clock.at(when):
            calls.claim_call(call, actor=None, person=person)
    for claim in CallClaim.objects.filter(call=call).select_related("person", "call"):
        if rng.random() < 0.1:
            with clock.at(when + timedelta(minutes=30)):
                calls.withdraw_claim(claim, actor=None)
            continue
        with clock.at(when + timedelta(hours=float(hours) + rng.random())):
            calls.report_claim(claim, actor=None, report=rng.choice(REPORTS), photos=[_photo(rng)])
    call.refresh_from_db()
    if call.taking_claims and CallClaim.objects.filter(call=call, state=ClaimState.DONE).exists():
        with clock.at(when + timedelta(hours=6)):
            calls.close_call(call, actor=caller)
    return call


def _centre_now(rng: random.Random, grid: Unit, now: datetime) -> int:
    """The centre grid today: a call from one of its cases where there is one, and one
    open call for the demo's party member (who has no claim on it yet)."""
    made = 0
    case = (
        Case.objects.filter(grid=grid)
        .exclude(state__in=FINAL_STATES)
        .order_by("-created_at")
        .first()
    )
    people = list(Person.objects.filter(home_grid=grid, active=True, user__isnull=False))
    if case is not None and people and case.created_at <= now - timedelta(hours=12):
        try:
            _past_call(rng, grid, people, None, case.created_at + timedelta(hours=1), case)
            made += 1
        except Refusal:  # the case's grid has no call to make (closed meanwhile)
            pass
    with clock.at(now - timedelta(hours=1)):
        calls.broadcast_call(
            calls.Call(
                title="帮行动不便的老人把米面搬上楼",
                detail="3幢2单元502，老人独居，米面已送到楼下。",
                wanted=3,
                hours="1",
                points=10,
            ),
            actor=_caller(grid),
            grid=grid,
        )
    return made + 1
