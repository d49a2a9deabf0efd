"""Evaluation's own rows: the working calendar as a table, so that working hours can be
summed in SQL over a month of cases (``evaluation.hours``); and the units' appeals
against a case's inclusion in their figures (申诉), with their log.

The indicators themselves are not stored: they are computed from the cases' columns
(``evaluation.indicators``), so they can always be rebuilt and drilled down to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.org.models import Unit

if TYPE_CHECKING:
    from civicgrid.org.models import User
    from civicgrid.org.scoping import Scope


class WorkingDay(models.Model):
    """One date of the district's working calendar, with the working time before it.

    The working time between two instants is the difference of their positions on this
    calendar: ``before`` of the instant's date, plus the part of that date's working
    periods already past (on a working day). Derived data: rebuilt from the calendar
    (``cases.worktime``, the district's overrides and ``WORKING_HOURS``) whenever those
    change (``hours.ensure_table``)."""

    date = models.DateField(_("date"), primary_key=True)
    working = models.BooleanField(_("working day"))
    before = models.BigIntegerField(
        _("working seconds before"),
        help_text=_("Working seconds from the table's first date to the start of this one."),
    )

    class Meta:
        verbose_name = _("working day")
        verbose_name_plural = _("working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.working else 'off'} {self.before}"


class WorkingDayTable(models.Model):
    """What the ``WorkingDay`` rows were built from (one row): the calendar's signature
    and the dates covered. A different signature, or a date outside, rebuilds them."""

    signature = models.CharField(max_length=64)
    first = models.DateField()
    last = models.DateField()
    built_at = models.DateTimeField()
    # The signature the cases' stored working seconds (``Case.acknowledge_seconds``,
    # ``resolve_seconds``) were last rebuilt with (``civicgrid working-seconds``): the
    # figures sum those columns only while it is the current calendar's.
    seconds_signature = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("working-day table")
        verbose_name_plural = _("working-day tables")

    def __str__(self) -> str:
        return f"{self.first}…{self.last} ({self.signature[:8]})"


# --- appeals (申诉) ------------------------------------------------------------------------


class Ground(models.TextChoices):
    """Why a unit says a case should not count in its figures."""

    NOT_OURS = "not_ours", _("not our responsibility")
    UNREASONABLE = "unreasonable", _("the resident's demand is unreasonable")
    DUPLICATE = "duplicate", _("a duplicate of another case")


class AppealState(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("appeal", "submitted")
    UPHELD = "upheld", pgettext_lazy("appeal", "upheld")
    REJECTED = "rejected", pgettext_lazy("appeal", "rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("appeal", "withdrawn")


class AppealAction(models.TextChoices):
    SUBMIT = "submit", pgettext_lazy("appeal", "Appeal")
    UPHOLD = "uphold", pgettext_lazy("appeal", "Uphold")
    REJECT = "reject", pgettext_lazy("appeal", "Reject")
    WITHDRAW = "withdraw", pgettext_lazy("appeal", "Withdraw")


class AppealQuerySet(models.QuerySet["Appeal"]):
    def visible_to(self, user: User | Scope) -> AppealQuerySet:
        """A unit's people see the appeals of the units in their scope; the district (a
        scope over the whole tree) sees every appeal. An appeal is seen through its
        appealing unit, never through the case's present owner."""
        from civicgrid.cases.lookups import ids_q
        from civicgrid.org.scoping import scope_of

        reach = scope_of(user).reach
        if reach.everywhere:
            return self
        if not reach.unit_ids:
            return self.none()
        return self.filter(ids_q(reach.unit_ids, "unit_id"))


