"""What a request may carry: the one place free text, whole numbers, numbers and
coordinates from outside are checked, by every surface (API, Open311, forms, pages).

Each check refuses with ``errors.Invalid`` (400) naming the field, in the user's
language. ``web.middleware.InputMiddleware`` applies ``unstorable`` to everything a
request carries before any view runs (path, query string, header values, form and
multipart fields, file names, and the strings of a JSON body); the number checks are
called by the views and, through ``WholeNumber``, by the API's schemas, so the
OpenAPI document states the same ranges that are enforced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from civicgrid.errors import Invalid

# What neither database can store in text: NUL (PostgreSQL refuses it in text and
# jsonb) and UTF-16 surrogates without their pair (not encodable as UTF-8 at all; they
# reach Python only from a JSON escape such as "\ud800").
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Numbers as people and programs write them, in ASCII only: Python's int() and float()
# also take "²"-free Unicode digits ("١٢"), underscores ("1_0") and "nan"/"inf".
WHOLE = re.compile(r"[+-]?[0-9]{1,30}")
DECIMAL = re.compile(
    r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?"
)

LONGITUDE = (-180.0, 180.0)
LATITUDE = (-90.0, 90.0)
# The years a moment from outside may fall in: far enough from datetime's ends (years 1
# and 9999) that a time zone's shift or a 90-day window never leaves them.
YEARS = (1900, 9000)


def unstorable(field: str) -> Invalid:
    """The refusal of ``field`` for a character no database keeps."""
    return Invalid(
        _(
            "The field %(field)s contains a character that cannot be stored "
            "(NUL or a lone surrogate)."
        )
        % {"field": field},
        field=field,
        kind="unstorable",
    )


def text(value: str, field: str, *, max_length: int | None = None) -> str:
    """``value`` if every character of it can be stored (and, given ``max_length``, if
    its column holds it); refused otherwise."""
    if UNSTORABLE.search(value):
        raise unstorable(field)
    if max_length is not None and len(value) > max_length:
        raise Invalid(
            _("%(field)s is too long (at most %(n)s characters).")
            % {"field": field, "n": max_length},
            field=field,
            kind="too_long",
        )
    return value


# GB 32100-2015, the unified social credit code (统一社会信用代码): 18 characters of
# this alphabet (no I, O, S, V, Z); the last is a check character over the first 17.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """The check character of a credit code whose first 17 characters are ``first17``."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code(value: str, field: str = "credit_code") -> str:
    """A unified social credit code, upper-cased, if it is well formed and its check
    character is right; refused otherwise."""
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in CREDIT_CODE_ALPHABET for c in code):
        raise Invalid(
            _("A unified social credit code is 18 digits and capital letters."),
            field=field,
        )
    if credit_code_check(code[:17]) != code[17]:
        raise Invalid(
            _("This unified social credit code is not valid (its check character is wrong)."),
            field=field,
        )
    return code


def first_unstorable(items: Iterable[tuple[str, Any]]) -> str | None:
    """The name of the first field whose name or text cannot be stored, among ``(name,
    value)`` pairs whose values are strings or JSON-like nests of them (a field inside
    is named ``outer.inner`` or ``list[2]``). The name comes back with its own bad
    characters shown as "?". Iterative: a JSON body nests as deep as its parser allows."""
    pending = list(items)[::-1]
    while pending:
        name, value = pending.pop()
        if UNSTORABLE.search(name):
            return UNSTORABLE.sub("?", name)
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return name
        elif isinstance(value, dict):
            inner = [(f"{name}.{k}" if name else str(k), v) for k, v in value.items()]
            pending.extend(reversed(inner))
        elif isinstance(value, list):
            pending.extend(reversed([(f"{name}[{i}]", v) for i, v in enumerate(value)]))
    return None


def whole_number(value: Any, field: str, lo: int, hi: int) -> int:
    """A whole number from ``lo`` to ``hi``: an int (not a bool) or its ASCII digits."""
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Invalid(
            _("%(field)s must be a whole number from %(lo)s to %(hi)s.")
            % {"field": field, "lo": lo, "hi": hi},
            field=field,
            kind="whole_number",
        )
    return value


MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
MONTH_YEARS = (2000, 2099)


