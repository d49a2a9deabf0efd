"""Project monitoring (民生实事 and construction projects): a project of the district with
its responsible department, the street or community where it lies, its budget lines and
its milestones; residents recruited as its monitors (进度员 for progress, 质监员 for
quality) who file dated observations with photos from their phones. An observation of a
problem becomes a case in the normal loop (channel ``project``); the case is linked
from the observation (``Observation.case``), nothing in cases writes these rows.

Everything here changes only through ``civicgrid.projects.actions``, which writes one
``ProjectEvent`` per change (the app's log); a monitor's whole phone number is shown
only through ``actions.reveal_phone``, which logs the reason the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case
from civicgrid.logs import LogEntry
from civicgrid.org.models import Unit
from civicgrid.people.models import reach_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User

# The storage folder of observation photos (``cases.photos.stage_files``).
OBSERVATION_PHOTOS = "project-photos"


def percent_done(milestones: Iterable[tuple[int, bool]]) -> int:
    """How far a project is, in whole percent: the weights of its done milestones over
    the weights of all of them (``(weight, done)`` pairs); 0 without milestones."""
    total = done = 0
    for weight, finished in milestones:
        total += weight
        if finished:
            done += weight
    if total <= 0:
        return 0
    return done * 100 // total


def percent_of(milestones: Iterable[Milestone]) -> int:
    return percent_done((m.weight, m.done_on is not None) for m in milestones)


class ProjectKind(models.TextChoices):
    LIVELIHOOD = "livelihood", _("livelihood project (民生实事)")
    CONSTRUCTION = "construction", _("construction project")


class ProjectState(models.TextChoices):
    PLANNED = "planned", _("planned")
    UNDERWAY = "underway", _("underway")
    COMPLETED = "completed", _("completed")


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user: User | AnonymousUser) -> ProjectQuerySet:
        """The projects ``user`` may see: those their department answers for, those
        lying in their scope (a street's, a community's), and those they monitor. The
        district sees all."""
        ids = reach_ids(user)
        if ids is None:
            return self.all()
        monitored = (
            Monitor.objects.filter(user_id=user.pk, active=True).values("project_id")
            if user.is_authenticated
            else Monitor.objects.none().values("project_id")
        )
        if not ids:
            return self.filter(pk__in=monitored)
        return self.filter(Q(department_id__in=ids) | Q(unit_id__in=ids) | Q(pk__in=monitored))


class Project(models.Model):
    """A major project of the district: a 民生实事 or a construction project."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=ProjectKind.choices)
    # The functional department that answers for it (责任部门).
    department = models.ForeignKey(
        Unit,
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="projects_answered_for",
    )
    # The street or community where it lies: its staff see it and recruit its monitors.
    unit = models.ForeignKey(
        Unit, verbose_name=_("where it lies"), on_delete=models.PROTECT, related_name="projects"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ProjectState.choices, default=ProjectState.PLANNED
    )
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Where a case made of an observation is located (None: the district's queue).
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["unit"], name="projects_by_unit"),
            models.Index(fields=["department"], name="projects_by_department"),
        ]

    def __str__(self) -> str:
        return self.name

    def percent_done(self) -> int:
        return percent_of(self.milestones.all())


class BudgetLine(models.Model):
    """A line of a project's budget (预算): an item and its amount in yuan."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="budget_lines"
    )
    item = models.CharField(_("item"), max_length=120)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["project", "pk"]

    def __str__(self) -> str:
        return f"{self.item} {self.amount}"


MAX_AMOUNT = Decimal("999999999999.99")


class Milestone(models.Model):
    """A step of a project (节点), planned for a day, done on another; its weight counts
    towards the project's percentage done."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(_("name"), max_length=120)
    planned_on = models.DateField(_("planned day"))
    done_on = models.DateField(_("done day"), null=True, blank=True)
    weight = models.PositiveIntegerField(_("weight"), default=1)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "planned_on", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def done(self) -> bool:
        return self.done_on is not None


