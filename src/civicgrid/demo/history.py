"""A year of cases for the demo district, made through the real transition functions
(with the clock set to each step's moment), so every row and event is what the
product itself would have written.

The mix: categories weighted by how often districts hear of them, most cases
normal (a few urgent, fewer emergencies), some returned and re-dispatched, some
escalated, moderate matters at the street sometimes whistled to departments,
some fixes failing verification, ratings mostly good. Recent cases are still
open, at whatever step their clock has reached.

Each request is written by ``texts.Writer`` in its channel's register and names a
place of the gazetteer near where it lies. A few bursts (``phrases.BURSTS``: a
building site's night work over a month, a water main burst on one road, a grill's
smoke at one estate) are written first, so the hot-issue board has them from the
start: one near the demo logins' community, so its handler sees one too.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from civicgrid.cases import actions, clock
from civicgrid.cases.actions import Submission
from civicgrid.cases.models import Case, Category, Channel, State, Tier, Urgency
from civicgrid.demo import naming
from civicgrid.demo.models import HistoryRun
from civicgrid.demo.phrases import BURSTS, TOPICS, Burst
from civicgrid.demo.texts import Neighbourhood, Writer
from civicgrid.errors import Refusal
from civicgrid.geo.models import Boundary
from civicgrid.org.models import Unit, UnitKind, User

CHANNELS = [(Channel.HOTLINE, 55), (Channel.WEB, 30), (Channel.PATROL, 10), (Channel.API, 5)]
URGENCIES = [(Urgency.NORMAL, 85), (Urgency.URGENT, 13), (Urgency.EMERGENCY, 2)]


@dataclass
class HistorySummary:
    cases: int = 0
    states: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    #: Cases written for each burst.
    bursts: dict[str, int] = field(default_factory=dict)


# Where a request lies around the place its text names (an estate's gate, along a road).
NEAR_PLACE_M = 200.0
ESTATES = ("花园", "小区", "家园", "苑", "新村", "公寓", "雅苑", "名城")
# Below this many cases of history the bursts shrink with it (a test's small history
# must still be mostly ordinary cases).
FULL_BURSTS_FROM = 400


@dataclass(frozen=True)
class Hood:
    """A community's places as requests name them, with their points."""

    community_id: int
    near: Neighbourhood
    points: dict[str, tuple[float, float]]


def neighbourhoods() -> dict[int, Hood]:
    """Each community's (or village's) estates and roads from the gazetteer, by the
    community's id. A community without a road of its own borrows the nearest road."""
    from civicgrid.intake.models import Place

    estates: dict[int, list[str]] = {}
    roads: dict[int, list[str]] = {}
    points: dict[int, dict[str, tuple[float, float]]] = {}
    rows = Place.objects.filter(active=True).order_by("community_id", "name")
    for community_id, name, kind, lon, lat in rows.values_list(
        "community_id", "name", "kind", "lon", "lat"
    ):
        (roads if kind == Place.Kind.ROAD else estates).setdefault(community_id, []).append(name)
        points.setdefault(community_id, {})[name] = (lon, lat)
    all_roads = [(points[c][r], r) for c, names in roads.items() for r in names]
    hoods: dict[int, Hood] = {}
    for community_id, names in estates.items():
        own = dict(points[community_id])
        mine = roads.get(community_id, [])
        if not mine and all_roads:
            lon, lat = next(iter(own.values()))
            point, road = min(all_roads, key=lambda pr: math.dist(pr[0], (lon, lat)))
            own[road] = point
            mine = [road]
        hoods[community_id] = Hood(
            community_id, Neighbourhood(tuple(names), tuple(mine or ["新建路"])), own
        )
    return hoods


def _near(rng: random.Random, point: tuple[float, float], radius_m: float) -> tuple[float, float]:
    """A point within ``radius_m`` of ``point``, uniform over the disc."""
    r = radius_m * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    lon, lat = point
    return (
        lon + r * math.cos(angle) / (111_320.0 * math.cos(math.radians(lat))),
        lat + r * math.sin(angle) / 110_574.0,
    )


