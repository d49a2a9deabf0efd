"""A council's work: its meetings (agenda, attendance, minutes, decisions), the follow-up
items its meetings set (each with an owner and a due date, tracked to done, or turned
into a case of the normal loop), and the problems its members raise (handled by the
council itself with a deadline, or whistled to the district as a case).

Written only by ``civicgrid.councils.meetings`` and ``civicgrid.councils.problems``,
through ``councils.actions.record`` (one ``CouncilEvent`` per change). An item or a
problem that became a case shows the case's state, read from the case: the case's
actions never write here, and "done" when the case is closed is derived
(``ActionItem.shown_state``, ``Problem.shown_state``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case
from civicgrid.cases.models import State as CaseState

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User


def _councils_of(user: User | AnonymousUser) -> models.QuerySet:
    from civicgrid.councils.models import Council

    return Council.objects.visible_to(user).values("pk")


# --- meetings ------------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    COUNCIL = "council", _("council meeting")  # 理事会议
    JOINT = "joint", _("joint meeting")  # 联席会议
    PATROL = "patrol", _("joint patrol")  # 联合巡查


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")
    CLOSED = "closed", _("minutes recorded")
    CANCELLED = "cancelled", _("cancelled")


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: User | AnonymousUser) -> MeetingQuerySet:
        """The meetings of the councils ``user`` may see."""
        return self.filter(council__in=_councils_of(user))


class Meeting(models.Model):
    council = models.ForeignKey(
        "councils.Council",
        verbose_name=_("council"),
        on_delete=models.CASCADE,
        related_name="meetings",
    )
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MeetingKind.choices, default=MeetingKind.COUNCIL
    )
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=MeetingState.choices, default=MeetingState.PLANNED
    )
    created_at = models.DateTimeField(_("created at"))

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["council", "-starts_at"], name="meetings_of_council")]

    def __str__(self) -> str:
        return self.title


class Presence(models.TextChoices):
    PRESENT = "present", _("present")
    ABSENT = "absent", _("absent")
    EXCUSED = "excused", _("excused")


class HowRecorded(models.TextChoices):
    ROLL_CALL = "roll_call", _("in person, recorded at the roll call")
    PHONE = "phone", _("confirmed by the member on the phone page")


class Attendance(models.Model):
    """One member's attendance at one meeting: recorded by an officer at the roll call,
    or confirmed (present, or excused beforehand) by the member themself on the phone."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        "councils.CouncilMember",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="attendance",
    )
    presence = models.CharField(_("attendance"), max_length=16, choices=Presence.choices)
    how = models.CharField(_("recorded how"), max_length=16, choices=HowRecorded.choices)
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "member__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.meeting_id}: {self.presence}"


