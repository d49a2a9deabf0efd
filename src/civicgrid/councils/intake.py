"""How a council's item or problem becomes a case: through intake like every channel's
request (``intake.actions.receive``, channel 理事会), in the district dispatchers' queue,
from where the normal loop routes it (to a street, to departments by whistling).

The case is the council's request: its contact is the council (and the officer who
sent it, with their number when their seat has one); the person is named in the
council's log, not as the case's submitter (a council member holds no intake role).
"""

from __future__ import annotations

from collections.abc import Sequence

from civicgrid.cases.models import Case, Channel
from civicgrid.cases.photos import CheckedPhoto
from civicgrid.councils.models import Council
from civicgrid.councils.permissions import Standing
from civicgrid.errors import Invalid
from civicgrid.intake.actions import MAX_TITLE, IntakeRequest, check_phone, receive


def council_request(
    council: Council, standing: Standing, *, title: str, text: str
) -> IntakeRequest:
    """The request a council sends: its title and text, the council as its contact."""
    seat = standing.seat
    name = council.name
    phone = ""
    if seat is not None:
        name = f"{council.name}·{seat.contact_name or seat.name}"
        try:
            phone = check_phone(seat.phone, required=False)
        except Invalid:
            phone = ""  # a number the seat was given before numbers were checked
    return IntakeRequest(
        text=text,
        title=title[:MAX_TITLE],
        address=council.unit.name,
        name=name[:60],
        phone=phone,
    )


def submit(
    request: IntakeRequest,
    *,
    photos: Sequence[CheckedPhoto] = (),
) -> Case:
    """受理 the council's request (inside the council's transaction: all or nothing)."""
    return receive(request, channel=Channel.COUNCIL, checked_photos=photos)
