"""The triage pipeline in the product: train and activate classifier versions, and
read each new case (category with confidence, emergency words, likely duplicates).

A confident reading of a familiar message (one like those the classifier learned from:
``Prediction.familiar``) is applied at once (the system triages; the case still waits
for its dispatcher); a doubtful or unfamiliar one waits in the triage queue for a person.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Category, State
from civicgrid.errors import Invalid, Refusal
from civicgrid.org.models import User
from civicgrid.triage.duplicates import likely_duplicates
from civicgrid.triage.emergency import is_emergency
from civicgrid.triage.models import Correction, ModelVersion, Suggestion
from civicgrid.triage.textmodel import TextClassifier, train_with_holdout

MIN_EXAMPLES = 20


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    titles: Sequence[str] | None = None,
    *,
    source: str,
    by: User | None = None,
    activate: bool = False,
) -> ModelVersion:
    """Train on (text, category code) pairs, evaluate on a held-out fifth, store a new
    version; unknown category codes are refused before anything is trained."""
    if len(texts) < MIN_EXAMPLES:
        raise Invalid(_("At least %(n)s examples are needed to train.") % {"n": MIN_EXAMPLES})
    known = set(Category.objects.filter(code__in=set(labels)).values_list("code", flat=True))
    if unknown := sorted(set(labels) - known):
        raise Invalid(
            _("Unknown category codes in the labels: %(codes)s")
            % {"codes": ", ".join(unknown[:10])}
        )
    if len(set(labels)) < 2:
        raise Invalid(_("Training needs at least two categories."))
    started = time.perf_counter()
    model, evaluation = train_with_holdout(list(texts), list(labels), titles)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        version = ModelVersion.objects.create(
            created_by=by,
            source=source[:200],
            examples=len(texts),
            seconds=round(seconds, 2),
            evaluation=dataclasses.asdict(evaluation),
            labels=model.labels,
            data=model.to_bytes(),
        )
        if activate:
            activate_version(version)
    return version


def activate_version(version: ModelVersion) -> None:
    with transaction.atomic():
        ModelVersion.objects.filter(active=True).exclude(pk=version.pk).update(active=False)
        ModelVersion.objects.filter(pk=version.pk).update(active=True)
        version.active = True


def training_rows_from_cases(
    per_category: int | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """(texts, category codes, titles) of closed cases: what the district decided.
    ``per_category``: only that many of each category, the most recently closed."""
    newest_first = [F("closed_at").desc(), F("pk").desc()]
    cases = Case.objects.filter(state=State.CLOSED, category__isnull=False)
    if per_category is not None:  # counted by the database, not read and skipped here
        place = Window(RowNumber(), partition_by=[F("category")], order_by=newest_first)
        cases = cases.annotate(place=place).filter(place__lte=per_category)
    rows = cases.order_by(*newest_first).values_list("text", "category__code", "title")
    texts, labels, titles = [], [], []
    for text, code, title in rows.iterator(chunk_size=2000):
        texts.append(text)
        labels.append(code)
        titles.append(title)
    return texts, labels, titles


class _Loaded:
    """The active version, unpickled once per process and reloaded when another
    version becomes active."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (id, trained at): an id alone can come back on SQLite after the newest
        # version is deleted and another trained.
        self.key: tuple[int, object] | None = None
        self.model: TextClassifier | None = None

    def get(self) -> tuple[ModelVersion | None, TextClassifier | None]:
        version = ModelVersion.objects.filter(active=True).defer("data").first()
        if version is None:
            return None, None
        with self.lock:
            key = (version.pk, version.created_at)
            if self.key != key:
                data = ModelVersion.objects.values_list("data", flat=True).get(pk=version.pk)
                self.model = TextClassifier.from_bytes(bytes(data))
                self.key = key
            return version, self.model


_loaded = _Loaded()


def suggest(case: Case) -> Suggestion:
    """Read a case once (again: replaces its suggestion) and apply a confident one."""
    version, model = _loaded.get()
    category, confidence, ranked, familiar = None, 0.0, [], False
    if model is not None:
        prediction = model.predict(case.text, case.title)
        ranked = [[label, round(p, 4)] for label, p in prediction.ranked[:5]]
        confidence = prediction.confidence
        familiar = prediction.familiar
        category = Category.objects.filter(code=prediction.label, active=True).first()
    text = f"{case.title} {case.text}"
    duplicates = likely_duplicates(
        text, lon=case.lon, lat=case.lat, grid_id=case.grid_id, exclude=case.pk
    )
    suggestion, _created = Suggestion.objects.update_or_create(
        case=case,
        defaults={
            "category": category,
            "confidence": round(confidence, 4),
            "ranked": ranked,
            "model": version,
            "emergency": is_emergency(text),
            "duplicates": [[d.case.tracking_code, d.similarity] for d in duplicates],
        },
    )
    # The machine acts alone only on a confident reading of a message like those it
    # learned from: on other wording it can be confidently wrong.
    if (
        category is not None
        and confidence >= settings.TRIAGE_AUTO_CONFIDENCE
        and familiar
        and case.category_id is None
        and case.state == State.SUBMITTED
    ):
        with contextlib.suppress(Refusal):  # someone acted on it meanwhile: theirs stands
            actions.triage_case(
                case,
                actor=None,
                category=category,
                urgency=case.urgency,
                note=_("By the classifier (confidence %(c).2f).") % {"c": confidence},
            )
    return suggestion


def decide(case: Case, *, actor: User, category: Category, urgency: str) -> Case:
    """A person triages from the queue; a choice other than the machine's is kept as
    training data for the next version."""
    with transaction.atomic():
        case = actions.triage_case(case, actor=actor, category=category, urgency=urgency)
        suggestion = Suggestion.objects.filter(case=case).first()
        if suggestion is not None and suggestion.category_id != category.pk:
            Correction.objects.create(
                case=case, suggested=suggestion.category, chosen=category, by=actor
            )
    return case
