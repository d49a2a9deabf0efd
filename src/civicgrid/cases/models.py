"""The case (工单) and everything that decides where it goes and by when.

A case's ``state`` and counters are derived from its events (``CaseEvent``, an
append-only log written by ``civicgrid.cases.actions`` and nothing else) and
stored on the row for queries. ``version`` goes up with every event, so a
client acting on a stale page is refused instead of overwriting someone else.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.paging import Linked, Part
from civicgrid.org.models import Level, Unit, UnitKind

if TYPE_CHECKING:
    from civicgrid.org.models import User
    from civicgrid.org.scoping import Scope


class Tier(models.TextChoices):
    """分级处置: which level of the tree handles a matter."""

    MICRO = "micro", _("micro matter (grid)")
    MINOR = "minor", _("minor matter (community)")
    MODERATE = "moderate", _("moderate matter (street)")
    MAJOR = "major", _("major matter (district)")


TIER_ORDER = [Tier.MICRO, Tier.MINOR, Tier.MODERATE, Tier.MAJOR]
TIER_LEVEL = {
    Tier.MICRO: Level.GRID,
    Tier.MINOR: Level.COMMUNITY,
    Tier.MODERATE: Level.STREET,
    Tier.MAJOR: Level.DISTRICT,
}


def higher_tier(current: str, at_least: str) -> str:
    """``current`` raised to ``at_least`` if lower (an empty tier counts as lowest)."""
    if not current:
        return at_least
    return max(current, at_least, key=lambda t: TIER_ORDER.index(Tier(t)))


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    EMERGENCY = "emergency", _("emergency")


class Channel(models.TextChoices):
    WEB = "web", _("resident web page")
    HOTLINE = "hotline", _("hotline")
    PATROL = "patrol", _("grid patrol")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    # A council's follow-up item or whistled problem (civicgrid.councils).
    COUNCIL = "council", _("council")
    # The enterprise window, 办不成事 (civicgrid.enterprise).
    ENTERPRISE = "enterprise", _("enterprise window")
    # A project monitor's observation of a problem (civicgrid.projects).
    PROJECT = "project", _("project monitor")


# For checks on every request: ``Choices.values`` builds its list anew on each use.
URGENCIES = frozenset(Urgency.values)
CHANNELS = frozenset(Channel.values)


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    DISPATCHED = "dispatched", _("dispatched")
    RETURNED = "returned", _("returned")
    HANDLING = "handling", _("handling")
    RESOLVED = "resolved", _("resolved")
    FOLLOW_UP = "follow_up", _("follow-up")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged")


class Action(models.TextChoices):
    """What an event records: one name per transition (a case's and its whistle tasks')."""

    SUBMIT = "submit", _("Submit")
    TRIAGE = "triage", _("Triage")
    DISPATCH = "dispatch", _("Dispatch")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    RETURN = "return", _("Return")
    HANDLE = "handle", _("Record work")
    RESOLVE = "resolve", _("Resolve")
    FIX_ON_THE_SPOT = "fix_on_the_spot", _("Fixed on the spot")
    VERIFY = "verify", _("Verify")
    FOLLOW_UP = "follow_up", _("Follow up")
    RATE = "rate", _("Rate")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Reopen")
    ESCALATE = "escalate", _("Escalate")
    SUPERVISE = "supervise", _("Supervise")
    REMIND = "remind", _("Remind")
    MERGE = "merge", _("Merge")
    REJECT = "reject", _("Reject")
    WHISTLE = "whistle", _("Whistle")
    CHECK_IN = "check_in", _("Check in")
    START_TASK = "start_task", _("Start work")
    FINISH_TASK = "finish_task", _("Task done")
    RETURN_TASK = "return_task", _("Task returned")
    WITHDRAW = "withdraw", _("Withdraw from public view")
    REPUBLISH = "republish", _("Publish again")


# The steps the public feeds report (Open311's updates): an index serves them by time.
PUBLISHED_ACTIONS = (
    "submit",
    "dispatch",
    "acknowledge",
    "resolve",
    "fix_on_the_spot",  # 随手办: resolved on patrol, with a reply like 办结
    "rate",
    "close",
    "reopen",
    "escalate",
    "merge",
    "reject",
)


OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.DISPATCHED,
        State.RETURNED,
        State.HANDLING,
        State.RESOLVED,
        State.FOLLOW_UP,
    }
)
FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED})
# For index conditions (stable in migrations): the open states' values, in order.
OPEN_STATE_VALUES = sorted(str(s) for s in OPEN_STATES)


class Category(models.Model):
    """A node of the district's three-level category tree, with how its cases are handled."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_tier = models.CharField(
        _("default tier"), max_length=10, choices=Tier.choices, default=Tier.MINOR
    )
    departments = models.ManyToManyField(
        Unit,
        verbose_name=_("default departments"),
        blank=True,
        limit_choices_to={"kind": UnitKind.DEPARTMENT},
        related_name="categories",
    )
    to_department = models.BooleanField(
        _("dispatch straight to the department"),
        default=False,
        help_text=_("Cases go to the category's first department instead of the territorial unit."),
    )
    grid_may_self_handle = models.BooleanField(_("a grid may handle it itself"), default=False)
    questions = models.JSONField(
        _("extra questions"),
        default=list,
        blank=True,
        help_text=_('A list of {"code", "label", "datatype", "required", "values"} objects.'),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def lineage(self) -> list[Category]:
        """This category and its ancestors, nearest first."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


# A limit of zero or less would put every deadline in the past (or fail the clock).
AT_LEAST_A_MINUTE = MinValueValidator(
    timedelta(minutes=1), message=_("A time limit must be at least one minute.")
)


class DeadlinePolicy(models.Model):
    """Time limits for a category (and its subcategories) at one urgency.

    A case uses the policy of its category or, failing that, the nearest ancestor
    with one, or the district default (no category).
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadline_policies",
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    acknowledge = models.DurationField(_("acknowledge within"), validators=[AT_LEAST_A_MINUTE])
    check_in = models.DurationField(_("check in within"), validators=[AT_LEAST_A_MINUTE])
    resolve = models.DurationField(_("resolve within"), validators=[AT_LEAST_A_MINUTE])
    follow_up = models.DurationField(_("follow up within"), validators=[AT_LEAST_A_MINUTE])
    working_time = models.BooleanField(
        _("counted in working time"),
        default=True,
        help_text=_("Off for emergencies: their clock runs round the clock."),
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "urgency"], name="one_policy_per_category_urgency"
            ),
            models.UniqueConstraint(
                fields=["urgency"],
                condition=Q(category=None),
                name="one_default_policy_per_urgency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or _('default')} · {self.get_urgency_display()}"


class TierRule(models.Model):
    """The district's tier table: a category (and its subtree) at an urgency → a tier.

    The most specific rule wins: the nearest category, then a rule naming the
    urgency over one that does not. Without a rule, the category's default tier.
    """

    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=Urgency.choices,
        blank=True,
        help_text=_("Empty: any urgency."),
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency"], name="one_rule_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} · {self.urgency or '*'} → {self.tier}"


TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    """10 characters from an alphabet without look-alikes (no 0/O, 1/I/L): the digits of
    one uniform random number below 31¹⁰ (one read of the system's random source,
    where a choice per character made ten)."""
    n = secrets.randbelow(len(TRACKING_ALPHABET) ** 10)
    code = []
    for _place in range(10):
        n, digit = divmod(n, len(TRACKING_ALPHABET))
        code.append(TRACKING_ALPHABET[digit])
    return "".join(code)


# The case's fields a whistle task keeps a copy of, for ``Linked`` parts.
TASKS_COPY_OF_CASE = {"created_at": "case_created_at", "id": "case_id"}
# The cases acknowledged or resolved without their stored working seconds (rows from
# before ``Case.acknowledge_seconds``; none once ``civicgrid working-seconds`` has run):
# the figures compute theirs apart, so a month's sums read columns only.
SECONDS_MISSING = Q(acknowledged_at__isnull=False, acknowledge_seconds__isnull=True) | Q(
    resolved_at__isnull=False, resolve_seconds__isnull=True
)

# A scope of up to this many owner units is listed one unit at a time (one walk of the
# ``unit_newest`` index each); a larger one, a street or more, is a large share of the
# cases, which a walk of the newest-first index finds its page in quickly.
SPLIT_UNITS = 40


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(
        self, user: User | Scope, *, work: bool = False, each_row: bool = False
    ) -> CaseQuerySet:
        """Cases owned by a unit in the user's scope, whistled to a department in it, or
        located in the grid of a grid worker or volunteer. ``work``: for the queues of open
        work, where a department's part is the cases of its open tasks (a case whose
        task it finished stays visible, but is no longer its work).

        The union of ``scope_parts``: each a condition on one indexed column with ids
        resolved first (the scope's units, the departments' tasked cases, the field
        grids), so PostgreSQL combines index scans (BitmapOr) instead of filtering a join
        of every case and its units; a scope that covers the whole tree filters nothing.
        ``each_row``: the caller finds its rows by a condition of their own (a case by
        its code): the departments' part is then checked on each row found (EXISTS
        through the tasks' case index) instead of listing every case they were ever
        tasked with, a list that grows with the cases (3,500 ids for a department of
        the bench's ten million)."""
        parts = self.scope_parts(user, work=work)
        if parts is None:
            return self
        if not parts:
            return self.none()

        def condition(part: Part) -> Q:
            if isinstance(part, Linked):
                return part.each_row() if each_row else part.q()
            return part

        return self.filter(reduce(or_, map(condition, parts)))

    def visible_case(self, user: User | Scope, code: str) -> Case | None:
        """The case of tracking code ``code`` if the user may see it, else None: found by
        its code, then checked (``visible_to``'s ``each_row``)."""
        return self.visible_to(user, each_row=True).filter(tracking_code=code).first()

    def scope_parts(self, user: User | Scope, *, work: bool = False) -> list[Part] | None:
        """The cases ``visible_to`` the user as parts whose union they are, for a list
        to walk each part in its own index and merge the pages (``paging.keyset``'s
        ``parts``): one part per owner unit (``unit_newest``) and per field grid
        (``grid_newest``) while there are at most ``SPLIT_UNITS`` of them, else one for
        them all, and the departments' tasked cases, found through their tasks
        (``tasks_by_case_newest``). None: the whole tree, nothing to filter; empty:
        nothing visible. Parts may overlap."""
        from civicgrid.cases.lookups import ids_q
        from civicgrid.org.scoping import scope_of

        reach = scope_of(user).reach
        if reach.everywhere:
            return None

        def each(ids: tuple[int, ...], field: str) -> list[Part]:
            if len(ids) > SPLIT_UNITS:
                return [ids_q(ids, field)]
            return [Q(**{field: pk}) for pk in ids]

        parts = each(reach.unit_ids, "owner_unit_id")
        if reach.department_ids:
            # One department (the usual case) is an equality, which its index walks in
            # order; several are one filter, whose tasks are sorted.
            (only, *more) = reach.department_ids
            tasked = WhistleTask.objects.filter(
                ids_q(reach.department_ids, "department_id") if more else Q(department_id=only)
            )
            if work:
                tasked = tasked.filter(state__in=OPEN_TASK_STATES)
            parts.append(Linked(tasked, "case_id", TASKS_COPY_OF_CASE))
        return parts + each(reach.grid_ids, "grid_id")

    def open(self) -> CaseQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def published(self) -> CaseQuerySet:
        """Cases the public may see (Open311, public pages): looked at by a person or the
        classifier first (triaged, or past ``submitted``: dispatched, merged, rejected …),
        as FixMyStreet moderates, and not withdrawn from public view by staff."""
        triaged = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.TRIAGE)
        return self.filter(withdrawn_from_public_at__isnull=True).filter(
            ~Q(state=State.SUBMITTED) | Exists(triaged)
        )