class MonitorRole(models.TextChoices):
    PROGRESS = "progress", _("progress monitor (进度员)")
    QUALITY = "quality", _("quality monitor (质监员)")


class Monitor(models.Model):
    """A resident recruited to watch a project: their name and phone are personal data,
    masked on every page (the whole number only through the logged reveal)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="monitors"
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    role = models.CharField(_("role"), max_length=16, choices=MonitorRole.choices)
    # Their account, for the phone page (/projects/me/).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="project_monitors",
    )
    active = models.BooleanField(_("active"), default=True)
    recruited_on = models.DateField(_("recruited on"))
    # When they stopped watching (``actions.retire_monitor``): their observations stay.
    retired_on = models.DateField(_("retired on"), null=True, blank=True)

    class Meta:
        verbose_name = _("project monitor")
        verbose_name_plural = _("project monitors")
        ordering = ["project", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user", "role"],
                condition=Q(user__isnull=False, active=True),
                name="one_active_monitor_seat_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_role_display()}"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


def mask_name(name: str) -> str:
    """A name as the public reads it: the family name and a star (张*)."""
    name = (name or "").strip()
    if not name:
        return ""
    return f"{name[0]}*"


class ObservationKind(models.TextChoices):
    PROGRESS = "progress", _("progress")
    QUALITY = "quality", _("quality")


class Observation(models.Model):
    """What a monitor saw on a day: progress or quality, in words and photos; a problem
    becomes a case (``case``)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="observations"
    )
    monitor = models.ForeignKey(
        Monitor, verbose_name=_("monitor"), on_delete=models.PROTECT, related_name="observations"
    )
    observed_on = models.DateField(_("day observed"))
    kind = models.CharField(_("kind"), max_length=16, choices=ObservationKind.choices)
    text = models.TextField(_("what was seen"))
    problem = models.BooleanField(_("a problem"), default=False)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_observations",
    )
    filed_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-observed_on", "-pk"]
        indexes = [models.Index(fields=["project", "observed_on"], name="observations_by_day")]

    def __str__(self) -> str:
        return f"{self.project_id} · {self.observed_on:%Y-%m-%d}"


class ObservationPhoto(models.Model):
    """A photo of an observation (see ``cases.photos``: checked by content, staged
    until the commit)."""

    observation = models.ForeignKey(
        Observation, verbose_name=_("observation"), on_delete=models.CASCADE, related_name="photos"
    )
    name = models.CharField(_("file"), max_length=200, unique=True)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))

    class Meta:
        verbose_name = _("observation photo")
        verbose_name_plural = _("observation photos")
        ordering = ["observation", "pk"]

    def __str__(self) -> str:
        return self.name


class ProjectAction(models.TextChoices):
    """What happened: the name of each ``ProjectEvent``."""

    CREATE_PROJECT = "create_project", _("project created")
    ADD_BUDGET_LINE = "add_budget_line", _("budget line added")
    ADD_MILESTONE = "add_milestone", _("milestone added")
    COMPLETE_MILESTONE = "complete_milestone", _("milestone done")
    RECRUIT_MONITOR = "recruit_monitor", _("monitor recruited")
    RETIRE_MONITOR = "retire_monitor", _("monitor retired")
    REVEAL_PHONE = "reveal_phone", _("phone number shown")
    FILE_OBSERVATION = "file_observation", _("observation filed")
    MAKE_CASE = "make_case", _("observation made a case")


class ProjectEvent(LogEntry):
    """The app's log: one row per change (and per phone number shown), written by the
    action that made it."""

    action = models.CharField(_("action"), max_length=32, choices=ProjectAction.choices)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="events"
    )
    monitor = models.ForeignKey(
        Monitor,
        verbose_name=_("monitor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    observation = models.ForeignKey(
        Observation,
        verbose_name=_("observation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )

    class Meta:
        verbose_name = _("project event")
        verbose_name_plural = _("project events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["project", "at"], name="project_events_by_time")]
