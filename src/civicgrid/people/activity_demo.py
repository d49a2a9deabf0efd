"""The demo's activities and public-welfare supermarket, in the centre community: the
three kinds of campaign (绿地认领, 扶老助困, 文明行动) in the last four weeks and the next
one, people signing up and coming (their hours and points credited), and the
supermarket's goods handed out for points. Everything goes through
``people.activities`` with its moment on the clock (``clock.at``) and ``actor=None``.

``people.demo.seed`` calls ``seed(rng, community)``; the demo login ``party_member``
attended two activities, is signed up to one to come and redeemed once.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.errors import Conflict
from civicgrid.org.models import Unit
from civicgrid.people import activities, ledger
from civicgrid.people.activity_models import ActivityKind
from civicgrid.people.models import Person

CAMPAIGNS = (
    (ActivityKind.GREEN_ADOPTION, "认领小区绿地：补种与浇灌", "中心花园", 2, 20),
    (ActivityKind.ELDERLY_HELP, "为独居老人打扫卫生", "各楼栋", 3, 30),
    (ActivityKind.CIVILITY, "文明劝导：规范电动车停放", "小区东门", 2, 20),
    (ActivityKind.GREEN_ADOPTION, "认领绿地：清理杂草", "河边绿地", 2, 20),
    (ActivityKind.ELDERLY_HELP, "陪老人看病取药", "社区卫生服务站", 1.5, 15),
    (ActivityKind.CIVILITY, "垃圾分类桶边督导", "3号垃圾房", 2, 20),
    (ActivityKind.ELDERLY_HELP, "为高龄老人理发", "社区活动室", 2, 25),
)
GOODS = (
    ("洗衣液", 30, 40),
    ("食用油", 50, 20),
    ("大米（5公斤）", 80, 15),
    ("毛巾", 10, 60),
    ("牙膏", 12, 50),
    ("雨伞", 25, 20),
    ("抽纸（一提）", 15, 40),
)


def _at(day: date, when: time) -> datetime:
    return datetime.combine(day, when, timezone.get_default_timezone())


def seed(rng: random.Random, community: Unit) -> dict[str, int]:
    """The centre community's activities of recent weeks, its supermarket and
    redemptions; the counts made."""
    pool = list(
        Person.objects.filter(active=True)
        .filter(Q(home_grid__parent=community) | Q(reports_to=community))
        .select_related("home_grid")
        .order_by("pk")
    )
    if not pool:
        return {}
    me = next((p for p in pool if p.user_id is not None), None)
    today = clock.today()
    counts = {"activities": 0, "sign_ups": 0, "attended": 0, "redemptions": 0}
    # Two a week over the last four weeks, and one to come.
    days = [today - timedelta(days=d) for d in (26, 23, 19, 16, 12, 9, 5, 2)] + [
        today + timedelta(days=3)
    ]
    for n, day in enumerate(days):
        kind, title, place, hours, points = CAMPAIGNS[n % len(CAMPAIGNS)]
        with clock.at(_at(day - timedelta(days=6), time(10))):
            activity = activities.create_activity(
                activities.Plan(
                    kind=kind,
                    title=title,
                    place=place,
                    day=day,
                    starts=time(9),
                    ends=time(11, 30),
                    capacity=rng.choice((10, 15, 20)),
                    hours=hours,
                    points=points,
                    detail="欢迎社区党员、志愿者报名参加。",
                ),
                actor=None,
                unit=community,
            )
        counts["activities"] += 1
        others = [p for p in pool if p != me]
        people = rng.sample(others, min(len(others), rng.randint(5, 9)))
        if me is not None and n in (5, 6, 8):
            people.insert(0, me)
        sign_ups = []
        for k, who in enumerate(people):
            with clock.at(_at(day - timedelta(days=5), time(9)) + timedelta(minutes=17 * k)):
                try:
                    sign_ups.append(activities.sign_up(activity, actor=None, person=who))
                except Conflict:  # full
                    break
        counts["sign_ups"] += len(sign_ups)
        if day >= today:
            continue
        with clock.at(_at(day, time(11, 40))):
            for one in sign_ups:
                came = one.person == me or rng.random() < 0.88
                activities.record_attendance(one, actor=None, attended=came)
                counts["attended"] += came
    _shop(rng, community, pool, me, today, counts)
    return counts


def _shop(
    rng: random.Random,
    community: Unit,
    pool: list[Person],
    me: Person | None,
    today: date,
    counts: dict[str, int],
) -> None:
    """The community's supermarket, opened a month ago, and this month's redemptions."""
    with clock.at(_at(today - timedelta(days=30), time(9))):
        shop = activities.open_shop(
            actor=None, unit=community, name=f"{community.name}公益超市", place="社区服务中心一楼"
        )
        items = [
            activities.add_item(shop, actor=None, name=name, price=price, stock=stock)
            for name, price, stock in GOODS
        ]
    earners = [p for p in pool if ledger.totals(p).points > 0]
    if me is not None and me in earners:
        earners.remove(me)
        earners.insert(0, me)
    for k, who in enumerate(earners[:8]):
        balance = ledger.totals(who).points
        affordable = [i for i in items if i.price <= balance]
        if not affordable:
            continue
        item = affordable[0] if who == me else rng.choice(affordable)
        with clock.at(_at(today - timedelta(days=1), time(15)) + timedelta(minutes=11 * k)):
            activities.redeem(item, actor=None, person=who)
        counts["redemptions"] += 1
