"""The outbox in the API: ``GET /api/cases/{code}/notifications``, the messages a case
gave, for staff who may see the case."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema

from civicgrid.cases.models import Case
from civicgrid.errors import NotFound, answers
from civicgrid.notify.models import Notification

router = Router(tags=["notifications"])

# A case gives a handful of messages per step; a long-running one, a few hundred.
LIMIT = 500


class NotificationOut(Schema):
    id: int
    template: str = Field(description="received, dispatched, resolved, please_rate, new_case, …")
    template_label: str
    recipient_kind: str = Field(description="resident or staff")
    recipient: str = Field(description="a resident's number masked; a member of staff's name")
    channel: str = Field(description="log, email or webhook")
    state: str = Field(description="pending, sending, sent or failed")
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str
    subject: str
    text: str
    event_seq: int = Field(description="the case event that gave it")
    created_at: datetime


@router.get(
    "/{code}/notifications",
    response=answers(list[NotificationOut]),
    summary=gettext_lazy("The notifications a case gave (the outbox)"),
    description=gettext_lazy(
        "Newest first, up to 500: each message to the resident or to staff, with its "
        "channel, state and attempts. 404 for a case you may not see (as for the case "
        "itself); 401 without a login."
    ),
)
def case_notifications(request: HttpRequest, code: str) -> list[NotificationOut]:
    case = Case.objects.visible_case(request.user, code)
    if case is None:
        raise NotFound(_("No case %(code)s that you may see.") % {"code": code})
    rows = (
        Notification.objects.filter(case=case)
        .select_related("case__contact", "user", "event")
        .order_by("-id")[:LIMIT]
    )
    return [
        NotificationOut(
            id=n.pk,
            template=n.template,
            template_label=str(n.get_template_display()),
            recipient_kind=n.recipient_kind,
            recipient=n.recipient_label(),
            channel=n.channel,
            state=n.state,
            attempts=n.attempts,
            next_attempt_at=n.next_attempt_at,
            sent_at=n.sent_at,
            last_error=n.last_error,
            subject=n.subject,
            text=n.body,
            event_seq=n.event.seq,
            created_at=n.created_at,
        )
        for n in rows
    ]
