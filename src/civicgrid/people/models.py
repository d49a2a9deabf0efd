"""People in the grids (党建引领 · 一呼百应): party members with their branch (党组织), the
在职党员 who report to the community where they live, cadres who rotate down to grids,
communities and villages (下沉轮值), volunteers with their skills and availability, and
the grid roles (网格长, 网格员, 楼栋长).

Their weekly duty rosters (``Roster``, ``Duty``), swaps (``DutySwap``) and check-ins
(``CheckIn``) live here too, and the ledger of their service hours and points
(``LedgerEntry``: earned by grid calls and activities, spent at a public-welfare
supermarket; written through ``civicgrid.people.ledger`` inside those actions).
Everything here changes only through ``civicgrid.people.actions``, which writes one
``PeopleEvent`` per change (the app's log); a person's whole phone number is shown
only through ``actions.reveal_phone``, which logs the reason the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.logs import LogEntry
from civicgrid.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User


def reach_ids(user: User | AnonymousUser) -> tuple[int, ...] | None:
    """The unit ids ``user`` reaches (their subtrees and the grids they patrol), resolved
    once; None for the whole tree, () for nobody."""
    from civicgrid.org.scoping import scope_of

    if not user.is_authenticated or not user.is_active:
        return ()
    reach = scope_of(user).reach
    if reach.everywhere:
        return None
    return tuple(sorted(set(reach.unit_ids) | set(reach.grid_ids)))


class PartyBranch(models.Model):
    """A party organisation (党组织: a branch or a general branch) of a unit."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="party_branches"
    )

    class Meta:
        verbose_name = _("party branch")
        verbose_name_plural = _("party branches")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: User | AnonymousUser) -> PersonQuerySet:
        """The people ``user`` may see: those whose home grid, community they report to
        or employer lies in their scope, those on duty in a unit of their scope, and
        themselves. A volunteer of one grid sees that grid's people only; a community
        its grids'; the district everyone."""
        ids = reach_ids(user)
        if ids is None:
            return self.all()
        mine = Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
        if not ids:
            return self.filter(mine)
        on_duty = Duty.objects.filter(unit_id__in=ids).values("person_id")
        return self.filter(
            Q(home_grid_id__in=ids)
            | Q(reports_to_id__in=ids)
            | Q(employer_id__in=ids)
            | Q(pk__in=on_duty)
            | mine
        )


class Availability(models.TextChoices):
    WEEKDAYS = "weekdays", _("weekdays")
    EVENINGS = "evenings", _("weekday evenings")
    WEEKENDS = "weekends", _("weekends")
    ANY = "any", _("any time")