def _office_hours(rng: random.Random, when: datetime, until: datetime) -> datetime:
    """``when`` moved to an hour residents call in (office hours and evenings, local)."""
    start = timezone.localtime(when).replace(
        hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 19]), minute=rng.randrange(60)
    )
    return start - timedelta(days=1) if start > until else start


# How well each unit works, so that a month's rankings have a visible spread: each
# street (and everything under it) and each department gets a bias from -0.9 (slow,
# residents unhappy) to +0.9 (fast, residents pleased), the same for a seed; a
# community strays a little from its street. Applied to draws the history makes anyway
# (how long a unit takes to acknowledge, the stars it gets), so it costs no time.
STREET_SPREAD = 0.9
DEPARTMENT_SPREAD = 0.6
COMMUNITY_STRAY = 0.2
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (62, 20, 9, 5, 4)
PLEASED_WEIGHTS = (80, 14, 4, 1, 1)
DISPLEASED_WEIGHTS = (25, 20, 20, 17, 18)
# Below this bias, a resident whose case was reopened is only basically satisfied with
# the rework (3 stars), not satisfied (4).
GRUDGING_BELOW = -0.3


def _spread(units: list[Unit], width: float, rng: random.Random) -> dict[int, float]:
    """Biases from +width to -width, evenly, over ``units`` in an order of the seed's."""
    order = sorted(units, key=lambda u: u.code)
    rng.shuffle(order)
    if len(order) == 1:
        return {order[0].pk: width}
    return {u.pk: width - 2 * width * i / (len(order) - 1) for i, u in enumerate(order)}


def unit_biases(seed: int) -> dict[int, float]:
    """Every unit's bias (see ``STREET_SPREAD``): a street's for the units below it, a
    community's strayed from it; the district's 0."""
    rng = random.Random(f"bias {seed}")
    units = list(Unit.objects.order_by("path"))
    streets = [u for u in units if u.kind in (UnitKind.STREET, UnitKind.TOWN)]
    departments = [u for u in units if u.kind == UnitKind.DEPARTMENT]
    biases = {
        **_spread(streets, STREET_SPREAD, rng),
        **_spread(departments, DEPARTMENT_SPREAD, rng),
    }
    by_pk = {u.pk: u for u in units}
    for unit in units:
        if unit.pk in biases or unit.parent_id is None:
            continue
        above = biases.get(unit.parent_id, 0.0)
        if by_pk[unit.parent_id].kind in (UnitKind.STREET, UnitKind.TOWN):
            above += random.Random(f"stray {seed} {unit.code}").uniform(
                -COMMUNITY_STRAY, COMMUNITY_STRAY
            )
        biases[unit.pk] = max(-1.0, min(1.0, above))
    return biases


def _slowness(bias: float) -> float:
    """How much longer than usual a unit of ``bias`` takes to acknowledge."""
    return 1 - 0.75 * bias if bias >= 0 else 1 + 2 * -bias


def _rating_weights(bias: float) -> list[float]:
    target = PLEASED_WEIGHTS if bias >= 0 else DISPLEASED_WEIGHTS
    return [b + abs(bias) * (t - b) for b, t in zip(RATING_WEIGHTS, target, strict=True)]


def _pick(rng: random.Random, weighted: list[tuple[object, int]]) -> object:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


class _People:
    """Who acts for a unit in the demo: its own handler (or grid worker), else the
    district dispatcher."""

    def __init__(self) -> None:
        self.by_name = {u.username: u for u in User.objects.filter(memberships__isnull=False)}
        self.dispatcher = self.by_name["district_dispatcher"]

    def of(self, unit: Unit) -> User:
        prefix = "g" if unit.kind == UnitKind.GRID else "h"
        return self.by_name.get(f"{prefix}{unit.code}".lower(), self.dispatcher)


class HistoryInterrupted(Exception):
    """The history stopped between two cases because it was asked to (its worker is
    stopping); what was written stays, and its run says how far it came."""


