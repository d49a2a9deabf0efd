"""The demo's conventions (issue point 7: "a convention scored over several months"): the
district's template adopted by the merchants' councils (one adapts its points), signed by
most members, and scored month by month through the real actions (``councils.scoring``)
with the clock set to each step: self-assessments, joint inspections with findings (a
few with a photo), the council's rating and publication. Deterministic for a given
``rng``."""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from PIL import Image, ImageDraw

from civicgrid.cases import clock
from civicgrid.cases.photos import check_photos
from civicgrid.councils import scoring
from civicgrid.councils import terms as t
from civicgrid.councils.convention_models import Cadence, Convention, ScoringPeriod
from civicgrid.councils.models import Council, CouncilMember

# Who breaks what, and how often: most merchants keep the convention; a few lose points
# each month, on the indicators inspections find most.
INSPECTED_SHARE = 0.35  # of the members, each month
WEIGHTS = {"2.1": 5, "2.2": 4, "3.1": 4, "1.1": 2, "2.3": 1, "5.1": 3, "4.1": 1, "4.2": 1}
PHOTO_EVERY = 6  # one finding in so many gets a photo


@dataclass
class Seeded:
    conventions: int = 0
    signatures: int = 0
    periods: int = 0
    findings: int = 0
    photos: int = 0


def months_before(today: date, months: int) -> list[str]:
    keys = []
    year, month = today.year, today.month
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        keys.append(f"{year:04d}-{month:02d}")
    return list(reversed(keys))


def _moment(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _photo(rng: random.Random) -> bytes:
    """A small picture standing for an inspection photo (no real photos in the demo)."""
    image = Image.new("RGB", (160, 120), (rng.randint(150, 220), rng.randint(150, 220), 200))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 140), rng.randint(0, 100)
        draw.rectangle((x, y, x + 20, y + 14), fill=(140, 100, 60))  # boxes left at the door
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


class Stamps:
    """The moments a council's changes are stamped with, never before its log's last
    event (the log stays in order of time, as if it had happened so)."""

    def __init__(self, council: Council) -> None:
        last = council.events.order_by("-seq").values_list("at", flat=True).first()
        self.floor = last or _moment(date(2000, 1, 1), 0)

    def at(self, when: datetime) -> AbstractContextManager[None]:
        self.floor = max(when, self.floor + timedelta(minutes=1))
        return clock.at(self.floor)


def seed(
    councils: Iterable[Council],
    rng: random.Random,
    *,
    months: int = 4,
    today: date | None = None,
    signing: float = 0.9,
    photos: bool = True,
) -> Seeded:
    """Adopt, sign and score ``councils``' conventions over the ``months`` before
    ``today`` (monthly periods, each published in the first days of the next month).
    About ``signing`` of the members sign, each before the first month after they
    joined; members without an account sign too (the demo writes as the system).
    Returns what it made."""
    today = today or clock.today()
    made = Seeded()
    template = scoring.district_template()
    keys = months_before(today, months)
    first_day = date.fromisoformat(keys[0] + "-01")
    for n, council in enumerate(councils):
        members = list(council.members.filter(left_on=None).order_by("pk"))
        if not members:
            continue
        stamps = Stamps(council)
        with stamps.at(_moment(first_day - timedelta(days=10), 10)):
            convention = scoring.adopt_convention(council, actor=None, template=template)
            made.conventions += 1
            if n % 2 == 1:  # every other council adapts the template: more for meetings
                convention = _adapt(convention)
        willing = [m for m in members if rng.random() < signing] or members[:1]
        signers: list[CouncilMember] = []
        for key in keys:
            start = date.fromisoformat(key + "-01")
            # who joined before the month signs before it opens (a latecomer, later)
            for k, member in enumerate(m for m in willing if m.joined_on < start):
                if member in signers:
                    continue
                day = max(member.joined_on, start)
                with stamps.at(_moment(day, 9 + k % 8)):
                    scoring.sign_convention(member, actor=None)
                signers.append(member)
                made.signatures += 1
            if signers:
                _score_month(council, key, signers, rng, made, stamps, photos=photos)
    return made


def _adapt(convention: Convention) -> Convention:
    data = t.parse(convention.terms).as_json()
    meeting = data["items"][4]["indicators"][0]  # 参加联席会议
    meeting["points"], meeting["step"] = 10, 5
    data["items"][1]["indicators"].pop(2)  # 门前绿化 dropped: a street without greenery
    data["honours"]["red_top"] = 3
    return scoring.amend_convention(convention, actor=None, terms=data)


def _score_month(
    council: Council,
    key: str,
    signers: Sequence[CouncilMember],
    rng: random.Random,
    made: Seeded,
    stamps: Stamps,
    *,
    photos: bool,
) -> ScoringPeriod:
    """A month: opened on its third day, self-assessed in its first fortnight, inspected
    in its second, rated and published early the next month."""
    start = date.fromisoformat(key + "-01")
    with stamps.at(_moment(start + timedelta(days=2), 9)):
        period = scoring.open_period(council, actor=None, cadence=Cadence.MONTHLY, key=key)
    made.periods += 1
    terms = t.parse(period.terms)
    keys = [i.key for i in terms.indicators]
    weighted = [k for k in WEIGHTS if k in keys]
    minor = [k for k in weighted if not terms.indicator(k).zero_tolerance]
    for k, member in enumerate(signers):
        if rng.random() < 0.05:
            continue  # some never fill it in
        points = {i.key: i.points for i in terms.indicators}
        # each owns up to a point or three; nobody reports a zero-tolerance breach
        for lost in rng.sample(minor, k=rng.choice((1, 1, 2, 2, 3))):
            points[lost] = max(0, points[lost] - terms.indicator(lost).step)
        with stamps.at(_moment(start + timedelta(days=3 + k * 10 // len(signers)), 20)):
            scoring.self_assess(period, member, actor=None, points=points)
    with stamps.at(_moment(start + timedelta(days=13), 18)):
        scoring.close_self_assessment(period, actor=None)
    inspected = [m for m in signers if rng.random() < INSPECTED_SHARE]
    for k, member in enumerate(inspected):
        key_found = rng.choices(weighted, weights=[WEIGHTS[w] for w in weighted])[0]
        indicator = terms.indicator(key_found)
        findings = 1 if rng.random() < 0.8 else 2
        evidence = []
        if photos and made.findings % PHOTO_EVERY == 0:
            evidence = check_photos([io.BytesIO(_photo(rng))], ["巡查照片"])
            made.photos += 1
        finding = scoring.Finding(
            indicator.key,
            findings=findings if indicator.method == t.DEDUCT else None,
            passed=False if indicator.method == t.PASS_FAIL else None,
            points=indicator.points // 2 if indicator.method == t.GRADED else None,
            note=f"联合巡查发现：{indicator.name}不到位",
        )
        with stamps.at(_moment(start + timedelta(days=15 + k * 10 // len(inspected)), 15)):
            scoring.inspect(period, member, finding, actor=None, photos=evidence)
        made.findings += 1
    last = date.fromisoformat(key + "-01") + timedelta(days=32)
    next_month = last.replace(day=1)
    with stamps.at(_moment(next_month, 10)):
        scoring.rate_period(period, actor=None)
    with stamps.at(_moment(next_month + timedelta(days=1), 10)):
        period = scoring.publish_period(period, actor=None)
    return period