def month(value: Any, field: str) -> tuple[int, int]:
    """A calendar month written ``YYYY-MM`` in ASCII digits (``2025-03``), years
    2000–2099: its year and month. Full-width or other Unicode digits ("２０２５-０３"),
    which ``int`` would read, are refused like any other text."""
    found = MONTH.fullmatch(value) if isinstance(value, str) else None
    if found is not None:
        year, number = int(found[1]), int(found[2])
        if MONTH_YEARS[0] <= year <= MONTH_YEARS[1] and 1 <= number <= 12:
            return year, number
    raise Invalid(
        _("%(field)s must be a month written as 2025-03 (ASCII digits), in 2000–2099.")
        % {"field": field},
        field=field,
        kind="month",
    )


DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def optional_day(value: str | None, field: str) -> date | None:
    """``day``, or None for an empty field."""
    return day(value, field) if (value or "").strip() else None


def day(value: str | None, field: str) -> date:
    """A date as a form's date field sends it (``YYYY-MM-DD``, ASCII digits) in the years
    any moment from outside may fall in."""
    text = (value or "").strip()
    refusal = Invalid(
        _("%(field)s is not a date (YYYY-MM-DD).") % {"field": field}, field=field, kind="date"
    )
    if not DAY.fullmatch(text):
        raise refusal
    try:
        found = date.fromisoformat(text)
    except ValueError:
        raise refusal from None
    if not YEARS[0] <= found.year <= YEARS[1]:
        raise refusal
    return found


def finite(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not one (text in ASCII only)."""
    if isinstance(value, str):
        value = value.strip()
        if not DECIMAL.fullmatch(value):
            return None
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def number(value: Any, field: str, lo: float, hi: float) -> float:
    """A finite number from ``lo`` to ``hi``."""
    found = finite(value)
    if found is None or not lo <= found <= hi:
        raise Invalid(
            _("%(field)s must be a number from %(lo)s to %(hi)s.")
            % {"field": field, "lo": lo, "hi": hi},
            field=field,
            kind="number",
        )
    return found


def moment(value: datetime, field: str) -> datetime:
    """A moment a request names (a page marker, a date range), in ``YEARS``."""
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise Invalid(
            _("%(field)s must fall between the years %(lo)s and %(hi)s.")
            % {"field": field, "lo": YEARS[0], "hi": YEARS[1]},
            field=field,
            kind="moment",
        )
    return value


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def coordinate(
    lon: Any, lat: Any, *, fields: tuple[str, str] = ("lon", "lat")
) -> tuple[float, float] | None:
    """A WGS-84 point (longitude, latitude), or None when neither is given: both or
    neither, finite, on Earth. ``fields`` name them as the surface does."""
    if not _given(lon) and not _given(lat):
        return None
    if not _given(lon) or not _given(lat):
        missing = fields[0] if not _given(lon) else fields[1]
        raise Invalid(
            _("A location needs both longitude and latitude."), field=missing, kind="missing"
        )
    x, y = finite(lon), finite(lat)
    if x is None or y is None:
        raise Invalid(
            _("The location is not a pair of numbers."),
            field=fields[0] if x is None else fields[1],
            kind="number",
        )
    if not (LONGITUDE[0] <= x <= LONGITUDE[1] and LATITUDE[0] <= y <= LATITUDE[1]):
        raise Invalid(
            _("The location (%(lon)s, %(lat)s) is not on Earth.") % {"lon": x, "lat": y},
            field=fields[0] if not LONGITUDE[0] <= x <= LONGITUDE[1] else fields[1],
            kind="out_of_range",
        )
    return x, y


# --- the same checks as the API's schemas declare them -----------------------------------


# A value of the wrong type or range in a typed API parameter is the validator's to
# refuse (422, as Ninja refuses any), with this module's sentence.
SCHEMA_KINDS = ("whole_number",)


def _whole_in(lo: int, hi: int) -> BeforeValidator:
    def check(value: Any, info: ValidationInfo) -> int:
        try:
            return whole_number(value, info.field_name or "", lo, hi)
        except Invalid as refusal:
            raise PydanticCustomError(refusal.kind, refusal.message) from None

    return BeforeValidator(check)


def WholeNumber(lo: int, hi: int) -> Any:
    """An int field refused by ``whole_number`` outside ``lo``–``hi`` (documented so)."""
    return Annotated[int, Field(ge=lo, le=hi), _whole_in(lo, hi)]


# Ids and versions: what PostgreSQL's bigint holds.
ID_MAX = 2**63 - 1
Id = WholeNumber(1, ID_MAX)
Version = WholeNumber(0, ID_MAX)
