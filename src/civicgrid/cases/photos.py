"""Photos of a case (the resident's, the patrol's before/after, the handler's proof):
checked by their content with Pillow, not by their name; limited in bytes and pixels;
re-encoded without EXIF (which carries the place a photo was taken, the phone's make,
sometimes the owner's name) and stored through Django's storage API.

A photo is stored first and tied to its case by a ``Photo`` row; events name their
photos in ``CaseEvent.attachments`` by storage name.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicgrid.cases.models import Case, Photo
from civicgrid.errors import Invalid

if TYPE_CHECKING:
    from civicgrid.org.models import User

# Pillow format → (file extension, save options).
FORMATS = {
    "JPEG": ("jpg", {"quality": 88, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85}),
}
MAX_PHOTOS = 3


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed the checks, re-encoded and ready to store."""

    content: bytes
    extension: str
    width: int
    height: int


def max_bytes() -> int:
    return settings.PHOTO_MAX_BYTES


def check_photo(upload: IO[bytes], *, name: str = "") -> CheckedPhoto:
    """Refuse anything that is not a jpeg/png/webp image within the limits; return
    it re-encoded without metadata (EXIF, XMP, comments), turned upright first so a
    phone photo does not lose its orientation with its EXIF."""
    label = name or _("the photo")
    data = upload.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise Invalid(
            _("%(name)s is larger than %(mb)s MB.")
            % {"name": label, "mb": max_bytes() // (1024 * 1024)}
        )
    if not data:
        raise Invalid(_("%(name)s is empty.") % {"name": label})
    max_pixels = settings.PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > max_pixels:
                raise Invalid(
                    _("%(name)s has too many pixels (at most %(mp)s million).")
                    % {"name": label, "mp": max_pixels // 1_000_000}
                )
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(_("%(name)s is not a JPEG, PNG or WebP image.") % {"name": label}) from None
    except (OSError, SyntaxError, ValueError):
        raise Invalid(_("%(name)s is damaged and cannot be read.") % {"name": label}) from None
    kind = image.format or ""
    extension, options = FORMATS[kind]
    upright = ImageOps.exif_transpose(image)
    if kind == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    # A fresh save with no exif/info keeps only the pixels (and palette, transparency).
    fresh = upright.copy()
    fresh.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    fresh.save(out, format=kind, exif=b"", **options)
    return CheckedPhoto(out.getvalue(), extension, fresh.width, fresh.height)


def check_photos(uploads: Sequence[IO[bytes]], names: Sequence[str] = ()) -> list[CheckedPhoto]:
    """All of a submission's photos, or a refusal naming the first bad one."""
    if len(uploads) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    names = list(names) or [""] * len(uploads)
    return [check_photo(u, name=n) for u, n in zip(uploads, names, strict=True)]


def photo_rows(case: Case, photos: Iterable[CheckedPhoto], *, added_by: User | None) -> list[Photo]:
    """Store checked photos' files; their rows, not yet written (``discard`` the files
    if the rows cannot be written)."""
    now = timezone.now()
    rows: list[Photo] = []
    try:
        for photo in photos:
            name = f"photos/{now:%Y/%m}/{uuid.uuid4().hex}.{photo.extension}"
            name = default_storage.save(name, ContentFile(photo.content))
            rows.append(
                Photo(
                    case=case,
                    name=name,
                    added_by=added_by,
                    width=photo.width,
                    height=photo.height,
                )
            )
    except BaseException:
        discard(row.name for row in rows)
        raise
    return rows


def store_photos(case: Case, photos: Iterable[CheckedPhoto], *, added_by: User | None) -> list[str]:
    """Store checked photos as the case's; returns their storage names (for the event's
    attachments). The files go if the rows cannot be written."""
    rows = photo_rows(case, photos, added_by=added_by)
    names = [row.name for row in rows]
    try:
        Photo.objects.bulk_create(rows)
    except BaseException:
        discard(names)
        raise
    return names


def discard(names: Iterable[str]) -> None:
    """Remove stored photos whose case or row was not written after all."""
    for name in names:
        default_storage.delete(name)
