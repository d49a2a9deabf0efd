"""Intake's two-step workflows leave nothing behind when their second step is refused:
no case, no photo file (staged until the commit), no queued reading, no announcement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from civicgrid.cases.models import Case, Photo, State
from civicgrid.org.models import Role
from tests.factories import make_member, submit
from tests.images import image_bytes, upload
from tests.intake.conftest import INSIDE


def files() -> list[str]:
    """Every file under the media root (photos in place and staged)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class Announcements:
    """The task library's ``task_enqueued`` signals heard while in use."""

    def __init__(self) -> None:
        self.heard: list[Any] = []

    def __call__(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        self.heard.append(task_result)

    def __enter__(self) -> Announcements:
        task_enqueued.connect(self)
        return self

    def __exit__(self, *exc: object) -> None:
        task_enqueued.disconnect(self)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


PATROL = {
    "text": "楼道里堆放纸箱，堵住消防通道。",
    "lon": str(INSIDE[0]),
    "lat": str(INSIDE[1]),
    "fixed": "1",
    "reply": "已联系住户清走纸箱。",
}


def test_a_refused_fix_on_patrol_stores_no_case_photo_or_reading(district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    worker = make_member(tree.grids[0], Role.GRID_WORKER)
    with Announcements() as announced:
        response = logged_in(worker).post(
            "/intake/patrol/",
            {
                **PATROL,
                "category": categories["micro_not_grid"].code,  # a grid may not fix it itself
                "before": [upload(image_bytes(), "before.jpg")],
                "after": [upload(image_bytes(), "after.jpg")],
            },
        )
    assert response.status_code == 400 and "不能由网格自行处置" in response.content.decode()
    assert not Case.objects.exists() and not Photo.objects.exists()
    assert files() == [], "the before photo was staged, then discarded with the refusal"
    assert not DBTaskResult.objects.exists() and announced.heard == []


def test_a_fix_on_patrol_moves_its_photos_into_place_on_commit(
    district,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    tree, categories = district
    worker = make_member(tree.grids[0], Role.GRID_WORKER)
    with Announcements() as announced, django_capture_on_commit_callbacks(execute=True):
        response = logged_in(worker).post(
            "/intake/patrol/",
            {
                **PATROL,
                "category": categories["micro"].code,
                "before": [upload(image_bytes(), "before.jpg")],
                "after": [upload(image_bytes(), "after.jpg")],
            },
        )
    assert response.status_code == 302, response.content.decode()[:800]
    case = Case.objects.get()
    assert case.state == State.RESOLVED
    names = sorted(Photo.objects.values_list("name", flat=True))
    assert files() == names, "both photos in place, nothing left in staging"
    assert [r.args for r in announced.heard] == [[case.tracking_code]], "one reading, queued"
    assert DBTaskResult.objects.get().args_kwargs["args"] == [case.tracking_code]


def test_a_refused_merge_on_the_hotline_stores_no_case_or_reading(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    operator = make_member(tree.district, Role.OPERATOR)
    elsewhere = submit(tree)
    closed = Case.objects.filter(pk=elsewhere.pk)
    closed.update(state=State.CLOSED)
    call = {"phone": "13612345678", "text": "垃圾桶满了没人清运。", "lon": str(INSIDE[0])}
    call["lat"] = str(INSIDE[1])
    with Announcements() as announced:
        for into in ("NOPE", elsewhere.tracking_code):  # unknown; not open
            response = logged_in(operator).post("/intake/hotline/", {**call, "merge_into": into})
            assert response.status_code == 400, into
    assert list(Case.objects.all()) == [elsewhere]
    assert not DBTaskResult.objects.exists() and announced.heard == []


def test_a_request_with_a_used_idempotency_key_announces_nothing(district) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.intake.actions import IntakeRequest, receive_once

    request = IntakeRequest(text="路灯不亮。", phone="13612345678", lon=INSIDE[0], lat=INSIDE[1])
    case, created = receive_once("key-1", request, channel="api")
    with Announcements() as announced:
        again, created_again = receive_once("key-1", request, channel="api")
    assert created and not created_again and again == case
    assert announced.heard == [] and DBTaskResult.objects.count() == 1