def generate_history(
    count: int,
    *,
    seed: int = 1,
    until: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    pause_every: int = 0,
    run: HistoryRun | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> HistorySummary:
    """``count`` cases of the past year, each written in its own transaction.
    ``pause_every``: after that many cases, stand aside for a moment, so that other
    writers (a resident's request while the demo fills in behind a running server)
    get SQLite's one write lock instead of waiting out its timeout.

    The plan (which cases, when, their texts) depends on the seed and ``until`` alone,
    and each case draws from a generator of its own: so with ``run`` (its ``until``
    taken), the first ``run.done`` planned cases are passed over as written before,
    and ``run.done`` rises in each case's own transaction. ``should_stop`` is asked
    between cases; when it answers yes, ``HistoryInterrupted`` is raised."""
    rng = random.Random(seed)  # the plan's draws; each case has its own generator
    if run is not None:
        until = run.until
    until = until or timezone.now()
    skip = run.done if run is not None else 0
    district = Unit.objects.get(kind=UnitKind.DISTRICT)
    people = _People()
    leaves = list(Category.objects.filter(children__isnull=True, active=True).order_by("pk"))
    by_name = {c.name: c for c in leaves}
    weights = [8 if c.default_tier in (Tier.MICRO, Tier.MINOR) else 3 for c in leaves]
    grids = list(
        Boundary.objects.filter(unit__kind=UnitKind.GRID)
        .order_by("unit_id")
        .values_list("unit_id", "unit__parent_id", "min_lon", "min_lat", "max_lon", "max_lat")
    )
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("pk"))
    biases = unit_biases(seed)
    hoods = neighbourhoods()
    writer = Writer(random.Random(f"history {seed}"), [h.near for h in hoods.values()])
    summary = HistorySummary()
    planned = 0
    done = 0

    def write(category: Category, start: datetime, request: Request) -> None:
        nonlocal planned, done
        index = planned
        planned += 1
        if index < skip:
            return
        if should_stop is not None and should_stop():
            raise HistoryInterrupted(index)
        refused = 0
        with transaction.atomic():
            try:
                with transaction.atomic():
                    _one_case(
                        random.Random(f"{seed} case {index}"),
                        start,
                        until,
                        category,
                        request,
                        district,
                        people,
                        departments,
                        biases,
                    )
            except Refusal:
                refused = 1
            if run is not None:
                HistoryRun.objects.filter(pk=run.pk).update(
                    done=index + 1, refused=F("refused") + refused, updated_at=timezone.now()
                )
        summary.refused += refused
        summary.cases += 1
        done += 1
        if pause_every and done % pause_every == 0:
            time.sleep(0.15)  # longer than a waiting writer's 100 ms between tries
        if progress and done % 1000 == 0:
            progress(f"{done:,} cases")

    share = min(1.0, count / FULL_BURSTS_FROM)
    bursts = _bursts(rng, writer, hoods, until, share, by_name)
    for burst, _start, _request in bursts:
        summary.bursts[burst.key] = summary.bursts.get(burst.key, 0) + 1
    for burst, start, request in bursts:
        write(by_name[burst.category], start, request)
    # Residents call in office hours and evenings, local time, more of them lately. The
    # newest are written first: the console and the boards are about the last weeks,
    # which are there within a minute of a long history's start.
    starts = [
        _office_hours(rng, until - timedelta(days=365 * rng.random() ** 0.8), until)
        for _ in range(count - len(bursts))
    ]
    for start in sorted(starts, reverse=True):
        category = rng.choices(leaves, weights)[0]
        write(category, start, _ordinary(rng, writer, category, grids, hoods))
    rows = Case.objects.values_list("state", flat=True)
    for state in rows:
        summary.states[state] = summary.states.get(state, 0) + 1
    return summary


@dataclass(frozen=True)
class Request:
    """What one resident sent, and from where."""

    channel: str
    title: str
    text: str
    lon: float | None
    lat: float | None


def _estate_of_grid(grid_id: int) -> str:
    """A made-up estate in a grid, the same on every call: a community has more estates
    than the gazetteer's two, and residents name their own."""
    rng = random.Random(grid_id)
    return rng.choice(naming.PLACE_FIRST) + rng.choice(naming.PLACE_SECOND) + rng.choice(ESTATES)


