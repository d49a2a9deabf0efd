"""What of a case is published: the one place that builds a case's public view.

Every public surface (Open311's requests and updates, the resident's tracking page,
public pages to come) takes a case's words and place from here, never from the case's
fields directly:

- free text (the description, a handler's reply, a reason given to the resident) with
  personal data masked, the resident's own name included;
- the address at estate/road level, the point rounded to about 100 m;
- neither address nor point when the resident asked to keep their identity
  (``ResidentContact.hide_identity``): on a complaint about a neighbour, the place
  alone can name the complainant.

Which cases are published at all (triaged, not withdrawn) is a queryset,
``Case.objects.published()``, so a list cannot forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from civicgrid.cases.models import Case, ResidentContact
from civicgrid.privacy.masking import mask_personal_data, public_address, public_coordinate


def _contact(case: Case) -> ResidentContact | None:
    try:
        return case.contact
    except ObjectDoesNotExist:
        return None


def resident_names(case: Case) -> tuple[str, ...]:
    """The names known to be personal on this case: its resident's."""
    contact = _contact(case)
    return (contact.name,) if contact is not None and contact.name else ()


#: Reply checks' flags (``triage.replies.Flag``) of a reply that says too little to be
#: shown to the resident word for word before a verifier has looked at it.
SAYS_TOO_LITTLE = frozenset({"empty", "too_short", "boilerplate"})


def reply_needs_a_look(reply_check: dict[str, Any]) -> bool:
    """Did the reply check (a resolve event's ``reply_check``) flag the reply as empty,
    too short or stock phrases?"""
    return bool(SAYS_TOO_LITTLE & set(reply_check.get("flags", ())))


def public_text(text: str, case: Case) -> str:
    """Free text about ``case`` fit to publish (its resident's name masked too).
    Read the case with ``select_related("contact")`` when calling this for many."""
    return mask_personal_data(text, resident_names(case)) if text else text


@dataclass(frozen=True)
class PublicCase:
    description: str
    address: str  # estate/road level; empty when hidden
    lon: float | None
    lat: float | None


def public_case(case: Case) -> PublicCase:
    """The case's words and place as the public may read them."""
    names = resident_names(case)
    contact = _contact(case)
    description = mask_personal_data(case.text, names)
    if contact is not None and contact.hide_identity:
        return PublicCase(description, "", None, None)
    return PublicCase(
        description=description,
        address=public_address(case.address, names),
        lon=public_coordinate(case.lon),
        lat=public_coordinate(case.lat),
    )