class Case(models.Model):
    tracking_code = models.CharField(
        _("tracking code"), max_length=12, default=new_tracking_code, editable=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("description"))
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # reports group by it; no query looks cases up by it alone
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid = models.ForeignKey(
        Unit,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="located_cases",
        db_index=False,  # (grid, created_at, id) below serves it
    )
    owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("owner unit"),
        on_delete=models.PROTECT,
        related_name="owned_cases",
        db_index=False,  # (owner_unit, state) below serves both
    )
    dispatcher_unit = models.ForeignKey(
        Unit,
        verbose_name=_("dispatched by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatched_cases",
        help_text=_("Where a returned case goes back to."),
        db_index=False,  # read with the case, never searched by
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.SUBMITTED
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,  # the partial index below holds only merged cases
    )
    acknowledge_due = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    follow_up_due = models.DateTimeField(_("follow up by"), null=True, blank=True)
    # The deadline the case's state runs against (acknowledge, resolve or follow-up
    # by), derived by ``rules`` with every change of state: the queues' "overdue" and
    # "due soon" read one indexed column.
    due_at = models.DateTimeField(_("due"), null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Working seconds on the district's calendar (each instant to its whole second) from
    # submission to ``acknowledged_at`` and to ``resolved_at``: written with them by
    # ``actions.write``, so a month's mean working hours is a sum of a column
    # (``evaluation.indicators``); rebuilt by ``civicgrid working-seconds`` after the
    # working calendar changes (until then the figures compute them, see
    # ``evaluation.hours.stored_current``).
    acknowledge_seconds = models.BigIntegerField(
        _("working seconds to acknowledge"), null=True, blank=True, editable=False
    )
    resolve_seconds = models.BigIntegerField(
        _("working seconds to resolve"), null=True, blank=True, editable=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reply = models.TextField(_("reply to the resident"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    solved = models.BooleanField(_("solved, says the resident"), null=True, blank=True)
    # 回访: the calls to the resident in the current follow-up (from 0 each time the case
    # enters follow-up), and whether the follow-up ended because the resident could not
    # be reached (``FollowUpPolicy.max_attempts`` calls): the indicators' "unreachable".
    # A database default too: rows written by a statement of their own (the benchmark's
    # fixture) need not name them.
    follow_up_attempts = models.PositiveSmallIntegerField(
        _("follow-up calls"), default=0, db_default=0, editable=False
    )
    unreachable = models.BooleanField(
        _("closed: resident unreachable"),
        default=False,
        db_default=False,
        editable=False,
        help_text=_(
            "Set when the last follow-up call allowed did not reach the resident and the "
            "case was closed for it; cleared when the case is reopened or followed up again."
        ),
    )
    returns = models.PositiveIntegerField(_("returns"), default=0)
    reopens = models.PositiveIntegerField(_("reopens"), default=0)
    escalations = models.PositiveIntegerField(_("escalations"), default=0)
    reminders = models.PositiveIntegerField(_("reminders"), default=0)
    supervised = models.BooleanField(_("under supervision"), default=False)
    # NULL for a new case: written into intake's statement as NULL, not sent as a value.
    withdrawn_from_public_at = models.DateTimeField(
        _("withdrawn from public view at"),
        null=True,
        blank=True,
        help_text=_("Set and cleared only by the withdraw and republish transitions."),
    )
    # 申诉: the district upheld the owner unit's appeal against the case's inclusion in
    # the figures. Derived from the appeal's log (``evaluation.models.AppealEvent``) and
    # written only by ``evaluation.actions.uphold_appeal`` with the appeal's event, so
    # the figures stay one pass over the cases' own columns.
    excluded_by_appeal = models.BooleanField(
        _("left out of the figures by an upheld appeal"), default=False, editable=False
    )
    created_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        # Every index is paid for on each transition. The queues' (see
        # docs/architecture.md, "Lists at scale"): newest first by (created_at, id) for
        # "all" and keyset paging; per open state in that order; the open cases of a
        # unit; the current deadline of the cases that have one; the supervised. The
        # sweeper's three are partial (a case is in at most one) and end in id.
        indexes = [
            # The lists' orders carry the scope's columns (INCLUDE, PostgreSQL), so a
            # unit's page is filtered in the index without visiting the table.
            models.Index(
                fields=["created_at", "id"],
                include=["owner_unit", "grid"],
                name="cases_newest",
            ),
            # A unit's queues and counts: its cases by state and deadline, the
            # supervised flag carried, so counting reads the index alone.
            models.Index(
                fields=["owner_unit", "state", "due_at"],
                include=["supervised"],
                name="unit_state_due",
            ),
            # (the cockpit's columns carried too: its counts of open and overdue cases
            # by tier, category and channel read this index alone)
            models.Index(
                fields=["state", "created_at", "id"],
                include=["owner_unit", "grid", "tier", "category", "channel", "due_at"],
                condition=Q(state__in=OPEN_STATE_VALUES),
                name="open_by_state",
            ),
            models.Index(
                fields=["due_at", "id"],
                include=["owner_unit", "grid"],
                condition=Q(state__in=["dispatched", "handling"]),
                name="open_by_due",
            ),
            models.Index(
                fields=["created_at", "id"],
                include=["owner_unit", "grid"],
                condition=Q(supervised=True, state__in=OPEN_STATE_VALUES),
                name="supervised_open",
            ),
            models.Index(
                fields=["acknowledge_due", "id"],
                condition=Q(state="dispatched"),
                name="dispatched_by_due",
            ),
            models.Index(
                fields=["resolve_due", "id"], condition=Q(state="handling"), name="handling_by_due"
            ),
            # The follow-up queue (oldest deadline first) and the sweeper's follow-up
            # deadlines; the scope's columns carried like the lists' orders.
            models.Index(
                fields=["follow_up_due", "id"],
                include=["owner_unit", "grid"],
                condition=Q(state="follow_up"),
                name="follow_up_by_due",
            ),
            models.Index(
                fields=["merged_into"], condition=Q(merged_into__isnull=False), name="merged_cases"
            ),
            # The queues' columns sorted by category and by unit, paged by key (the
            # category's empty rows, untriaged cases, last).
            models.Index(
                fields=["category", "id"], include=["owner_unit", "grid"], name="cases_by_category"
            ),
            models.Index(fields=["owner_unit", "id"], name="cases_by_unit"),
            # A small scope's lists, one unit or grid at a time (``scope_parts``): its
            # cases newest first, merged across its units by ``paging.keyset``.
            models.Index(fields=["owner_unit", "created_at", "id"], name="unit_newest"),
            models.Index(fields=["grid", "created_at", "id"], name="grid_newest"),
            # The cases without their stored working seconds (normally none: an empty
            # index, and no write changes a column of it that is not in others too).
            models.Index(fields=["created_at"], condition=SECONDS_MISSING, name="seconds_missing"),
            # The queues sorted by deadline: the cases that have one (open ones only).
            models.Index(
                fields=["due_at", "id"],
                include=["owner_unit", "grid"],
                condition=Q(due_at__isnull=False),
                name="cases_with_a_deadline",
            ),
        ]
        constraints = [
            # A constraint rather than unique=True: no second, LIKE-only index.
            models.UniqueConstraint(fields=["tracking_code"], name="unique_tracking_code")
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"


class FollowUpPolicy(models.Model):
    """The district's rules for the end of a follow-up (回访), one row (none: the
    defaults below): how many calls before a resident counts as unreachable, and when
    the resident's word reopens the case (返工). The same rules hold for a rating taken
    on the phone and one the resident gives on the tracking page."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    max_attempts = models.PositiveSmallIntegerField(
        _("calls before unreachable"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "A follow-up call that does not reach the resident, once this many calls have "
            "been made, closes the case as unreachable."
        ),
    )
    reopen_not_solved = models.BooleanField(
        _("reopen when not solved"),
        default=True,
        help_text=_("The resident says it is not solved: the case goes back to its unit."),
    )
    reopen_at_most_stars = models.PositiveSmallIntegerField(
        _("reopen when rated at most (stars)"),
        default=2,
        validators=[MaxValueValidator(4)],
        help_text=_(
            "A rating of this many stars or fewer reopens the case even when the resident "
            "says it is solved (1–2 stars: dissatisfied). 0: the stars alone never reopen."
        ),
    )
    max_reopens = models.PositiveSmallIntegerField(
        _("at most this many reopens"),
        null=True,
        blank=True,
        default=2,
        help_text=_(
            "Once a case has been reopened this many times (for any reason), the resident's "
            "word is recorded and the case is closed. Empty: no limit."
        ),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policy")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_follow_up_policy")]

    def __str__(self) -> str:
        return str(_("follow-up policy"))

    @classmethod
    def current(cls) -> FollowUpPolicy:
        """The district's policy: its row, or the defaults when it has none (not saved)."""
        return cls.objects.filter(pk=1).first() or cls()


class VerificationPolicy(models.Model):
    """核查 by tier: who, besides the dispatchers and leaders over a case (and another
    grid worker of its grid), may verify a fix, one row for the district (none: the
    defaults, as before the policy: nobody else). Read by ``permissions`` for the verify
    transition and the console's button alike."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    community_verifies_micro = models.BooleanField(
        _("a community verifies its grid workers' micro matters"),
        default=False,
        help_text=_(
            "The staff of the community above a grid (handlers, dispatchers, leaders) may "
            "verify the fixes of the grid's micro matters, instead of sending them up to "
            "the district's dispatcher."
        ),
    )
    community_verifies_minor = models.BooleanField(
        _("a community verifies its own minor matters"),
        default=False,
        help_text=_(
            "The staff of a community may verify the fixes of the minor matters it owns "
            "(never a fix they made themselves)."
        ),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("verification policy")
        verbose_name_plural = _("verification policy")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_verification_policy")]

    def __str__(self) -> str:
        return str(_("verification policy"))

    @classmethod
    def current(cls) -> VerificationPolicy:
        """The district's policy: its row, or the defaults when it has none (not saved)."""
        return cls.objects.filter(pk=1).first() or cls()

    def community_tiers(self) -> frozenset[str]:
        """The tiers whose fixes the community verifies."""
        tiers = {
            Tier.MICRO: self.community_verifies_micro,
            Tier.MINOR: self.community_verifies_minor,
        }
        return frozenset(str(tier) for tier, on in tiers.items() if on)


class ResidentContact(models.Model):
    """Who asked, kept apart from the case: only roles that need it see it unmasked,
    and every reveal is logged (``ContactReveal``)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField(_("name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    # The number's last four digits, kept by the database: the queues' search "by the
    # phone's last digits" is an equality on an index (a suffix match reads every row).
    phone_tail = models.GeneratedField(
        expression=Right("phone", 4),
        output_field=models.CharField(max_length=4),
        db_persist=True,
        db_index=True,
        verbose_name=_("phone's last digits"),
    )
    hide_identity = models.BooleanField(_("keep my identity from the handlers"), default=False)

    class Meta:
        verbose_name = _("resident contact")
        verbose_name_plural = _("resident contacts")

    def __str__(self) -> str:
        return mask_phone(self.phone)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


class ContactReveal(models.Model):
    contact = models.ForeignKey(
        ResidentContact,
        verbose_name=_("resident contact"),
        on_delete=models.CASCADE,
        related_name="reveals",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT
    )
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact reveal")
        verbose_name_plural = _("contact reveals")

    def __str__(self) -> str:
        return f"{self.user} · {self.at:%Y-%m-%d %H:%M}"


class CaseEvent(models.Model):
    """One transition of one case: append-only, the truth a case's state derives from."""

    # (case, seq) is unique and indexed: no separate index on case.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # Events are written far more often than searched by actor or unit (a user or
    # unit is never deleted, only deactivated): no index beyond (case, seq).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: the resident or the system."),
        db_index=False,
    )
    at = models.DateTimeField(_("time"))
    from_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices)
    from_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    to_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="one_event_per_seq")]
        indexes = [
            # Open311's servicerequestupdates: the published steps, newest first. Not a
            # partial index on the published actions: SQLite uses one only when the
            # query names its condition in literals, and the ORM binds them as
            # parameters (a million-case feed scanned every event: 6 s); most events
            # are published steps anyway.
            models.Index(fields=["at", "id"], name="events_by_time")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class Photo(models.Model):
    """A stored photo of a case (see ``cases.photos``): who added it, and where."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    name = models.CharField(_("file"), max_length=200, unique=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: the resident."),
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # False for a photo uploaded ahead of the event that will name it (the API's
    # photos for a handle or resolve): removed after a day if none does.
    attached = models.BooleanField(_("named by an event"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class TaskState(models.TextChoices):
    NOTIFIED = "notified", _("notified")
    CHECKED_IN = "checked_in", _("checked in")
    WORKING = "working", _("working")
    DONE = "done", _("done")
    RETURNED = "returned", _("returned")


OPEN_TASK_STATES = frozenset({TaskState.NOTIFIED, TaskState.CHECKED_IN, TaskState.WORKING})


class WhistleTaskQuerySet(models.QuerySet["WhistleTask"]):
    def visible_to(self, user: User | Scope) -> WhistleTaskQuerySet:
        """The tasks of departments in the user's scope (a department sees its own)."""
        from civicgrid.cases.lookups import ids_q
        from civicgrid.org.scoping import scope_of

        reach = scope_of(user).reach
        if reach.everywhere:
            return self
        if not reach.department_ids:
            return self.none()
        return self.filter(ids_q(reach.department_ids, "department_id"))


class WhistleTask(models.Model):
    """吹哨报到: a department's part in a case, with its own check-in deadline."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="tasks"
    )
    department = models.ForeignKey(
        Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="tasks"
    )
    lead = models.BooleanField(_("lead department"), default=False)
    state = models.CharField(
        _("state"), max_length=12, choices=TaskState.choices, default=TaskState.NOTIFIED
    )
    check_in_due = models.DateTimeField(_("check in by"))
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The case's own ``created_at`` (which never changes), copied when the task is made,
    # so that a department's cases are listed newest first from its tasks' index
    # (``tasks_by_case_newest``) without reading the cases it did not have a task on.
    case_created_at = models.DateTimeField(_("case received at"), editable=False)

    objects = WhistleTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("whistle task")
        verbose_name_plural = _("whistle tasks")
        indexes = [
            # A department's task list, a page at a time: open tasks by their check-in
            # deadline, finished ones newest first.
            models.Index(
                fields=["department", "check_in_due", "id"],
                condition=Q(state__in=["notified", "checked_in", "working"]),
                name="tasks_open_by_due",
            ),
            models.Index(
                fields=["department", "-created_at", "-id"],
                name="tasks_newest",
            ),
            # A department's part of a scope (``CaseQuerySet.scope_parts``): the cases it
            # has a task on, newest first, paged by the cases' key.
            models.Index(
                fields=["department", "case_created_at", "case"], name="tasks_by_case_newest"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=Q(state__in=["notified", "checked_in", "working"]),
                name="one_open_task_per_department",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id} ({self.state})"


class CalendarDay(models.Model):
    """A district's own word on a date (the State Council's schedule for a year the
    calendar package does not know yet, a local day off): it wins over the package."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.working else 'off'}"


class DeadlineMark(models.Model):
    """The sweeper's receipt: this deadline of this case got this treatment, once.

    Written in the same transaction as the reminder or escalation it records, under a
    unique constraint, so a crash rolls both back and a second worker cannot repeat it.
    """

    class Stage(models.TextChoices):
        REMIND = "remind", _("reminded before the deadline")
        OVERDUE = "overdue", _("escalated / supervised after the deadline")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="deadline_marks", db_index=False
    )
    deadline = models.CharField(max_length=32)  # acknowledge, resolve, follow_up, check_in:<task>
    due = models.DateTimeField()
    stage = models.CharField(max_length=10, choices=Stage.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline mark")
        verbose_name_plural = _("deadline marks")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "deadline", "due", "stage"], name="one_mark_per_deadline_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.deadline} {self.stage}"


class Pieces(models.Field):  # type: ignore[type-arg]
    """A list of 32-bit numbers (``cases.words.pieces``): ``integer[]`` on PostgreSQL,
    where a GIN index serves ``pieces__holds=[…]`` (``@>``), and JSON text elsewhere
    (SQLite, where nothing searches it)."""

    description = "pieces of a text, as numbers"

    def db_type(self, connection) -> str:  # type: ignore[no-untyped-def]
        return "integer[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):  # type: ignore[no-untyped-def]
        if value is None or connection.vendor == "postgresql":
            return value
        return json.dumps(list(value))

    def from_db_value(self, value, expression, connection):  # type: ignore[no-untyped-def]
        if value is None or isinstance(value, list):
            return value
        return json.loads(value)


@Pieces.register_lookup
class Holds(models.Lookup):  # type: ignore[type-arg]
    """``pieces__holds=[…]``: every one of them is among the row's (PostgreSQL)."""

    lookup_name = "holds"

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> {rhs}::integer[]", [*lhs_params, *rhs_params]


class CaseWords(models.Model):
    """The two-character pieces of a case's title and text, for the words search at scale
    (``cases.words``): written by the worker after intake, never on intake's path.

    On PostgreSQL a GIN index (migration ``cases/0027``) finds the cases holding every
    piece of a searched word; the search then checks the word itself."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="words"
    )
    pieces = Pieces(default=list)

    class Meta:
        verbose_name = _("words of a case")
        verbose_name_plural = _("words of cases")

    def __str__(self) -> str:
        return f"{self.case_id}: {len(self.pieces)}"


class WordsMark(models.Model):
    """How far the words of cases are written (one row): every case whose id is below
    ``through_id`` has its ``CaseWords``; the search reads the cases from there on by
    their text. ``seen_id`` / ``seen_at``: the newest case the writer saw and when; the
    mark moves there once ``words.MARGIN`` has passed, so a case whose transaction was
    still open then is not skipped."""

    through_id = models.BigIntegerField(default=0)
    seen_id = models.BigIntegerField(default=0)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("words mark")
        verbose_name_plural = _("words marks")

    def __str__(self) -> str:
        return f"words through case {self.through_id}"