class Person(models.Model):
    """A person who serves in the grids: a party member, a cadre, a volunteer (or
    several at once). Residents who only ask for help are not here."""

    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Where they live; for a cadre from outside the district it may be unknown.
    home_grid = models.ForeignKey(
        Unit,
        verbose_name=_("home grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents_serving",
    )
    # Their account, for the phone pages (my duties, check in).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    party_member = models.BooleanField(_("party member"), default=False)
    branch = models.ForeignKey(
        PartyBranch,
        verbose_name=_("party branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    # 在职党员: a party member employed elsewhere who reports to the community where
    # they live (到社区报到).
    in_service = models.BooleanField(_("serving party member (在职党员)"), default=False)
    reports_to = models.ForeignKey(
        Unit,
        verbose_name=_("community reported to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reporting_party_members",
    )
    cadre = models.BooleanField(_("cadre"), default=False)
    employer = models.ForeignKey(
        Unit,
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cadres",
    )
    volunteer = models.BooleanField(_("volunteer"), default=False)
    skills = models.CharField(_("skills"), max_length=200, blank=True)  # "、"-separated
    availability = models.CharField(
        _("availability"), max_length=16, choices=Availability.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person in the grids")
        verbose_name_plural = _("people in the grids")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["home_grid", "name"], name="people_by_home_grid"),
            models.Index(fields=["reports_to"], name="people_by_community"),
            models.Index(fields=["employer"], name="people_by_employer"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kinds(self) -> list[str]:
        """What the person is, in words (党员, 在职党员, 干部, 志愿者)."""
        found = []
        if self.party_member:
            found.append(
                str(_("serving party member")) if self.in_service else str(_("party member"))
            )
        if self.cadre:
            found.append(str(_("cadre")))
        if self.volunteer:
            found.append(str(_("volunteer")))
        return found


class PostRole(models.TextChoices):
    GRID_LEADER = "grid_leader", _("grid leader")  # 网格长
    GRID_MEMBER = "grid_member", _("grid member")  # 网格员
    BUILDING_LEADER = "building_leader", _("building leader")  # 楼栋长


class GridPost(models.Model):
    """A person's role in a grid (网格长, 网格员, 楼栋长 of a building)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="posts"
    )
    grid = models.ForeignKey(
        Unit, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="posts"
    )
    role = models.CharField(_("role"), max_length=16, choices=PostRole.choices)
    building = models.CharField(_("building"), max_length=40, blank=True)  # a 楼栋长's
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("grid post")
        verbose_name_plural = _("grid posts")
        ordering = ["grid", "role", "building"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "grid", "role", "building"], name="one_post_of_a_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()}"


class RosterState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class RosterQuerySet(models.QuerySet["Roster"]):
    def visible_to(self, user: User | AnonymousUser) -> RosterQuerySet:
        """The rosters of units in ``user``'s scope (a grid's volunteers see their
        grid's)."""
        ids = reach_ids(user)
        if ids is None:
            return self.all()
        return self.filter(unit_id__in=ids)


class Roster(models.Model):
    """A week's duty rota (下沉轮值) of a grid, community or village, from Monday."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="rosters"
    )
    week = models.DateField(_("week starting"))  # a Monday
    state = models.CharField(
        _("state"), max_length=16, choices=RosterState.choices, default=RosterState.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        verbose_name = _("duty roster")
        verbose_name_plural = _("duty rosters")
        ordering = ["-week", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "week"], name="one_roster_a_week")]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.week:%Y-%m-%d}"

    @property
    def published(self) -> bool:
        return self.state == RosterState.PUBLISHED


class DutyState(models.TextChoices):
    PLANNED = "planned", _("planned")
    CHECKED_IN = "checked_in", pgettext_lazy("duty", "checked in")
    DONE = "done", _("done")
    ABSENT = "absent", _("absent")


class Duty(models.Model):
    """One person's turn on duty: a day, hours, and the unit served."""

    roster = models.ForeignKey(
        Roster, verbose_name=_("duty roster"), on_delete=models.CASCADE, related_name="duties"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="duties"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit served"), on_delete=models.PROTECT, related_name="duties"
    )
    day = models.DateField(_("day"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    state = models.CharField(
        _("state"), max_length=16, choices=DutyState.choices, default=DutyState.PLANNED
    )
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["day", "starts", "pk"]
        indexes = [
            models.Index(fields=["person", "day"], name="duties_of_person"),
            models.Index(fields=["unit", "day"], name="duties_of_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.day:%Y-%m-%d} {self.starts:%H:%M}"


class SwapState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class DutySwap(models.Model):
    """A request that another person take a duty (换班), decided by the roster's unit."""

    duty = models.ForeignKey(
        Duty, verbose_name=_("duty"), on_delete=models.CASCADE, related_name="swaps"
    )
    asked_by = models.ForeignKey(
        Person, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    taker = models.ForeignKey(
        Person, verbose_name=_("taken by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=SwapState.choices, default=SwapState.REQUESTED
    )
    asked_at = models.DateTimeField(_("asked at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty swap")
        verbose_name_plural = _("duty swaps")
        ordering = ["-asked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["duty"], condition=Q(state="requested"), name="one_open_swap_a_duty"
            )
        ]

    def __str__(self) -> str:
        return f"{self.duty} → {self.taker}"


class CheckIn(models.Model):
    """Where and when a person checked in for a duty (from their phone)."""

    duty = models.OneToOneField(
        Duty, verbose_name=_("duty"), on_delete=models.CASCADE, related_name="check_in"
    )
    at = models.DateTimeField(_("at"))
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    grid = models.ForeignKey(
        Unit,
        verbose_name=_("grid located"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Whether the point lies in the unit served (a check-in elsewhere is kept, flagged).
    in_place = models.BooleanField(_("in the unit served"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.duty} @ {self.at:%H:%M}"


class LedgerSource(models.TextChoices):
    """What a ledger entry is for."""

    GRID_CALL = "grid_call", _("grid call")
    ACTIVITY = "activity", _("activity")
    REDEMPTION = "redemption", _("redemption")
    ADJUSTMENT = "adjustment", _("adjustment")


class LedgerEntry(models.Model):
    """One line of a person's service ledger (志愿服务时长与积分): hours served and points
    earned (positive) or spent (negative). Written only by ``people.ledger``, inside
    the action that earns or spends (which writes the event); never changed after.

    ``source_key`` names what the line is for ("grid_call:12", "redemption:5"): one line
    per person and source, so nothing is credited twice."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="ledger"
    )
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("for"), max_length=16, choices=LedgerSource.choices)
    source_key = models.CharField(_("source"), max_length=40)
    hours = models.DecimalField(_("service hours"), max_digits=6, decimal_places=1, default=0)
    points = models.IntegerField(_("points"), default=0)
    # The community (or grid) where it was earned or spent: the monthly recognition list.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "source_key"], name="one_entry_per_source")
        ]
        indexes = [models.Index(fields=["unit", "at"], name="ledger_of_unit")]

    def __str__(self) -> str:
        return f"{self.person} {self.points:+d} · {self.hours}h"


class PeopleAction(models.TextChoices):
    """What happened: the name of each ``PeopleEvent``. Grid calls, activities and
    project monitors add their own."""

    ADD_PERSON = "add_person", _("person registered")
    CHANGE_PERSON = "change_person", _("person changed")
    ASSIGN_POST = "assign_post", _("grid post assigned")
    REVEAL_PHONE = "reveal_phone", _("phone number shown")
    MAKE_ROSTER = "make_roster", _("roster made")
    PLAN_DUTY = "plan_duty", _("duty planned")
    PUBLISH_ROSTER = "publish_roster", _("roster published")
    CHECK_IN = "check_in", pgettext_lazy("duty", "checked in")
    FINISH_DUTY = "finish_duty", _("duty done")
    REPORT_ABSENCE = "report_absence", _("absence reported")
    ASK_SWAP = "ask_swap", _("swap asked")
    DECIDE_SWAP = "decide_swap", _("swap decided")
    # Activities and the public-welfare supermarket (people.activities).
    CREATE_ACTIVITY = "create_activity", _("activity created")
    CANCEL_ACTIVITY = "cancel_activity", _("activity cancelled")
    SIGN_UP = "sign_up", _("signed up for an activity")
    CANCEL_SIGN_UP = "cancel_sign_up", _("sign-up cancelled")
    RECORD_ATTENDANCE = "record_attendance", _("attendance recorded")
    OPEN_SHOP = "open_shop", _("supermarket opened")
    ADD_ITEM = "add_item", _("item added")
    RESTOCK_ITEM = "restock_item", _("item restocked")
    REDEEM = "redeem", _("points redeemed")
    BROADCAST_CALL = "broadcast_call", _("grid call broadcast")
    CLAIM_CALL = "claim_call", _("grid call claimed")
    WITHDRAW_CLAIM = "withdraw_claim", _("claim withdrawn")
    REPORT_CLAIM = "report_claim", _("grid call reported done")
    CLOSE_CALL = "close_call", _("grid call closed")
    CANCEL_CALL = "cancel_call", _("grid call cancelled")


class PeopleEvent(LogEntry):
    """The app's log: one row per change (and per phone number shown), written by the
    action that made it, with what it is about."""

    # A name from PeopleAction (no ``choices``: later domains add names without a
    # migration); ``label`` reads it.
    action = models.CharField(_("action"), max_length=32)
    # The unit whose staff answer for the change (a roster's unit, a person's grid).
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    roster = models.ForeignKey(
        Roster,
        verbose_name=_("duty roster"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    duty = models.ForeignKey(
        Duty,
        verbose_name=_("duty"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("people event")
        verbose_name_plural = _("people events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["unit", "at"], name="people_events_of_unit")]

    @property
    def label(self) -> str:
        try:
            return str(PeopleAction(self.action).label)
        except ValueError:
            return self.action


# Activities and the public-welfare supermarket have their own module; imported here so
# Django finds their models.
from civicgrid.people.activity_models import (  # noqa: E402, F401
    Activity,
    Item,
    Redemption,
    Shop,
    SignUp,
)

# Grid calls (一呼百应) have their own module; imported here so Django finds their models.
from civicgrid.people.call_models import CallClaim, GridCall  # noqa: E402, F401
