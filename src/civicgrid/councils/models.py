"""Councils (理事会): residents, merchants, enterprises, department liaisons and the local
party organisation governing a park, a business street or an estate together
(共谋 · 共建 · 共管), under the two rules of the district's model: "企业吹哨、理事会报到"
(a problem shared by several members is raised to the council and solved inside where it
can) and "理事会吹哨、服务马上到" (what the council cannot solve goes to the district).

A council belongs to a unit of the tree (a park, a community, a street); its members
are organisations or people, some of whom log in (``CouncilMember.user``). Everything
that changes a council, its members and its working groups is written by
``civicgrid.councils.actions`` with one ``CouncilEvent`` per change (the council's
log, as ``CaseEvent`` is a case's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.logs import LogEntry
from civicgrid.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User


class CouncilKind(models.TextChoices):
    PARK = "park", _("park council")  # 园区理事会
    MERCHANTS = "merchants", _("merchants' council")  # 商圈理事会
    OWNERS = "owners", _("owners' committee")  # 红色业主委
    INDUSTRY = "industry", _("industry alliance")  # 行业联盟


class MemberKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    MERCHANT = "merchant", _("merchant")
    RESIDENT = "resident", _("resident")
    DEPARTMENT = "department", _("department liaison")
    PARTY = "party", _("party organisation")


class CouncilRole(models.TextChoices):
    CHAIR = "chair", _("chair")  # 理事长
    SECRETARY = "secretary", _("secretary")  # 秘书长（秘书处）
    MEMBER = "member", _("member")  # 理事 / 成员
    ADVISER = "adviser", _("adviser")  # 智囊团


# Who runs the council's business: meetings, items, scoring, whistling to the district.
OFFICER_ROLES = frozenset({CouncilRole.CHAIR, CouncilRole.SECRETARY})


class CouncilQuerySet(models.QuerySet["Council"]):
    def visible_to(self, user: User | AnonymousUser) -> CouncilQuerySet:
        """The councils ``user`` may see: those of units in their scope (staff: a street
        sees its parks' councils, the district all), and those they sit in."""
        from civicgrid.org.scoping import scope_of

        if not user.is_authenticated or not user.is_active:
            return self.none()
        reach = scope_of(user).reach
        if reach.everywhere:
            return self.all()
        seats = CouncilMember.objects.filter(user=user, left_on=None).values("council_id")
        return self.filter(Q(unit_id__in=reach.unit_ids) | Q(pk__in=seats))


class Council(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CouncilKind.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="councils"
    )
    party_organisation = models.CharField(
        _("party organisation"), max_length=100, blank=True
    )  # the party branch that leads it (党建引领)
    # How it handles problems, in its own words ("小事巡查解决，中事商量解决，大事请示解决").
    rules = models.TextField(_("rules for problems"), blank=True)
    founded_on = models.DateField(_("founded on"))
    active = models.BooleanField(_("active"), default=True)
    # Raised by every event of the council's log: its sequence number.
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CouncilQuerySet.as_manager()

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class CouncilMember(models.Model):
    """A member of a council: an enterprise, a merchant, a resident, a department's
    liaison or the party organisation, with a role and a term. Leaving sets ``left_on``;
    the row stays (the council's history, and the scores the member had)."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("name"), max_length=100)  # the enterprise's, shop's or person's
    kind = models.CharField(_("kind"), max_length=16, choices=MemberKind.choices)
    role = models.CharField(
        _("role"), max_length=16, choices=CouncilRole.choices, default=CouncilRole.MEMBER
    )
    # The person who logs in for this member (the phone pages), if anyone does.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="council_memberships",
    )
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # An enterprise's unified social credit code, a liaison's department.
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    department = models.ForeignKey(
        Unit,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_liaisons",
    )
    term_start = models.DateField(_("term starts"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        ordering = ["council", "left_on", "role", "name"]
        constraints = [
            # One seat per account in a council at a time.
            models.UniqueConstraint(
                fields=["council", "user"],
                condition=Q(left_on__isnull=True, user__isnull=False),
                name="one_seat_per_account",
            ),
        ]
        indexes = [models.Index(fields=["user", "left_on"], name="council_seats_of_user")]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.left_on is None

    @property
    def officer(self) -> bool:
        return self.active and self.role in OFFICER_ROLES


class WorkingGroup(models.Model):
    """A working group (协同专班) of some members on one matter."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=100)
    purpose = models.TextField(_("purpose"), blank=True)
    members = models.ManyToManyField(
        CouncilMember, verbose_name=_("members"), blank=True, related_name="groups"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        ordering = ["council", "name"]

    def __str__(self) -> str:
        return self.name


class CouncilAction(models.TextChoices):
    """What happened in a council: the name of each ``CouncilEvent``. Each domain of the
    app (meetings, problems, conventions) adds its own."""

    FOUND = "found", _("council founded")
    JOIN = "join", _("member joined")
    LEAVE = "leave", _("member left")
    CHANGE_ROLE = "change_role", _("role or term changed")
    FORM_GROUP = "form_group", _("working group formed")
    CHANGE_GROUP = "change_group", _("working group changed")
    # meetings and their follow-up items (civicgrid.councils.meetings)
    PLAN_MEETING = "plan_meeting", _("meeting planned")
    CHANGE_MEETING = "change_meeting", _("meeting changed")
    HOLD_MEETING = "hold_meeting", _("meeting held")
    CANCEL_MEETING = "cancel_meeting", _("meeting cancelled")
    RECORD_MINUTES = "record_minutes", _("minutes recorded")
    TAKE_ROLL = "take_roll", _("attendance recorded")
    CONFIRM_ATTENDANCE = "confirm_attendance", _("attendance confirmed by the member")
    RECORD_DECISION = "record_decision", _("decision recorded")
    ADD_ITEM = "add_item", _("follow-up item set")
    FINISH_ITEM = "finish_item", _("follow-up item done")
    DROP_ITEM = "drop_item", _("follow-up item dropped")
    ITEM_TO_CASE = "item_to_case", _("follow-up item turned into a case")
    # problems raised (civicgrid.councils.problems)
    RAISE_PROBLEM = "raise_problem", _("problem raised")
    SHARE_PROBLEM = "share_problem", _("problem shared by another member")
    TAKE_UP_PROBLEM = "take_up_problem", _("problem taken up by the council")
    SOLVE_PROBLEM = "solve_problem", _("problem solved by the council")
    WHISTLE_PROBLEM = "whistle_problem", _("problem whistled to the district")
    # conventions (公约) and their scoring: councils.scoring
    ADOPT_CONVENTION = "adopt_convention", _("convention adopted")
    AMEND_CONVENTION = "amend_convention", _("convention amended")
    SIGN_CONVENTION = "sign_convention", _("convention signed")
    OPEN_PERIOD = "open_period", _("scoring period opened")
    SELF_ASSESS = "self_assess", _("self-assessment")
    INSPECT = "inspect", _("joint inspection finding")
    CLOSE_SELF_ASSESSMENT = "close_self_assessment", _("self-assessment closed")
    RATE_PERIOD = "rate_period", _("scores rated")
    PUBLISH_PERIOD = "publish_period", _("scores published")


class CouncilEvent(LogEntry):
    """The council's log: one row per change, written by the action that made it."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveIntegerField(_("sequence"))
    # A name from CouncilAction (no ``choices`` on the column: each domain of the app
    # adds names without a migration); ``label`` reads it.
    action = models.CharField(_("action"), max_length=32)
    member = models.ForeignKey(
        CouncilMember,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )

    class Meta:
        verbose_name = _("council event")
        verbose_name_plural = _("council events")
        ordering = ["council", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["council", "seq"], name="one_event_per_council_seq")
        ]

    def __str__(self) -> str:
        return f"{self.council_id}#{self.seq} {self.action}"

    @property
    def label(self) -> str:
        try:
            return str(CouncilAction(self.action).label)
        except ValueError:
            return self.action


# A council's work (meetings, follow-up items, problems raised) has its own module.
# Conventions and their scoring (公约) live in their own module; imported here so Django
# finds their models.
from civicgrid.councils.convention_models import (  # noqa: E402, F401
    Convention,
    ConventionTemplate,
    InspectionPhoto,
    Score,
    ScoringPeriod,
    Signature,
)
from civicgrid.councils.work_models import (  # noqa: E402, F401
    ActionItem,
    Attendance,
    Decision,
    Meeting,
    Problem,
)
