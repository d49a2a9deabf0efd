"""Conventions (公约) and their scoring: the district's templates, a council's adopted
convention and its versions, members' signatures, scoring periods and their scores.
Written only by ``civicgrid.councils.scoring`` (each change one ``CouncilEvent``);
read by ``civicgrid.councils.conventions``. The terms (items, indicators, points,
rewards and penalties) are JSON in the shape of ``councils.terms``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.councils.models import Council, CouncilMember

# The storage folder of inspection photos (``cases.photos.stage_files``).
INSPECTION_PHOTOS = "council-photos"


class ConventionTemplate(models.Model):
    """A district's model convention (区公约模板), which councils adopt and adapt."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    terms = models.JSONField(_("terms"))
    active = models.BooleanField(_("offered to councils"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("convention template")
        verbose_name_plural = _("convention templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Convention(models.Model):
    """A council's convention (自治公约): copied from a template (or imported), then
    adapted; each amendment raises ``version``, and members sign a version."""

    council = models.OneToOneField(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="convention"
    )
    template = models.ForeignKey(
        ConventionTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    terms = models.JSONField(_("terms"))
    version = models.PositiveIntegerField(_("version"), default=1)
    adopted_at = models.DateTimeField(_("adopted at"))
    amended_at = models.DateTimeField(_("amended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")

    def __str__(self) -> str:
        return self.name


class Signature(models.Model):
    """A member signed a version of the convention (签署公约), on their phone."""

    convention = models.ForeignKey(
        Convention,
        verbose_name=_("convention"),
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    member = models.ForeignKey(
        CouncilMember,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    version = models.PositiveIntegerField(_("version"))
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["convention", "signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "member", "version"], name="one_signature_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} v{self.version}"


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


class PeriodState(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("self-assessment")  # 自评
    INSPECTION = "inspection", _("joint inspection")  # 联合巡查
    RATED = "rated", _("rated by the council")  # 理事会评定
    PUBLISHED = "published", _("published")  # 已公布


class ScoringPeriod(models.Model):
    """One round of scoring (a month or a quarter) of a council's convention. Its terms
    are the convention's as it opened; its members, those who had signed that version."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="periods"
    )
    convention = models.ForeignKey(
        Convention, verbose_name=_("convention"), on_delete=models.CASCADE, related_name="periods"
    )
    cadence = models.CharField(_("cadence"), max_length=16, choices=Cadence.choices)
    key = models.CharField(_("period"), max_length=7)  # 2026-03 or 2026-Q1
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    state = models.CharField(_("state"), max_length=16, choices=PeriodState.choices)
    terms = models.JSONField(_("terms"))
    convention_version = models.PositiveIntegerField(_("convention version"))
    opened_at = models.DateTimeField(_("opened at"))
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Set when rated: the members' totals, the red and black lists (``scoring.results``).
    results = models.JSONField(_("results"), default=dict, blank=True)
    # The council's score out of 100 (its members' average), for the district's ranking.
    average = models.FloatField(_("average score"), null=True, blank=True)

    class Meta:
        verbose_name = _("scoring period")
        verbose_name_plural = _("scoring periods")
        ordering = ["council", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "key"], name="one_period_per_key")
        ]
        indexes = [
            models.Index(fields=["council", "state", "-ends_on"], name="council_periods_latest")
        ]

    def __str__(self) -> str:
        return f"{self.council} {self.key}"


class Score(models.Model):
    """A member's score on one indicator in one period, in three layers: their own
    self-assessment, the joint inspection's finding (with photos), and the council's
    rating (final)."""

    period = models.ForeignKey(
        ScoringPeriod,
        verbose_name=_("scoring period"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    member = models.ForeignKey(
        CouncilMember, verbose_name=_("member"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.CharField(_("indicator"), max_length=8)  # the terms' key, "2.1"
    self_points = models.PositiveSmallIntegerField(_("self-assessed points"), null=True, blank=True)
    self_note = models.CharField(_("self-assessment note"), max_length=300, blank=True)
    findings = models.PositiveSmallIntegerField(_("findings"), null=True, blank=True)
    inspected_points = models.PositiveSmallIntegerField(
        _("inspected points"), null=True, blank=True
    )
    inspection_note = models.CharField(_("inspection note"), max_length=300, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    final_points = models.PositiveSmallIntegerField(_("final points"), null=True, blank=True)
    final_note = models.CharField(_("rating note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["period", "member", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "member", "indicator"], name="one_score_per_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_id}/{self.member_id}/{self.indicator}"


class InspectionPhoto(models.Model):
    """A photo taken as evidence in a joint inspection (see ``cases.photos``: checked
    by content, staged until the commit)."""

    score = models.ForeignKey(
        Score, verbose_name=_("score"), on_delete=models.CASCADE, related_name="photos"
    )
    name = models.CharField(_("file"), max_length=200, unique=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        ordering = ["score", "created_at", "id"]

    def __str__(self) -> str:
        return self.name