def _ordinary(
    rng: random.Random,
    writer: Writer,
    category: Category,
    grids: list[tuple[int, int, float, float, float, float]],
    hoods: dict[int, Hood],
) -> Request:
    """A request of ``category`` somewhere in the district (seven in a hundred without a
    point), naming its estate or a place of the gazetteer nearby."""
    channel = str(_pick(rng, CHANNELS))
    grid_id, community_id, x0, y0, x1, y1 = rng.choice(grids)
    hood = hoods.get(community_id) or (rng.choice(list(hoods.values())) if hoods else None)
    near = Neighbourhood((_estate_of_grid(grid_id),), ("新建路",))
    if hood is not None:
        near = hood.near if rng.random() < 0.4 else Neighbourhood(near.estates, hood.near.roads)
    if category.name in TOPICS:
        written = writer.request(category.name, channel=channel, near=near)
        title, text, named = written.title, written.text, written.named
    else:  # a category of the district's own: no phrases for it
        title, text, named = category.name, f"反映{category.name}的情况，请尽快处理。", None
    lon = lat = None
    if rng.random() < 0.93:
        # At the place it names, or anywhere in its grid (a road is long, an estate wide).
        if hood is not None and named in hood.points and rng.random() < 0.5:
            lon, lat = _near(rng, hood.points[named], NEAR_PLACE_M)
        else:
            lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
    return Request(channel, title, text, lon, lat)


def _bursts(
    rng: random.Random,
    writer: Writer,
    hoods: dict[int, Hood],
    until: datetime,
    share: float,
    categories: dict[str, Category],
) -> list[tuple[Burst, datetime, Request]]:
    """The bursts' requests: each at one place, from its own residents, crowding
    toward the present. The first is put near the demo logins' community."""
    home = Unit.objects.filter(memberships__user__username="community_handler").first()
    order = sorted(hoods)
    rng.shuffle(order)
    if home is not None and home.pk in hoods:
        order.remove(home.pk)
        order.insert(0, home.pk)
    out = []
    for burst, community_id in zip(BURSTS, order, strict=False):
        if burst.category not in categories:
            continue
        hood = hoods[community_id]
        names = hood.near.roads if burst.place == "road" else hood.near.estates
        anchor = names[0]
        point = hood.points.get(anchor)
        for _ in range(round(burst.count * share)):
            days_ago = burst.days * rng.random() ** burst.rise
            start = _office_hours(rng, until - timedelta(days=days_ago), until)
            channel = str(_pick(rng, CHANNELS))
            written = writer.burst_request(burst, anchor, hood.near, channel=channel)
            lon, lat = _near(rng, point, NEAR_PLACE_M) if point else (None, None)
            out.append((burst, start, Request(channel, written.title, written.text, lon, lat)))
    return out


