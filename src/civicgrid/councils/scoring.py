"""Every change to a council's convention (公约) and its scoring: adopting and amending
it, members signing it, and a scoring period's life (open → self-assessment → joint
inspection → rated → published). One function per change, with an explicit ``actor``;
each goes through ``councils.actions.record`` (the council locked, the right checked
from ``permissions.RULES`` before anything else, exactly one ``CouncilEvent``).

The arithmetic (points from findings, totals, the red and black lists, the council's
average) is ``councils.terms``'s, pure; this module gathers and writes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.photos import MAX_PHOTOS, CheckedPhoto, discard_on_failure, stage_files
from civicgrid.cases.rules import need_text
from civicgrid.councils import terms as t
from civicgrid.councils.actions import Done, record
from civicgrid.councils.convention_models import (
    INSPECTION_PHOTOS,
    Cadence,
    Convention,
    ConventionTemplate,
    InspectionPhoto,
    PeriodState,
    Score,
    ScoringPeriod,
    Signature,
)
from civicgrid.councils.models import Council, CouncilAction, CouncilMember
from civicgrid.councils.permissions import Standing
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.org.models import User

NOTE_LENGTH = 300

# --- the district's templates ---------------------------------------------------------------

DISTRICT_TEMPLATE_NAME = "商户自治公约（区模板）"


def district_template() -> ConventionTemplate:
    """The district's model convention (5 items, 11 indicators), made on first use.
    A district-level row with no council: no council's log records it."""
    template, _made = ConventionTemplate.objects.get_or_create(
        name=DISTRICT_TEMPLATE_NAME, defaults={"terms": t.parse(t.DISTRICT_TEMPLATE).as_json()}
    )
    return template


def save_template(name: str, terms: t.Terms) -> ConventionTemplate:
    """A district template (from the command line: the district's administrator), new
    or replacing the terms of the one of that name; councils that adopted it keep
    theirs."""
    name = inputs.text(need_text(name, _("A template needs a name.")), "name", max_length=100)
    template, _made = ConventionTemplate.objects.update_or_create(
        name=name, defaults={"terms": terms.as_json(), "active": True}
    )
    return template


# --- the convention ---------------------------------------------------------------------------


def adopt_convention(
    council: Council,
    *,
    actor: User | None,
    template: ConventionTemplate | None = None,
    terms: Mapping[str, Any] | None = None,
    name: str = "",
) -> Convention:
    """采用公约: the council takes a template's terms (or terms of its own, imported) as
    its convention, version 1; it adapts them later with ``amend_convention``."""
    if (template is None) == (terms is None):
        raise Invalid(_("Adopt a template or import terms."))
    parsed = t.parse(template.terms if template is not None else terms)  # type: ignore[arg-type]
    name = inputs.text((name or "").strip(), "name", max_length=100)

    def change(locked: Council, _s: Standing) -> Done[Convention]:
        if not locked.active:
            raise Conflict(_("This council has been dissolved."))
        if Convention.objects.filter(council=locked).exists():
            raise Conflict(_("This council has adopted its convention already; amend it instead."))
        convention = Convention.objects.create(
            council=locked,
            template=template,
            name=name or (template.name if template else "") or f"{locked.name}自治公约",
            terms=parsed.as_json(),
            version=1,
            adopted_at=clock.now(),
        )
        data = {"template": template.pk if template else None, "points": parsed.total}
        return Done(convention, note=convention.name, data=data)

    return record(council, CouncilAction.ADOPT_CONVENTION, actor, change)


def amend_convention(
    convention: Convention,
    *,
    actor: User | None,
    terms: Mapping[str, Any],
    name: str = "",
    expected_version: int | None = None,
) -> Convention:
    """修订公约: new terms (items, indicators, points, rewards and penalties) as the next
    version; members sign it anew. Periods already open keep the terms they opened with."""
    parsed = t.parse(terms)
    name = inputs.text((name or "").strip(), "name", max_length=100)

    def change(locked: Council, _s: Standing) -> Done[Convention]:
        fresh = Convention.objects.filter(pk=convention.pk, council=locked).first()
        if fresh is None:
            raise NotFound(_("This council has no such convention."))
        if expected_version is not None and fresh.version != expected_version:
            raise Conflict(
                _("The convention was amended meanwhile (now version %(v)s); reload it.")
                % {"v": fresh.version}
            )
        before = fresh.version
        fresh.terms = parsed.as_json()
        fresh.name = name or fresh.name
        fresh.version += 1
        fresh.amended_at = clock.now()
        fresh.save(update_fields=["terms", "name", "version", "amended_at"])
        data = {"before": before, "after": fresh.version, "points": parsed.total}
        return Done(fresh, note=fresh.name, data=data)

    return record(convention.council, CouncilAction.AMEND_CONVENTION, actor, change)


