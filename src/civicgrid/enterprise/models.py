"""The enterprise window (办不成事): enterprises, their complaints about a matter an
office could not get done, the monthly enterprise service days (企业服务日), and the
agencies paired with parks and streets (包联) with their visits.

A complaint is a real ``Case`` of the channel ``enterprise`` in the normal loop; the
``Complaint`` row beside it holds what only the window knows (the enterprise, the office
that could not help, what was tried, the accountable department). Everything here is
written by ``civicgrid.enterprise.actions``, each change with one ``WindowEvent``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case
from civicgrid.logs import LogEntry
from civicgrid.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def visible_to(self, user: User | AnonymousUser) -> EnterpriseQuerySet:
        """The enterprises ``user`` may see: their own (an enterprise's account), every
        one (the business-environment office and the district), those in the units of
        their scope (a park's or a street's staff)."""
        from civicgrid.enterprise.permissions import sees_whole_window
        from civicgrid.org.scoping import scope_of

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if sees_whole_window(user):
            return self.all()
        own = Q(contacts__user=user)
        reach = scope_of(user).reach
        if reach.unit_ids:
            own |= Q(unit_id__in=reach.unit_ids)
        return self.filter(own).distinct()


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The park or street it sits in (for service days and 包联), when known.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("park or street"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    registered_at = models.DateTimeField(_("registered at"))

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EnterpriseContact(models.Model):
    """An account that speaks for an enterprise (an enterprise may have a few; an
    account speaks for one)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="enterprise_contact",
    )
    name = models.CharField(_("contact"), max_length=60)
    phone = models.CharField(_("mobile"), max_length=20)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise contact")
        verbose_name_plural = _("enterprise contacts")

    def __str__(self) -> str:
        return f"{self.name} ({self.enterprise})"


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def visible_to(self, user: User | AnonymousUser) -> ComplaintQuerySet:
        """An enterprise's account sees its enterprise's complaints only; the
        business-environment office and the district see all; a department sees those
        naming it (or a unit below it) accountable."""
        from civicgrid.enterprise.permissions import sees_whole_window
        from civicgrid.org.scoping import scope_of

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if sees_whole_window(user):
            return self.all()
        mine = Q(enterprise__contacts__user=user)
        reach = scope_of(user).reach
        if reach.unit_ids:
            mine |= Q(accountable_id__in=reach.unit_ids)
        return self.filter(mine)


class Complaint(models.Model):
    """办不成事: a matter an enterprise could not get done, as a window case."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="window_complaint"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    matter = models.CharField(_("the matter"), max_length=200)
    failed_office = models.CharField(_("office that could not help"), max_length=100)
    failed_unit = models.ForeignKey(
        Unit,
        verbose_name=_("department that could not help"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tried = models.TextField(_("what was tried"))
    # 责任部门: named at submission when known, else by the office at its queue.
    accountable = models.ForeignKey(
        Unit,
        verbose_name=_("accountable department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="window_complaints",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted at"))

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise complaint")
        verbose_name_plural = _("enterprise complaints")
        ordering = ["-created_at", "-id"]
        # The lists' keyset order (newest first) for the office, an enterprise and a
        # department (``complaint_list``).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="window_newest_first"),
            models.Index(fields=["enterprise", "-created_at", "-id"], name="window_of_enterprise"),
            models.Index(fields=["accountable", "-created_at", "-id"], name="window_of_department"),
        ]

    def __str__(self) -> str:
        return self.matter


class ServiceDay(models.Model):
    """企业服务日: a monthly day when an agency meets a park's or a street's enterprises."""

    on = models.DateField(_("date"))
    unit = models.ForeignKey(
        Unit, verbose_name=_("park or street"), on_delete=models.PROTECT, related_name="+"
    )
    host = models.ForeignKey(
        Unit, verbose_name=_("host agency"), on_delete=models.PROTECT, related_name="+"
    )
    theme = models.CharField(_("theme"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise service day")
        verbose_name_plural = _("enterprise service days")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.on} {self.unit}"


class ServiceDayIssue(models.Model):
    """An enterprise's issue heard on a service day; it may become a window complaint."""

    day = models.ForeignKey(
        ServiceDay, verbose_name=_("service day"), on_delete=models.CASCADE, related_name="issues"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    issue = models.TextField(_("issue"))
    complaint = models.OneToOneField(
        Complaint,
        verbose_name=_("window complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_day_issue",
    )

    class Meta:
        verbose_name = _("service day issue")
        verbose_name_plural = _("service day issues")
        ordering = ["day", "id"]

    def __str__(self) -> str:
        return self.issue[:40]


class Pairing(models.Model):
    """包联: an agency (a department) paired with a park or a street."""

    agency = models.ForeignKey(
        Unit, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="pairings"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("park or street"), on_delete=models.PROTECT, related_name="paired"
    )
    since = models.DateField(_("since"))
    active = models.BooleanField(_("active"), default=True)
    # When the office ended it (``actions.end_pairing``): its visits stay, none is added.
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["unit__path", "agency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "unit"], condition=Q(active=True), name="one_active_pairing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency} ↔ {self.unit}"


class Visit(models.Model):
    """A visit of a paired agency to its park or street (走访)."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.CASCADE, related_name="visits"
    )
    on = models.DateField(_("date"))
    visitors = models.CharField(_("who visited"), max_length=200)
    enterprises = models.ManyToManyField(
        Enterprise, verbose_name=_("enterprises visited"), blank=True, related_name="visits"
    )
    notes = models.TextField(_("notes"), blank=True)
    issues_found = models.TextField(_("issues found"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.on} {self.pairing}"


class WindowAction(models.TextChoices):
    SET_UP = "set_up", _("window set up")
    REGISTER = "register", _("enterprise registered")
    ADD_CONTACT = "add_contact", _("contact added")
    SUBMIT = "submit", _("complaint submitted")
    NAME_DEPARTMENT = "name_department", _("accountable department named")
    RATE = "rate", _("complaint rated")
    HOLD_DAY = "hold_day", _("service day held")
    RECORD_ISSUE = "record_issue", _("service day issue recorded")
    ISSUE_TO_COMPLAINT = "issue_to_complaint", _("issue made a complaint")
    PAIR = "pair", _("agency paired")
    END_PAIRING = "end_pairing", _("pairing ended")
    LOG_VISIT = "log_visit", _("visit logged")


class WindowEvent(LogEntry):
    """The window's log: one row per change, written by the action that made it."""

    action = models.CharField(_("action"), max_length=32, choices=WindowAction.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("enterprise complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )

    class Meta:
        verbose_name = _("window event")
        verbose_name_plural = _("window events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
