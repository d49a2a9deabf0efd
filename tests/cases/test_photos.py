"""Photos: content checked with Pillow, limits kept, EXIF stripped, stored through the
storage API, shown only to those who may see the case."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import ExifTags, Image

from civicgrid.cases import actions
from civicgrid.cases.models import Photo, State, Urgency
from civicgrid.cases.photos import check_photo, check_photos
from civicgrid.errors import Invalid
from tests.cases.conftest import Staff
from tests.factories import submit
from tests.images import image_bytes, upload


def test_exif_and_its_location_are_stripped_and_the_photo_turned_upright() -> None:
    checked = check_photo(io.BytesIO(image_bytes("JPEG", (64, 48), gps=True)))
    assert b"PhoneCo" not in checked.content
    stored = Image.open(io.BytesIO(checked.content))
    exif = stored.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo), "the GPS fix must not survive"
    assert ExifTags.Base.Make not in exif
    assert (checked.width, checked.height) == (48, 64), "orientation 6 applied before stripping"


@pytest.mark.parametrize("fmt,ext", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_the_three_formats_pass(fmt: str, ext: str) -> None:
    checked = check_photo(io.BytesIO(image_bytes(fmt)))
    assert checked.extension == ext
    assert Image.open(io.BytesIO(checked.content)).format == fmt


@pytest.mark.parametrize(
    "data,message",
    [
        (b"this is not an image at all", "不是 JPEG、PNG 或 WebP 图片"),
        (image_bytes("GIF"), "不是 JPEG、PNG 或 WebP 图片"),
        (image_bytes("BMP"), "不是 JPEG、PNG 或 WebP 图片"),
        (image_bytes("JPEG")[:200], "已损坏"),
        (b"", "是空的"),
    ],
)
def test_fakes_and_damaged_files_are_refused_whatever_their_name(data: bytes, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_photo(io.BytesIO(data), name="现场.jpg")
    assert message in refused.value.message and "现场.jpg" in refused.value.message


def test_size_and_pixel_limits(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PHOTO_MAX_BYTES = 1024 * 1024
    with pytest.raises(Invalid, match="大于 1 MB"):
        check_photo(io.BytesIO(b"\xff\xd8" + b"0" * (1024 * 1024)))
    settings.PHOTO_MAX_PIXELS = 1_000_000
    with pytest.raises(Invalid, match="像素过多"):
        check_photo(io.BytesIO(image_bytes("PNG", (1200, 1000))))


def test_at_most_three() -> None:
    with pytest.raises(Invalid, match="最多 3 张"):
        check_photos([io.BytesIO(image_bytes()) for _ in range(4)])


def _handling(staff: Staff):  # type: ignore[no-untyped-def]
    case = submit(staff.tree)
    case = actions.triage_case(
        case,
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    return actions.acknowledge_case(case, actor=staff.community_handler)


def test_resolve_in_the_console_with_a_photo_shown_to_staff_only(
    staff: Staff,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    case = _handling(staff)
    client = Client()
    client.force_login(staff.community_handler)
    with django_capture_on_commit_callbacks(execute=True):  # the file moves in on commit
        response = client.post(
            f"/cases/{case.tracking_code}/resolve/",
            {
                "version": case.version,
                "note": "杂物已清理完毕。",
                "photos": [upload(image_bytes(gps=True), "after.jpg")],
            },
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.RESOLVED
    event = case.events.get(action="resolve")
    [name] = event.attachments
    assert Photo.objects.get(name=name).case == case
    assert default_storage.exists(name) and b"PhoneCo" not in default_storage.open(name).read()

    page = client.get(f"/cases/{case.tracking_code}/").content.decode()
    url = f"/cases/{case.tracking_code}/photos/{name}"
    assert url in page
    shown = client.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"

    other = Client()
    other.force_login(staff.other_community_handler)
    assert other.get(url).status_code == 404, "a community that cannot see the case"
    assert Client().get(url).status_code == 302, "anonymous: to the login page"
    assert client.get(f"/cases/{case.tracking_code}/photos/photos/x.jpg").status_code == 404


def test_a_fake_photo_refuses_the_whole_resolve(staff: Staff) -> None:
    case = _handling(staff)
    client = Client()
    client.force_login(staff.community_handler)
    response = client.post(
        f"/cases/{case.tracking_code}/resolve/",
        {"version": case.version, "note": "已处理。", "photos": [upload(b"MZ fake", "x.jpg")]},
        follow=True,
    )
    assert "不是 JPEG、PNG 或 WebP 图片" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.HANDLING and not Photo.objects.exists()


def test_attachments_must_be_photos_of_the_case(staff: Staff) -> None:
    case = _handling(staff)
    with pytest.raises(Invalid, match="不是本工单的照片"):
        actions.resolve_case(
            case, actor=staff.community_handler, reply="好了", attachments=["photos/other.jpg"]
        )
    case.refresh_from_db()
    assert case.state == State.HANDLING


def test_api_upload_then_resolve_naming_the_photo(staff: Staff) -> None:
    case = _handling(staff)
    client = Client()
    client.force_login(staff.community_handler)
    url = f"/api/cases/{case.tracking_code}/photos"
    response = client.post(url, {"photos": [upload(image_bytes("PNG"), "a.png", "image/png")]})
    assert response.status_code == 200, response.content
    [name] = response.json()["photos"]
    assert name.endswith(".png")
    done = client.post(
        f"/api/cases/{case.tracking_code}/resolve",
        {"version": case.version, "reply": "已清理。", "attachments": [name]},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["events"][-1]["attachments"] == [name]
    assert client.get(f"/api/cases/{case.tracking_code}/photos/{name}").status_code == 200


def test_api_photo_refusals(staff: Staff) -> None:
    case = _handling(staff)
    url = f"/api/cases/{case.tracking_code}/photos"
    dispatcher = Client()
    dispatcher.force_login(staff.other_street_dispatcher)
    assert dispatcher.post(url, {"photos": [upload(image_bytes())]}).status_code == 404
    handler = Client()
    handler.force_login(staff.community_handler)
    fake = handler.post(url, {"photos": [upload(b"<?php echo 1; ?>", "x.jpg")]})
    assert fake.status_code == 400 and "不是 JPEG、PNG 或 WebP 图片" in fake.json()["detail"]
    assert not Photo.objects.exists()
    operator = Client()
    operator.force_login(staff.operator)
    refused = operator.post(url, {"photos": [upload(image_bytes())]})
    assert refused.status_code == 403, "an operator does not resolve: no photos"


def test_a_new_case_with_more_than_three_photos_is_refused_whole(tree) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases.models import Case
    from civicgrid.cases.photos import CheckedPhoto

    photos = tuple(CheckedPhoto(image_bytes(), "jpg", 8, 8) for _ in range(4))
    with pytest.raises(Invalid, match="最多 3 张"):
        submit(tree, photos=photos)
    assert not Case.objects.exists() and not Photo.objects.exists()


def _age(path: str, hours: float) -> None:
    """Make a stored file look ``hours`` old."""
    import os
    import time

    full = default_storage.path(path)
    then = time.time() - hours * 3600
    os.utime(full, (then, then))


def test_the_sweep_tidies_staged_files_and_unattached_uploads(staff: Staff) -> None:
    """A staged file whose row is committed is moved into place (its process died before
    it could); one without a row is a rolled-back change's, removed once old enough; an
    API upload no event named within a day goes, row and file; a named one stays."""
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from civicgrid.cases.photos import STAGING, open_photo, tidy

    case = _handling(staff)
    client = Client()
    client.force_login(staff.community_handler)
    url = f"/api/cases/{case.tracking_code}/photos"
    [named] = client.post(url, {"photos": [upload(image_bytes())]}).json()["photos"]
    [unnamed] = client.post(url, {"photos": [upload(image_bytes())]}).json()["photos"]
    # (no commit in a test transaction: both are still in staging, and readable there)
    assert default_storage.exists(STAGING + named) and not default_storage.exists(named)
    assert open_photo(named).read().startswith(b"\xff\xd8")
    actions.handle_case(case, actor=staff.community_handler, note="已到场", attachments=[named])
    orphan_old = default_storage.save(STAGING + "photos/2026/01/old.jpg", ContentFile(b"x"))
    orphan_new = default_storage.save(STAGING + "photos/2026/01/new.jpg", ContentFile(b"x"))
    _age(orphan_old, 2)

    first = tidy()
    assert (first.promoted, first.discarded, first.unattached) == (2, 1, 0)
    assert default_storage.exists(named) and default_storage.exists(unnamed)
    assert not default_storage.exists(orphan_old), "a rolled-back change's file"
    assert default_storage.exists(orphan_new), "its transaction may still be running"

    Photo.objects.update(created_at=timezone.now() - timedelta(days=2))
    second = tidy()
    assert second.unattached == 1
    assert set(Photo.objects.values_list("name", flat=True)) == {named}
    assert default_storage.exists(named) and not default_storage.exists(unnamed)