def sign_convention(member: CouncilMember, *, actor: User | None) -> Signature:
    """签署公约: a member signs the convention's current version (on their phone)."""

    def change(locked: Council, _s: Standing) -> Done[Signature]:
        convention = Convention.objects.filter(council=locked).first()
        if convention is None:
            raise Conflict(_("This council has no convention to sign yet."))
        fresh = CouncilMember.objects.get(pk=member.pk)
        if fresh.left_on is not None:
            raise Conflict(_("This member has left the council."))
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    convention=convention,
                    member=fresh,
                    version=convention.version,
                    signed_at=clock.now(),
                )
        except IntegrityError:
            raise Conflict(_("You have signed this version of the convention already.")) from None
        return Done(signature, fresh, data={"version": convention.version})

    return record(member.council, CouncilAction.SIGN_CONVENTION, actor, change, about=member)


# --- scoring periods ----------------------------------------------------------------------------

QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")


def period_bounds(cadence: str, key: str) -> tuple[date, date]:
    """The first and last day of a monthly (``2026-03``) or quarterly (``2026-Q1``)
    period."""
    if cadence == Cadence.MONTHLY:
        year, month = inputs.month(key, "period")
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if cadence == Cadence.QUARTERLY:
        found = QUARTER.fullmatch(key) if isinstance(key, str) else None
        if found is None or not inputs.MONTH_YEARS[0] <= int(found[1]) <= inputs.MONTH_YEARS[1]:
            raise Invalid(_("A quarter is written as 2026-Q1."), field="period")
        year, quarter = int(found[1]), int(found[2])
        last = quarter * 3
        return date(year, last - 2, 1), date(year, last, calendar.monthrange(year, last)[1])
    raise Invalid(_("Choose monthly or quarterly."), field="cadence")


def signed_members(convention: Convention) -> list[CouncilMember]:
    """Active members who signed the convention's current version."""
    return list(
        CouncilMember.objects.filter(
            council_id=convention.council_id,
            left_on=None,
            signatures__convention=convention,
            signatures__version=convention.version,
        ).order_by("name", "pk")
    )


def open_period(council: Council, *, actor: User | None, cadence: str, key: str) -> ScoringPeriod:
    """开启评分期: a month's or a quarter's scoring of the convention, for the members
    who have signed its current version; their self-assessment starts."""
    starts, ends = period_bounds(cadence, key)

    def change(locked: Council, _s: Standing) -> Done[ScoringPeriod]:
        convention = Convention.objects.filter(council=locked).first()
        if convention is None:
            raise Conflict(_("The council has no convention to score against yet."))
        if ScoringPeriod.objects.filter(convention=convention, key=key).exists():
            raise Conflict(_("The period %(key)s is open already.") % {"key": key})
        members = signed_members(convention)
        if not members:
            raise Conflict(_("No member has signed the convention's current version yet."))
        terms = t.parse(convention.terms)
        period = ScoringPeriod.objects.create(
            council=locked,
            convention=convention,
            cadence=cadence,
            key=key,
            starts_on=starts,
            ends_on=ends,
            state=PeriodState.SELF_ASSESSMENT,
            terms=convention.terms,
            convention_version=convention.version,
            opened_at=clock.now(),
        )
        Score.objects.bulk_create(
            Score(period=period, member=m, indicator=i.key)
            for m in members
            for i in terms.indicators
        )
        data = {"period": period.pk, "key": key, "members": len(members)}
        return Done(period, note=key, data=data)

    return record(council, CouncilAction.OPEN_PERIOD, actor, change)


def _fresh_period(locked: Council, period: ScoringPeriod) -> ScoringPeriod:
    fresh = ScoringPeriod.objects.filter(pk=period.pk, council=locked).first()
    if fresh is None:
        raise NotFound(_("No such scoring period in this council."))
    return fresh


def _scores_of(period: ScoringPeriod, member: CouncilMember) -> dict[str, Score]:
    scores = {s.indicator: s for s in Score.objects.filter(period=period, member=member)}
    if not scores:
        raise Conflict(
            _("%(name)s is not scored in this period (they had not signed the convention).")
            % {"name": member.name}
        )
    return scores


def _note(value: str, field: str) -> str:
    return inputs.text((value or "").strip(), field, max_length=NOTE_LENGTH)