class Appeal(models.Model):
    """申诉: a unit asks the district to leave one of its cases out of its figures.

    Its ``state`` is derived from its events (``AppealEvent``), written only by
    ``evaluation.actions``; an upheld appeal marks its case
    (``Case.excluded_by_appeal``) in the same transaction."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="appeals",
        db_index=False,  # the (case, …) constraint's index and the lists serve it
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("appealing unit"),
        on_delete=models.PROTECT,
        related_name="appeals",
        db_index=False,  # (unit, submitted_at, id) below
    )
    ground = models.CharField(_("ground"), max_length=16, choices=Ground.choices)
    reason = models.TextField(_("reason"))
    # Storage names of the case's photos (``cases.Photo``) given as evidence.
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=AppealState.choices, default=AppealState.SUBMITTED
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # The lists: the district's queue (pending, oldest first), everything newest
            # first, a unit's own newest first; and a case's appeals on its page.
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(state="submitted"),
                name="appeals_pending",
            ),
            models.Index(fields=["submitted_at", "id"], name="appeals_newest"),
            models.Index(fields=["unit", "submitted_at", "id"], name="appeals_of_unit"),
            models.Index(fields=["case", "submitted_at"], name="appeals_of_case"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state="submitted"),
                name="one_open_appeal_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.ground} ({self.state})"


class AppealEvent(models.Model):
    """One transition of one appeal: append-only, like ``cases.CaseEvent``."""

    appeal = models.ForeignKey(
        Appeal,
        verbose_name=_("appeal"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    seq = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=12, choices=AppealAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField(_("time"))
    from_state = models.CharField(
        _("from state"), max_length=12, choices=AppealState.choices, blank=True
    )
    to_state = models.CharField(_("to state"), max_length=12, choices=AppealState.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["appeal", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "seq"], name="one_appeal_event_per_seq")
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}#{self.seq} {self.action}"


# --- monthly rankings (月度榜单) ------------------------------------------------------------

WEIGHT_HELP = _("Points of the composite score (0–100); the three weights add up to 100.")


class RankingPolicy(models.Model):
    """The district's rules for the monthly rankings, one row (none: the defaults below).
    Changed only through ``evaluation.publishing.change_policy`` (the API, the admin),
    which logs every change as a ``RankingEvent``; a published month keeps the policy it
    was computed with in its snapshot."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    weight_response = models.PositiveSmallIntegerField(
        _("weight of the response rate"),
        default=20,
        validators=[MaxValueValidator(100)],
        help_text=WEIGHT_HELP,
    )
    weight_solved = models.PositiveSmallIntegerField(
        _("weight of the solved rate"),
        default=40,
        validators=[MaxValueValidator(100)],
        help_text=WEIGHT_HELP,
    )
    weight_satisfaction = models.PositiveSmallIntegerField(
        _("weight of the satisfaction rate"),
        default=40,
        validators=[MaxValueValidator(100)],
        help_text=WEIGHT_HELP,
    )
    min_volume = models.PositiveIntegerField(
        _("minimum volume"),
        default=10,
        validators=[MaxValueValidator(100000)],
        help_text=_("A unit with fewer cases that count in the month is listed apart, unranked."),
    )
    red_size = models.PositiveSmallIntegerField(
        _("red list size"),
        default=3,
        validators=[MaxValueValidator(20)],
        help_text=_("How many units at the top of each list are on the red list (红榜)."),
    )
    black_size = models.PositiveSmallIntegerField(
        _("black list size"),
        default=3,
        validators=[MaxValueValidator(20)],
        help_text=_("How many units at the bottom of each list are on the black list (黑榜)."),
    )
    improved_size = models.PositiveSmallIntegerField(
        _("most improved size"),
        default=3,
        validators=[MaxValueValidator(20)],
        help_text=_("How many units with the largest rise in score since the month before."),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("ranking policy")
        verbose_name_plural = _("ranking policy")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="one_ranking_policy"),
            models.CheckConstraint(
                condition=Q(weight_response__lte=100, weight_solved__lte=100)
                & Q(weight_satisfaction__lte=100),
                name="ranking_weights_in_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("ranking policy"))

    @classmethod
    def current(cls) -> RankingPolicy:
        """The district's policy: its row, or the defaults when it has none (not saved)."""
        return cls.objects.filter(pk=1).first() or cls()


class RankingSnapshot(models.Model):
    """A published month (发布): every row of every list, with its figures and their
    inputs, and the policy used, frozen. Never changed: a correction is a new revision
    with its reason (``publishing.correct_month``); earlier revisions stay readable."""

    month = models.CharField(_("month"), max_length=7)  # "2025-03"
    revision = models.PositiveSmallIntegerField(_("revision"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reason = models.TextField(_("reason"), blank=True)
    early = models.BooleanField(_("published before the appeals closed"), default=False)
    # The moment the figures were computed at: whether a deadline had passed.
    computed_at = models.DateTimeField(_("computed at"))
    policy = models.JSONField(_("policy used"))
    lists = models.JSONField(_("lists"))

    class Meta:
        verbose_name = _("published ranking")
        verbose_name_plural = _("published rankings")
        ordering = ["-month", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["month", "revision"], name="one_ranking_revision")
        ]

    def __str__(self) -> str:
        return f"{self.month} r{self.revision}"


class RankingAction(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    CORRECT = "correct", _("Correct")
    POLICY = "policy", _("Change the policy")


class RankingEvent(models.Model):
    """One change to the rankings: a month published or corrected, the policy changed.
    Append-only, written by ``evaluation.publishing`` with the change itself."""

    action = models.CharField(_("action"), max_length=12, choices=RankingAction.choices)
    month = models.CharField(_("month"), max_length=7, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField(_("time"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ranking event")
        verbose_name_plural = _("ranking events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["month", "at"], name="ranking_events_of_month")]

    def __str__(self) -> str:
        return f"{self.action} {self.month} r{self.revision}"


class MonthlyTopic(models.Model):
    """每月一题: the month's key problem, chosen by the district's command side from the
    hot-issue board, its cases tracked on the monthly bulletin. Append-only: choosing
    again writes a new row (the latest is the month's topic), so each row is also the
    record of who chose what, when and why. Written by ``evaluation.topics`` alone."""

    month = models.CharField(_("month"), max_length=7)  # "2025-03"
    title = models.CharField(_("title"), max_length=200)
    label = models.CharField(_("hot issue"), max_length=200, blank=True)
    # The hot issue's cases when chosen (tracking codes): what the bulletin follows.
    codes = models.JSONField(_("cases"), default=list)
    reason = models.TextField(_("reason"), blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chosen by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    chosen_at = models.DateTimeField(_("chosen at"))

    class Meta:
        verbose_name = _("key problem of the month")
        verbose_name_plural = _("key problems of the month")
        ordering = ["-month", "-chosen_at", "-id"]
        indexes = [models.Index(fields=["month", "chosen_at"], name="topic_of_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.title}"
