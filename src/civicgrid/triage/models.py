"""What the machine proposes and what people decided: classifier versions, the
suggestion for each new case, and staff corrections (next version's training data)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case, Category


class ModelVersion(models.Model):
    """A trained classifier, with its evaluation on a held-out part of its data. One
    version at most is active: the one intake uses."""

    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("trained by"),
    )
    source = models.CharField(_("trained on"), max_length=200)
    examples = models.PositiveIntegerField(_("examples"))
    seconds = models.FloatField(_("training seconds"))
    evaluation = models.JSONField(_("held-out evaluation"))
    labels = models.JSONField(_("categories"))
    data = models.BinaryField(_("model data"))
    active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_classifier"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.pk} · {self.source}"

    @property
    def macro_f1(self) -> float | None:
        return (self.evaluation or {}).get("macro_f1")


class Suggestion(models.Model):
    """The machine's reading of a new case: category with confidence, emergency words,
    likely duplicates. Staff accept it or choose otherwise (a ``Correction``)."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="suggestion"
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("category"),
    )
    confidence = models.FloatField(_("confidence"), default=0.0)
    ranked = models.JSONField(
        _("ranked categories"), default=list, help_text=_("[[category code, probability], …]")
    )
    model = models.ForeignKey(
        ModelVersion,
        verbose_name=_("model version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    emergency = models.BooleanField(_("emergency words"), default=False)
    duplicates = models.JSONField(
        _("likely duplicates"), default=list, help_text=_("[[tracking code, similarity], …]")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.category_id} ({self.confidence:.2f})"


class Correction(models.Model):
    """A person chose another category than the machine's: kept as training data."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )
    suggested = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("suggested category"),
    )
    chosen = models.ForeignKey(
        Category, verbose_name=_("chosen category"), on_delete=models.CASCADE, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        null=True,
        on_delete=models.SET_NULL,
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.suggested_id} → {self.chosen_id}"


class HotBoard(models.Model):
    """The hot issues of one unit's cases over a window, as the worker last computed them
    (``triage.boards``): a board is made when someone first opens it and refreshed on a
    schedule, so opening it costs a read, not a clustering of a month of cases."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField(_("window in days"))
    clusters = models.JSONField(default=list)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    viewed_at = models.DateTimeField(_("last viewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hot-issue board")
        verbose_name_plural = _("hot-issue boards")
        constraints = [
            models.UniqueConstraint(fields=["unit", "days"], name="one_board_per_unit_window")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.days} d"