def _one_case(
    rng: random.Random,
    t: datetime,
    until: datetime,
    category: Category,
    request: Request,
    district: Unit,
    people: _People,
    departments: list[Unit],
    biases: dict[int, float],
) -> None:
    def later(minutes_low: float, minutes_high: float) -> datetime:
        nonlocal t
        t = t + timedelta(minutes=rng.uniform(minutes_low, minutes_high))
        return t

    def step(func: Callable[..., Case], case: Case, **kwargs: object) -> Case | None:
        """One transition at the current moment, unless that moment is still to come."""
        if t > until:
            return None
        with clock.at(t):
            return func(case, **kwargs)

    with clock.at(t):
        case = actions.submit_case(
            Submission(
                channel=request.channel,
                title=request.title,
                text=request.text,
                lon=request.lon,
                lat=request.lat,
                contact_name=rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(["先生", "女士"]),
                contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            ),
            actor=None,
            district=district,
        )
    dispatcher = people.dispatcher
    later(3, 90)
    if rng.random() < 0.01:
        step(actions.reject_case, case, actor=dispatcher, reason="重复或无效诉求")
        return
    urgency = str(_pick(rng, URGENCIES))
    if not (
        case := step(
            actions.triage_case, case, actor=dispatcher, category=category, urgency=urgency
        )
    ):
        return
    later(1, 20)
    if not (case := step(actions.dispatch_case, case, actor=dispatcher)):
        return
    if rng.random() < 0.05 and case.owner_unit.parent_id:  # 退单, then re-dispatched
        later(30, 300)
        handler = people.of(case.owner_unit)
        if not (case := step(actions.return_case, case, actor=handler, reason="不属于本单位辖区")):
            return
        later(10, 120)
        if not (case := step(actions.dispatch_case, case, actor=dispatcher)):
            return
    slowness = _slowness(biases.get(case.owner_unit_id, 0.0))
    later(10, (480 if case.urgency == Urgency.NORMAL else 40) * slowness)
    if rng.random() < 0.06 and case.owner_unit.kind != UnitKind.DISTRICT:
        if not (
            case := step(
                actions.escalate_case,
                case,
                actor=people.of(case.owner_unit),
                reason="需上级协调处理",
            )
        ):
            return
        later(10, 240)
    owner = case.owner_unit
    if not (case := step(actions.acknowledge_case, case, actor=people.of(owner))):
        return
    if owner.kind in (UnitKind.STREET, UnitKind.TOWN) and rng.random() < 0.3:
        lead = next((d for d in category.departments.all() if d.active), None) or rng.choice(
            departments
        )
        later(20, 180)
        if not (case := step(actions.whistle_case, case, actor=dispatcher, lead=lead)):
            return
        task = case.tasks.get(department=lead, state="notified")
        staff = people.of(lead)
        for move, note in (
            (actions.check_in_task, ""),
            (actions.start_task, ""),
            (actions.finish_task, "已到场处置完毕"),
        ):
            later(20, 600)
            if t > until:
                return
            with clock.at(t):
                task = move(task, actor=staff, note=note)
    later(60, 60 * 24 * 4)
    if not (
        case := step(actions.handle_case, case, actor=people.of(owner), note="已到现场核实处置")
    ):
        return
    later(30, 60 * 24 * 2)
    if not (
        case := step(
            actions.resolve_case, case, actor=people.of(owner), reply="问题已处理，感谢您的反映。"
        )
    ):
        return
    verifier = people.of(case.grid) if case.grid else dispatcher
    if verifier == people.of(owner):  # whoever resolved may not verify: someone else does
        verifier = people.by_name["leader"] if verifier == dispatcher else dispatcher
    later(60, 60 * 24)
    if rng.random() < 0.05:
        if not (
            case := step(
                actions.verify_case, case, actor=verifier, passed=False, note="现场复核问题仍存在"
            )
        ):
            return
        later(60, 60 * 24 * 2)
        if not (
            case := step(
                actions.resolve_case, case, actor=people.of(owner), reply="已再次处理到位。"
            )
        ):
            return
        later(60, 60 * 12)
    if not (case := step(actions.verify_case, case, actor=verifier, passed=True)):
        return
    later(60 * 4, 60 * 24 * 3)
    roll = rng.random()
    operator = people.by_name.get("operator", dispatcher)
    if roll < 0.08:  # never reached: called until the district's policy closes it
        while case is not None and case.state == State.FOLLOW_UP:
            case = step(
                actions.follow_up_case, case, actor=operator, reached=False, note="无人接听"
            )
            later(60 * 2, 60 * 24)
        return
    rating = rng.choices(RATINGS, _rating_weights(biases.get(owner.pk, 0.0)))[0]
    solved = rating >= 3 or rng.random() < 0.3
    word = {"rating": rating, "solved": solved, "comment": "" if rating >= 4 else "处理不够及时"}
    if roll < 0.55:  # the operator's call reaches the resident (after a missed one, at times)
        if rng.random() < 0.2:
            case = step(actions.follow_up_case, case, actor=operator, reached=False)
            later(60 * 2, 60 * 24)
        if case is not None:
            case = step(actions.follow_up_case, case, actor=operator, reached=True, **word)
    else:  # the resident rates on the tracking page
        case = step(actions.rate_case, case, actor=None, **word)
    if case is not None and case.state != State.CLOSED:  # reopened: fixed again, closed
        later(60 * 24, 60 * 24 * 4)
        if not (
            case := step(actions.resolve_case, case, actor=people.of(owner), reply="已返工处理。")
        ):
            return
        later(60, 60 * 24)
        if not (case := step(actions.verify_case, case, actor=verifier, passed=True)):
            return
        later(60 * 4, 60 * 24 * 2)
        again = 3 if biases.get(owner.pk, 0.0) < GRUDGING_BELOW else 4
        step(actions.rate_case, case, actor=None, rating=again, solved=True)
