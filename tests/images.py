"""Images made on the spot for photo tests (no binary fixtures in the repository)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, gps: bool = False) -> bytes:
    """An image; with ``gps`` it carries a camera make, an orientation and a GPS fix."""
    image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "PhoneCo"
        exif[ExifTags.Base.Orientation] = 6  # rotated: the stored photo is turned upright
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (30.0, 15.0, 1.5),
        }
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, data, content_type=content_type)