def self_assess(
    period: ScoringPeriod,
    member: CouncilMember,
    *,
    actor: User | None,
    points: Mapping[str, int],
    note: str = "",
) -> list[Score]:
    """自评: the member gives themself points on each indicator (0 to its points)."""
    note = _note(note, "note")

    def change(locked: Council, _s: Standing) -> Done[list[Score]]:
        fresh = _fresh_period(locked, period)
        if fresh.state != PeriodState.SELF_ASSESSMENT:
            raise Conflict(_("The self-assessment of this period is closed."))
        terms = t.parse(fresh.terms)
        scores = _scores_of(fresh, member)
        given = {}
        for indicator in terms.indicators:
            if indicator.key not in points:
                raise Invalid(
                    _("Give yourself points on every indicator (%(name)s is missing).")
                    % {"name": indicator.name}
                )
            given[indicator.key] = t.points_for(indicator, points=points[indicator.key])
        for key, value in given.items():
            scores[key].self_points = value
            scores[key].self_note = note
        Score.objects.bulk_update(scores.values(), ["self_points", "self_note"])
        total = sum(given.values())
        data = {"period": fresh.pk, "key": fresh.key, "total": total}
        return Done(list(scores.values()), member, note, data)

    return record(period.council, CouncilAction.SELF_ASSESS, actor, change, about=member)


@dataclass(frozen=True)
class Finding:
    """What a joint inspection found on one indicator of one member: the number of
    findings (deduct), whether it passed (pass_fail) or the points (graded)."""

    indicator: str
    findings: int | None = None
    passed: bool | None = None
    points: int | None = None
    note: str = ""


def inspect(
    period: ScoringPeriod,
    member: CouncilMember,
    finding: Finding,
    *,
    actor: User | None,
    photos: Sequence[CheckedPhoto] = (),
) -> Score:
    """联合巡查: the inspection's finding on a member's indicator, with photos (checked
    by content at the surface; stored when the change commits). A later finding on the
    same indicator replaces the earlier one; the photos add up."""
    note = _note(finding.note, "note")
    if len(photos) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})

    def change(locked: Council, standing: Standing) -> Done[Score]:
        fresh = _fresh_period(locked, period)
        if fresh.state not in (PeriodState.SELF_ASSESSMENT, PeriodState.INSPECTION):
            raise Conflict(_("This period has been rated: no more inspection findings."))
        indicator = t.parse(fresh.terms).indicator(finding.indicator)
        score = _scores_of(fresh, member).get(indicator.key)
        if score is None:  # a key of the terms always has its row
            raise NotFound(_("No indicator %(key)s in this convention.") % {"key": indicator.key})
        got = t.points_for(
            indicator, findings=finding.findings, passed=finding.passed, points=finding.points
        )
        score.inspected_points = got
        score.findings = finding.findings if indicator.method == t.DEDUCT else None
        score.inspection_note = note
        score.inspected_by = actor if actor is not None and actor.is_authenticated else None
        score.save(
            update_fields=["inspected_points", "findings", "inspection_note", "inspected_by"]
        )
        staged = stage_files(photos, folder=INSPECTION_PHOTOS)
        InspectionPhoto.objects.bulk_create(
            InspectionPhoto(
                score=score, name=name, added_by=score.inspected_by, width=p.width, height=p.height
            )
            for name, p in staged
        )
        data = {
            "period": fresh.pk,
            "key": fresh.key,
            "indicator": indicator.key,
            "points": got,
            "findings": score.findings,
            "photos": [name for name, _p in staged],
        }
        return Done(score, member, note, data)

    with discard_on_failure():
        return record(period.council, CouncilAction.INSPECT, actor, change, about=member)


def close_self_assessment(period: ScoringPeriod, *, actor: User | None) -> ScoringPeriod:
    """结束自评: the self-assessment closes; the joint inspection goes on."""

    def change(locked: Council, _s: Standing) -> Done[ScoringPeriod]:
        fresh = _fresh_period(locked, period)
        if fresh.state != PeriodState.SELF_ASSESSMENT:
            raise Conflict(_("The self-assessment of this period is closed already."))
        fresh.state = PeriodState.INSPECTION
        fresh.save(update_fields=["state"])
        assessed = (
            Score.objects.filter(period=fresh, self_points__isnull=False)
            .values("member")
            .distinct()
            .count()
        )
        return Done(fresh, note=fresh.key, data={"period": fresh.pk, "assessed": assessed})

    return record(period.council, CouncilAction.CLOSE_SELF_ASSESSMENT, actor, change)


