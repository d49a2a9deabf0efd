"""Which event gives which message to whom, and what it says: pure functions.

``messages_for(event, case, staff)`` reads one event of the log with its case (the
case's contact read with it) and the staff who could be told (``Staff``, read once for
a batch of events by ``actions``), and returns the messages; nothing here reads or
writes the database. The texts are the district's language (zh-Hans), whatever the
worker's.

To the resident (only when they gave a phone number; also when they asked to keep
their identity from the handlers: these are their own messages):

| event | message |
| --- | --- |
| submit | received, with the tracking code and the tracking page |
| dispatch | dispatched, naming the unit |
| resolve, fixed on the spot | resolved, with the reply (personal data masked) |
| verify, passed (the case goes to follow-up) | please rate, with the tracking page |
| follow-up call not answered (more calls to come) | we called; rate on the tracking page |
| follow-up call not answered, the last (closed) | closed, as we could not reach them |

"Please rate" waits for the verification: the tracking page offers the rating only
in follow-up, so a link sent at "resolved" would open a page without the form.

To staff, the members of one unit (not the units above it, whose people see the case
in their queues), in the roles that act on it; never the resident's name or number,
and the case's title with personal data masked:

| event | message | to |
| --- | --- | --- |
| dispatch, escalate | new case | the new owner's handlers, dispatchers, grid workers |
| return | case returned | the dispatchers of the unit it went back to |
| remind | reminder | the owner's people who act on the deadline (follow-up: operators, |
| | | dispatchers); a department's late check-in: that department's |
| supervise | supervision | the same |
| whistle | whistle | each department's handlers and dispatchers |
| a reopening: the resident's word (by phone or | reopened, and why | the owner's handlers, |
| on the tracking page), a failed verification, | | dispatchers, grid workers |
| a dispatcher's or leader's reopen | | |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from civicgrid.cases.models import Action, Case, CaseEvent, State
from civicgrid.cases.permissions import DISPATCH, FOLLOW_UP, HANDLING, TASK_ROLES
from civicgrid.notify.models import Channel, RecipientKind, Template
from civicgrid.privacy.masking import mask_personal_data
from civicgrid.privacy.publish import public_text, reply_needs_a_look

# Texts travel by SMS: quoted free text is cut to these lengths.
TITLE_CHARS = 40
REPLY_CHARS = 300
NOTE_CHARS = 120


@dataclass(frozen=True)
class Recipient:
    kind: str
    user_id: int | None = None
    unit_id: int | None = None  # as a member of which unit a person is told

    @property
    def key(self) -> str:
        """One per person: the resident of the case, or a user."""
        return RecipientKind.RESIDENT.value if self.user_id is None else f"user:{self.user_id}"


RESIDENT = Recipient(RecipientKind.RESIDENT)


@dataclass(frozen=True)
class Message:
    template: str
    recipient: Recipient
    subject: str
    body: str
    link: str = ""


@dataclass(frozen=True)
class Person:
    """How a member of staff may be reached."""

    user_id: int
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Staff:
    """The staff who could be told about a batch's events, read once for the batch."""

    # unit id → (user id, role) of its active members, active users only
    members: Mapping[int, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    people: Mapping[int, Person] = field(default_factory=dict)
    unit_names: Mapping[int, str] = field(default_factory=dict)
    departments: Mapping[str, int] = field(default_factory=dict)  # whistles name codes
    task_departments: Mapping[int, int] = field(default_factory=dict)  # task id → department

    def of(self, unit_id: int | None, roles: tuple[str, ...]) -> list[Recipient]:
        """The members of ``unit_id`` holding one of ``roles``, each once."""
        users = sorted({u for u, role in self.members.get(unit_id or 0, ()) if role in roles})
        return [Recipient(RecipientKind.STAFF, user_id=u, unit_id=unit_id) for u in users]


NOBODY = Staff()


def messages_for(event: CaseEvent, case: Case, staff: Staff) -> list[Message]:
    """The messages ``event`` of ``case`` gives (``case`` read with its contact)."""
    with translation.override(settings.LANGUAGE_CODE):
        return [*_to_resident(event, case, staff), *_to_staff(event, case, staff)]


def reachable(recipient: Recipient, channel: str, case: Case | None, staff: Staff) -> bool:
    """Whether ``channel`` can carry a message to ``recipient``: the log always; e-mail a
    member of staff with an address (residents give none); the gateway anyone with a
    mobile number."""
    if channel == Channel.LOG:
        return True
    if recipient.user_id is None:
        return channel == Channel.WEBHOOK and case is not None and bool(_phone(case))
    person = staff.people.get(recipient.user_id)
    if person is None:
        return False
    return bool(person.email if channel == Channel.EMAIL else person.phone)


# --- to the resident -----------------------------------------------------------------------


def _phone(case: Case) -> str:
    contact = getattr(case, "contact", None)
    return contact.phone if contact is not None else ""


def tracking_link(case: Case) -> str:
    """The tracking page with the code filled in: the resident adds the last four
    digits of their phone (the link alone opens nothing)."""
    path = f"{reverse('resident:track')}?{urlencode({'code': case.tracking_code})}"
    return f"{settings.PUBLIC_URL}{path}"


def _to_resident(event: CaseEvent, case: Case, staff: Staff) -> list[Message]:
    if not _phone(case):
        return []
    code = case.tracking_code
    if event.action == Action.SUBMIT:
        link = tracking_link(case)
        body = _(
            "Your request has been received; its tracking code is %(code)s. Follow it at "
            "%(link)s with the code and the last four digits of your phone number."
        ) % {"code": code, "link": link}
        subject = _("Your request has been received")
        return [Message(Template.RECEIVED, RESIDENT, subject, body, link)]
    if event.action == Action.DISPATCH:
        unit = staff.unit_names.get(event.to_unit_id or 0, "")
        body = _("Your request %(code)s has been passed to %(unit)s, who will handle it.") % {
            "code": code,
            "unit": unit,
        }
        return [Message(Template.DISPATCHED, RESIDENT, _("Your request is being handled"), body)]
    if event.action in (Action.RESOLVE, Action.FIX_ON_THE_SPOT):
        if reply_needs_a_look(event.data.get("reply_check", {})):
            # Not word for word before a verifier has looked at it (as the tracking
            # page): the message asking for a rating follows the verification.
            body = _(
                "Your request %(code)s has been reported done; the reply is being checked "
                "and will be on your tracking page once it is."
            ) % {"code": code}
        else:
            reply = _cut(public_text(event.note, case), REPLY_CHARS)
            body = _("Your request %(code)s has been resolved. Reply: %(reply)s") % {
                "code": code,
                "reply": reply,
            }
        return [Message(Template.RESOLVED, RESIDENT, _("Your request has been resolved"), body)]
    if event.action == Action.VERIFY and event.to_state == State.FOLLOW_UP:
        link = tracking_link(case)
        body = _(
            "Is your request %(code)s solved? Please rate how it was handled at %(link)s "
            "(with the code and the last four digits of your phone number)."
        ) % {"code": code, "link": link}
        return [Message(Template.PLEASE_RATE, RESIDENT, _("Please rate the handling"), body, link)]
    if event.action == Action.FOLLOW_UP and event.data.get("reached") is False:
        link = tracking_link(case)
        body = _(
            "We called you about your request %(code)s and could not reach you. You can "
            "tell us whether it is solved at %(link)s (with the code and the last four "
            "digits of your phone number)."
        ) % {"code": code, "link": link}
        return [Message(Template.MISSED_CALL, RESIDENT, _("We could not reach you"), body, link)]
    if event.action == Action.CLOSE and event.data.get("unreachable"):
        body = _(
            "We could not reach you by phone about your request %(code)s, so it has been "
            "closed. If the matter is not solved, please contact us again."
        ) % {"code": code}
        subject = _("Your request has been closed")
        return [Message(Template.CLOSED_UNREACHABLE, RESIDENT, subject, body)]
    return []


# --- to staff ------------------------------------------------------------------------------


def _roles_for_deadline(deadline: str) -> tuple[str, ...]:
    """Who acts on a deadline: the follow-up is the operators' and dispatchers' call."""
    return FOLLOW_UP if deadline == "follow_up" else HANDLING


def _deadline_target(event: CaseEvent, staff: Staff) -> tuple[int | None, tuple[str, ...]]:
    """The unit and roles a reminder or supervision is for: a department's late
    check-in goes to that department, any other deadline to the owner unit."""
    deadline = str(event.data.get("deadline") or "")
    if deadline.startswith("check_in:"):
        task = deadline.partition(":")[2]
        department = staff.task_departments.get(int(task)) if task.isdigit() else None
        return department, TASK_ROLES
    return event.to_unit_id, _roles_for_deadline(deadline)


def _to_staff(event: CaseEvent, case: Case, staff: Staff) -> list[Message]:
    code = case.tracking_code
    title = _cut(public_text(case.title, case), TITLE_CHARS)
    note = _cut(public_text(event.note, case), NOTE_CHARS)
    owner = event.to_unit_id
    unit = staff.unit_names.get(owner or 0, "")
    facts = {"code": code, "title": title, "unit": unit, "note": note}

    def to(people: list[Recipient], template: str, subject: str, body: str) -> list[Message]:
        return [Message(template, r, subject, body) for r in people]

    if event.action in (Action.DISPATCH, Action.ESCALATE):
        body = _("New case %(code)s for %(unit)s: %(title)s. Please acknowledge it.") % facts
        if event.action == Action.ESCALATE:
            body = _("Case %(code)s escalated to %(unit)s: %(title)s. Reason: %(note)s") % facts
        return to(
            staff.of(owner, HANDLING), Template.NEW_CASE, _("New case %(code)s") % facts, body
        )
    if event.action == Action.RETURN:
        body = _("Case %(code)s was returned to %(unit)s: %(title)s. Reason: %(note)s") % facts
        return to(
            staff.of(owner, DISPATCH), Template.RETURNED, _("Case %(code)s returned") % facts, body
        )
    if event.action in (Action.REMIND, Action.SUPERVISE):
        target, roles = _deadline_target(event, staff)
        if event.action == Action.REMIND:
            subject = _("Reminder: case %(code)s") % facts
            body = _("Reminder on case %(code)s (%(title)s): %(note)s") % facts
            template = Template.REMINDER
        else:
            subject = _("Case %(code)s under supervision") % facts
            body = _("Case %(code)s (%(title)s) is under supervision: %(note)s") % facts
            template = Template.SUPERVISION
        return to(staff.of(target, roles), template, subject, body)
    if event.data.get("reopen"):
        return to(
            staff.of(owner, HANDLING),
            Template.REOPENED,
            _("Case %(code)s reopened") % facts,
            _("Case %(code)s (%(title)s) is back with %(unit)s for more work: %(why)s")
            % {**facts, "why": _why_reopened(event, note)},
        )
    if event.action == Action.WHISTLE:
        due = _when(event.data.get("check_in_due"))
        lead = event.data.get("lead")
        messages = []
        for department in [lead, *event.data.get("assisting", [])]:
            part = _("the lead department") if department == lead else _("an assisting department")
            body = _(
                "Your department is called in on case %(code)s (%(title)s) as %(part)s. "
                "Check in by %(due)s."
            ) % {**facts, "part": part, "due": due}
            messages += to(
                staff.of(staff.departments.get(str(department)), TASK_ROLES),
                Template.WHISTLE,
                _("Called in on case %(code)s") % facts,
                body,
            )
        return messages
    return []


def _why_reopened(event: CaseEvent, note: str) -> str:
    """Why a case came back: the resident's word (never their comment: staff messages
    carry nothing of theirs beyond the stars), the verifier's or the reopener's note."""
    if event.action == Action.RATE:
        if event.data.get("why") == "dissatisfied":
            return _("the resident is dissatisfied (%(n)s stars).") % {
                "n": event.data.get("rating")
            }
        return _("the resident says it is not solved.")
    if event.action == Action.VERIFY:
        return _("the verification found it not fixed: %(note)s") % {"note": note}
    return note


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _when(value: object) -> str:
    """A deadline stored as ISO text, in the district's time."""
    if not isinstance(value, str) or not value:
        return "—"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return "—"
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return f"{timezone.localtime(at):%m-%d %H:%M}"


# --- about no case ----------------------------------------------------------------------------


def grid_call_message(
    *, title: str, grid: str, wanted: int, hours: str, points: int, link: str
) -> tuple[str, str]:
    """The subject and text of a grid call (一呼百应) to a grid's volunteers and party
    members: what, how many are wanted, what it earns, where to claim it."""
    with translation.override(settings.LANGUAGE_CODE):
        quoted = mask_personal_data(title)[:TITLE_CHARS]
        subject = _("Grid call in %(grid)s: %(title)s") % {"grid": grid, "title": quoted}
        body = _(
            "%(grid)s needs %(wanted)s people: %(title)s. Service hours %(hours)s, "
            "points %(points)s. The first to claim it take it: %(link)s"
        ) % {
            "grid": grid,
            "wanted": wanted,
            "title": quoted,
            "hours": hours,
            "points": points,
            "link": link,
        }
        return subject, body
