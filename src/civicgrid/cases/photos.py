"""Photos of a case (the resident's, the patrol's before/after, the handler's proof):
checked by their content with Pillow, not by their name; limited in bytes and pixels;
re-encoded without EXIF (which carries the place a photo was taken, the phone's make,
sometimes the owner's name) and stored through Django's storage API.

A photo's file is staged first and moved to its place when the transaction that
writes its ``Photo`` row commits (``stage``), so a refused or rolled-back change
leaves no file behind; events name their photos in ``CaseEvent.attachments`` by
storage name.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicgrid.cases.models import Case, Photo
from civicgrid.errors import Invalid, NotFound

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


# Where a photo's file waits until the transaction that writes its row commits.
STAGING = "staging/"
# A staged file without a row this old is a rolled-back transaction's: ``tidy`` removes it.
STAGED_FOR = timedelta(hours=1)
# A photo uploaded through the API for a handle/resolve that never came.
UNATTACHED_FOR = timedelta(days=1)

# The names staged inside the innermost ``discard_on_failure`` block.
_staged: ContextVar[list[str] | None] = ContextVar("civicgrid_staged_photos", default=None)


def stage(
    case: Case, photos: Iterable[CheckedPhoto], *, added_by: User | None, attached: bool = True
) -> list[Photo]:
    """Store checked photos' files under ``staging/`` and return their rows, not yet
    written; call inside the transaction that writes them. When it commits, the files
    move to their place (``transaction.on_commit``); when it rolls back, they stay in
    staging, to be removed by ``discard_on_failure`` at once or by ``tidy`` later.
    ``attached``: named by an event (an API upload is attached by a later one)."""
    return [
        Photo(
            case=case,
            name=name,
            added_by=added_by,
            width=photo.width,
            height=photo.height,
            attached=attached,
        )
        for name, photo in stage_files(photos)
    ]


# Other domains' photo rows (a council's inspection photos), by their files' folder:
# ``tidy`` asks them whether a staged file's row was committed.
_rows_elsewhere: dict[str, Callable[[str], bool]] = {}


def keep_rows_of(folder: str, committed: Callable[[str], bool]) -> None:
    """Tell ``tidy`` that files staged under ``folder`` (``stage_files``) belong to rows
    that ``committed(name)`` finds."""
    _rows_elsewhere[folder.rstrip("/") + "/"] = committed


def stage_files(
    photos: Iterable[CheckedPhoto], *, folder: str = "photos"
) -> list[tuple[str, CheckedPhoto]]:
    """``stage`` for any row that names a photo file: each photo's storage name (under
    ``folder``) and the photo, its file staged and promoted on commit. Another domain's
    folder must be registered with ``keep_rows_of``."""
    now = timezone.now()
    staged = _staged.get()
    names: list[str] = []
    found: list[tuple[str, CheckedPhoto]] = []
    for photo in photos:
        name = f"{folder}/{now:%Y/%m}/{uuid.uuid4().hex}.{photo.extension}"
        default_storage.save(STAGING + name, ContentFile(photo.content))
        if staged is not None:
            staged.append(name)
        names.append(name)
        found.append((name, photo))
    if names:
        transaction.on_commit(lambda: promote(names))
    return found


def _committed(name: str) -> bool:
    for folder, committed in _rows_elsewhere.items():
        if name.startswith(folder):
            return committed(name)
    return Photo.objects.filter(name=name).exists()


def promote(names: Iterable[str]) -> None:
    """Move staged files to their place (their rows are committed)."""
    for name in names:
        staged = STAGING + name
        if not default_storage.exists(staged):
            continue  # promoted already (by ``tidy``, racing this)
        with default_storage.open(staged) as content:
            if not default_storage.exists(name):
                default_storage.save(name, content)
        default_storage.delete(staged)


@contextmanager
def discard_on_failure() -> Iterator[None]:
    """Around a transaction that stages photos: if it fails, its staged files go at
    once (they would otherwise wait for ``tidy``). Nested blocks hand their names up,
    so an outer failure discards an inner success's files too."""
    outer = _staged.get()
    mine: list[str] = []
    token = _staged.set(mine)
    try:
        yield
    except BaseException:
        for name in mine:
            default_storage.delete(STAGING + name)
        raise
    finally:
        _staged.reset(token)
    if outer is not None:
        outer.extend(mine)


def _files(directory: str) -> Iterator[str]:
    """Every file under ``directory`` of the default storage, recursively."""
    if not default_storage.exists(directory):
        return
    subdirectories, files = default_storage.listdir(directory)
    for name in files:
        yield f"{directory}{name}"
    for sub in subdirectories:
        yield from _files(f"{directory}{sub}/")


@dataclass
class Tidied:
    promoted: int = 0
    discarded: int = 0
    unattached: int = 0


def open_photo(name: str) -> IO[bytes]:
    """A stored photo's file (its row committed). If the process that committed it died
    before moving the file into place, it is still in staging: read from there."""
    for path in (name, STAGING + name):
        if default_storage.exists(path):
            return default_storage.open(path)
    raise NotFound(_("No such photo."))


def tidy(now: datetime | None = None) -> Tidied:
    """Staged files whose row is committed (the process died before it could move
    them): moved into place; staged files without a row, older than ``STAGED_FOR`` (a
    transaction that rolled back): removed. And photos uploaded through the API but
    named by no event within ``UNATTACHED_FOR``: removed, row and file. Run by each
    deadline sweep."""
    now = now or timezone.now()
    done = Tidied()
    for staged in _files(STAGING):
        name = staged.removeprefix(STAGING)
        if _committed(name):
            promote([name])
            done.promoted += 1
        elif default_storage.get_modified_time(staged) < now - STAGED_FOR:
            default_storage.delete(staged)
            done.discarded += 1
    stale = Photo.objects.filter(attached=False, created_at__lt=now - UNATTACHED_FOR)
    for photo in stale:
        # the row first: a photo an event names meanwhile keeps its file
        if Photo.objects.filter(pk=photo.pk, attached=False).delete()[0]:
            default_storage.delete(photo.name)
            done.unattached += 1
    return done