def final_points(score: Score, indicator: t.Indicator) -> int:
    """The rating's default for a score: the inspection's finding, else the member's
    own assessment, else full points (nothing was found)."""
    if score.inspected_points is not None:
        return score.inspected_points
    if score.self_points is not None:
        return score.self_points
    return indicator.points


def results(period: ScoringPeriod, scores: Sequence[Score]) -> dict[str, Any]:
    """A rated period's results from its final scores: each member's points and total,
    the red and black lists, the council's average out of 100 (``terms``'s rules)."""
    terms = t.parse(period.terms)
    by_member: dict[int, dict[str, int]] = {}
    names: dict[int, str] = {}
    for score in scores:
        by_member.setdefault(score.member_id, {})[score.indicator] = score.final_points  # type: ignore[assignment]
        names[score.member_id] = score.member.name
    totals = []
    for member, final in by_member.items():
        total, breaches = t.total_of(terms, final)
        totals.append(t.MemberTotal(member, names[member], total, breaches))
    lists = t.red_and_black(terms.honours, totals)
    return {
        "max": terms.total,
        "members": [
            {
                "member": m.member,
                "name": m.name,
                "total": m.total,
                "breaches": list(m.breaches),
                "points": by_member[m.member],
            }
            for m in lists.ranked
        ],
        "red": [m.member for m in lists.red],
        "black": [m.member for m in lists.black],
        "average": t.council_average(terms, totals),
    }


def rate_period(
    period: ScoringPeriod,
    *,
    actor: User | None,
    overrides: Mapping[tuple[int, str], int] | None = None,
    note: str = "",
) -> ScoringPeriod:
    """理事会评定: the council fixes each score (the inspection's finding, else the
    self-assessment, else full points; or its own word, ``overrides`` by (member,
    indicator)), and with them the totals and the red and black lists."""
    note = _note(note, "note")
    overrides = dict(overrides or {})

    def change(locked: Council, _s: Standing) -> Done[ScoringPeriod]:
        fresh = _fresh_period(locked, period)
        if fresh.state != PeriodState.INSPECTION:
            if fresh.state == PeriodState.SELF_ASSESSMENT:
                raise Conflict(_("Close the self-assessment before rating."))
            raise Conflict(_("This period has been rated already."))
        terms = t.parse(fresh.terms)
        scores = list(Score.objects.filter(period=fresh).select_related("member"))
        keys = {(s.member_id, s.indicator) for s in scores}
        for where in overrides:
            if where not in keys:
                raise Invalid(_("A rating names a member or indicator not in this period."))
        changed = 0
        for score in scores:
            indicator = terms.indicator(score.indicator)
            given = overrides.get((score.member_id, score.indicator))
            if given is not None:
                score.final_points = t.points_for(indicator, points=given)
                score.final_note = note
                changed += 1
            else:
                score.final_points = final_points(score, indicator)
        Score.objects.bulk_update(scores, ["final_points", "final_note"], batch_size=500)
        fresh.results = results(fresh, scores)
        fresh.average = fresh.results["average"]
        fresh.state = PeriodState.RATED
        fresh.rated_at = clock.now()
        fresh.save(update_fields=["results", "average", "state", "rated_at"])
        data = {
            "period": fresh.pk,
            "key": fresh.key,
            "average": fresh.average,
            "overrides": changed,
            "red": fresh.results["red"],
            "black": fresh.results["black"],
        }
        return Done(fresh, note=note, data=data)

    return record(period.council, CouncilAction.RATE_PERIOD, actor, change)


def publish_period(period: ScoringPeriod, *, actor: User | None) -> ScoringPeriod:
    """公布: the rated scores, the red and black lists go to the council's members (and
    the council's average to the district's ranking)."""

    def change(locked: Council, _s: Standing) -> Done[ScoringPeriod]:
        fresh = _fresh_period(locked, period)
        if fresh.state != PeriodState.RATED:
            if fresh.state == PeriodState.PUBLISHED:
                raise Conflict(_("This period has been published already."))
            raise Conflict(_("Rate the period before publishing it."))
        fresh.state = PeriodState.PUBLISHED
        fresh.published_at = clock.now()
        fresh.save(update_fields=["state", "published_at"])
        data = {"period": fresh.pk, "key": fresh.key, "average": fresh.average}
        return Done(fresh, note=fresh.key, data=data)

    return record(period.council, CouncilAction.PUBLISH_PERIOD, actor, change)
