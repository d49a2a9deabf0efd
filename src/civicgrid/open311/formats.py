"""GeoReport v2's two formats and its dates.

XML is the specification's own format; JSON is its programmatic mapping (the "Spark
convention"): a list element becomes an array of its items (``<services><service>`` →
``[{…}]``), an empty element becomes ``null``. Both are built here from the same plain
Python values, so the two can never disagree. Dates are W3C date-times with a zone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.errors import Invalid

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MIME_TYPES = ("text/xml", "application/json")  # as discovery lists them
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

# The element each list holds, per the specification's examples.
ITEM_OF = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


@dataclass(frozen=True)
class Document:
    """A response body: the XML root element's name and the value under it."""

    root: str
    body: dict[str, Any] | list[Any]


# Characters XML 1.0 cannot carry at all, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, list):
        item = ITEM_OF[element.tag]
        for child in value:
            _fill(ElementTree.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(document: Document) -> bytes:
    root = ElementTree.Element(document.root)
    _fill(root, document.body)
    ElementTree.indent(root)
    return XML_DECLARATION + ElementTree.tostring(root, encoding="unicode").encode() + b"\n"


def to_json(document: Document) -> bytes:
    # Without indentation: ``json`` then encodes in C (a list of 1,000 requests in a
    # tenth of the time its Python encoder takes to indent them).
    return json.dumps(document.body, ensure_ascii=False).encode()


def respond(document: Document, fmt: str, status: int = 200) -> HttpResponse:
    content = to_json(document) if fmt == "json" else to_xml(document)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The specification's error list; its codes match the HTTP status."""
    body = [{"code": status, "description": d} for d in descriptions]
    return respond(Document("errors", body), fmt, status=status)


# --- W3C date-times ------------------------------------------------------------------------

W3C = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2}))?)?)?$",
    re.ASCII,  # digits as written in ASCII only, as every number taken in (civicgrid.inputs)
)


def parse_w3c(value: str, field: str) -> datetime:
    """One of the W3C note's forms (``1997``, ``1997-07-16``, ``1997-07-16T19:20:30+01:00``
    …): a time must carry its zone; a date alone means its first moment in the district's
    zone. Anything else is refused, naming the field."""
    # An unencoded "+" in a query string arrives as a space: take it back.
    match = W3C.match(value.strip().replace(" ", "+"))
    refusal = Invalid(
        _("%(field)s is not a W3C date-time such as 2010-01-01T00:00:00Z: %(value)s")
        % {"field": field, "value": value}
    )
    if match is None:
        raise refusal
    parts = match.groupdict()
    try:
        day = datetime(int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1))
        inputs.moment(day, field)
        if parts["zone"] is None:
            return timezone.make_aware(datetime.combine(day.date(), time()))
        fraction = (parts["fraction"] or "0").ljust(6, "0")
        moment = day.replace(
            hour=int(parts["hour"]),
            minute=int(parts["minute"]),
            second=int(parts["second"] or 0),
            microsecond=int(fraction),
        )
        zone = parts["zone"].replace("Z", "+00:00")
        return inputs.moment(datetime.fromisoformat(moment.isoformat() + zone), field)
    except ValueError:
        raise refusal from None


def w3c(moment: datetime | None) -> str | None:
    """A moment in the district's zone, to the second, with its offset."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


MAX_SPAN = timedelta(days=90)