class Decision(models.Model):
    """A decision (决议) the meeting took, in its order."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("decision"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="one_decision_per_number")
        ]

    def __str__(self) -> str:
        return self.text[:40]


# --- follow-up items -------------------------------------------------------------------------


class ItemState(models.TextChoices):
    OPEN = "open", _("open")
    IN_CASE = "in_case", _("in a case")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def visible_to(self, user: User | AnonymousUser) -> ActionItemQuerySet:
        return self.filter(council__in=_councils_of(user))

    def unfinished(self) -> ActionItemQuerySet:
        """Open items, and items in a case not yet closed (what is still to do)."""
        return self.filter(
            Q(state=ItemState.OPEN) | Q(state=ItemState.IN_CASE) & ~Q(case__state__in=CASE_ENDED)
        )


# A case in one of these states is over: its item or problem shows done (closed) or the
# case's end (rejected, merged) instead of "in a case".
CASE_ENDED = (CaseState.CLOSED, CaseState.REJECTED, CaseState.MERGED)


class ActionItem(models.Model):
    """A follow-up item (待办事项) a meeting set: what, whose (a member or a working
    group), by when; tracked to done, dropped, or turned into a case (``case``)."""

    council = models.ForeignKey(
        "councils.Council",
        verbose_name=_("council"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    text = models.TextField(_("item"))
    owner_member = models.ForeignKey(
        "councils.CouncilMember",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    owner_group = models.ForeignKey(
        "councils.WorkingGroup",
        verbose_name=_("owning working group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=16, choices=ItemState.choices, default=ItemState.OPEN
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_items",
    )
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up item")
        verbose_name_plural = _("follow-up items")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["council", "state", "due_on"], name="items_of_council")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_member__isnull=True) | Q(owner_group__isnull=True),
                name="item_has_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=True) | Q(state="in_case"),
                name="item_case_only_when_in_case",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def owner_name(self) -> str:
        if self.owner_member_id is not None:
            return self.owner_member.name
        if self.owner_group_id is not None:
            return self.owner_group.name
        return ""

    @property
    def shown_state(self) -> str:
        """What the council sees: the item's state, or for an item in a case the case's
        (closed → done); derived, never written by the case."""
        return _shown(self.state, ItemState.IN_CASE, ItemState.DONE, self.case)

    @property
    def shown_label(self) -> str:
        return _shown_label(self.shown_state, ItemState.IN_CASE, ItemState, self.case)

    def overdue(self, today: date) -> bool:
        return self.state == ItemState.OPEN and self.due_on < today


def _shown(state: str, in_case: str, done: str, case: Case | None) -> str:
    if state != in_case or case is None:
        return state
    if case.state == CaseState.CLOSED:
        return done
    if case.state in CASE_ENDED:
        return f"case_{case.state}"
    return state


def _shown_label(
    shown: str, in_case: str, choices: type[models.TextChoices], case: Case | None
) -> str:
    """The shown state's words; in a case, with the case's state (受理, 处置中…)."""
    if shown not in choices.values:
        return str(CaseState(shown.removeprefix("case_")).label)
    label = str(choices(shown).label)
    if shown == in_case and case is not None:
        return f"{label}（{case.get_state_display()}）"
    return label


# --- problems raised ------------------------------------------------------------------------


class ProblemState(models.TextChoices):
    RAISED = "raised", _("raised")
    WHISTLED = "whistled", _("whistled to the district")
    HANDLING = "handling", _("handled by the council")
    SOLVED = "solved", _("solved")
    DONE = "done", _("done")  # shown only: a whistled problem whose case is closed


class ProblemQuerySet(models.QuerySet["Problem"]):
    def visible_to(self, user: User | AnonymousUser) -> ProblemQuerySet:
        return self.filter(council__in=_councils_of(user))

    def unfinished(self) -> ProblemQuerySet:
        return self.filter(
            Q(state__in=[ProblemState.RAISED, ProblemState.HANDLING])
            | Q(state=ProblemState.WHISTLED) & ~Q(case__state__in=CASE_ENDED)
        )


class Problem(models.Model):
    """A problem a member raises to the council (企业吹哨、理事会报到), shared by the
    members it concerns; the council handles it itself with a deadline, or whistles it
    to the district (理事会吹哨、服务马上到), which makes a case."""

    council = models.ForeignKey(
        "councils.Council",
        verbose_name=_("council"),
        on_delete=models.CASCADE,
        related_name="problems",
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("description"))
    raised_by = models.ForeignKey(
        "councils.CouncilMember",
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="problems_raised",
    )
    # The members it concerns ("shared by"), the one who raised it among them.
    concerns = models.ManyToManyField(
        "councils.CouncilMember",
        verbose_name=_("members concerned"),
        related_name="problems_shared",
        blank=True,
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ProblemState.choices, default=ProblemState.RAISED
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_problems",
    )
    raised_at = models.DateTimeField(_("raised at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("problem raised")
        verbose_name_plural = _("problems raised")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["council", "state"], name="problems_of_council")]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=True) | Q(state="whistled"),
                name="problem_case_only_when_whistled",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_state(self) -> str:
        return _shown(self.state, ProblemState.WHISTLED, ProblemState.DONE, self.case)

    @property
    def shown_label(self) -> str:
        return _shown_label(self.shown_state, ProblemState.WHISTLED, ProblemState, self.case)

    def overdue(self, today: date) -> bool:
        return (
            self.state == ProblemState.HANDLING
            and self.deadline is not None
            and self.deadline < today
        )
