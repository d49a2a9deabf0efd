"""GeoReport v2 on civicgrid's cases: the plain functions behind the views.

A *service* is an active leaf category (one with no active children); its *definition*
is built from the category's extra questions. A *service request* is a case, from any
channel, and its ``service_request_id`` is the tracking code. What goes out is public:
the case's description, place, category, owner unit and dates, never the resident's
name or phone and never an internal note; progress (``status_notes``, the updates) is
told in fixed sentences, and in the reply to the resident when a case is resolved.

Only published cases go out (``Case.objects.published()``: triaged by a person or the
classifier, not withdrawn by staff), and their words and place as
``civicgrid.privacy.publish`` makes them public: personal data in the description and
the reply masked, the address at estate/road level, the point rounded to about 100 m,
neither for a resident who asked to keep their identity. JSON and XML are both built
from these entries.

Submissions go through ``civicgrid.intake.actions.receive`` like every other channel,
so an Open311 request is checked, located and routed exactly as one from the web.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases.models import (
    FINAL_STATES,
    OPEN_STATES,
    PUBLISHED_ACTIONS,
    Case,
    CaseEvent,
    Category,
    Channel,
    Urgency,
)
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.intake import ratelimit
from civicgrid.intake.actions import IntakeRequest, normalise_phone, receive
from civicgrid.open311.formats import MAX_SPAN, MIME_TYPES, parse_w3c, w3c
from civicgrid.open311.models import ApiClient, Open311Request
from civicgrid.privacy.publish import public_case, public_text, reply_needs_a_look

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this implementation was written: the changeset until the categories change.
IMPLEMENTED = datetime.fromisoformat("2025-01-01T00:00:00+08:00")
LIMIT = 1000  # "first 1000 requests returned"
MAX_DESCRIPTION = 4000  # "free form text limited to 4,000 characters"
EMAIL_MAX = Open311Request._meta.get_field("email").max_length  # what the column holds
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = ("singlevaluelist", "multivaluelist")


# --- services ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    description: str
    order: int
    variable: bool = True
    datatype_description: str | None = None
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Service:
    category: Category
    lineage: tuple[Category, ...]  # the category and its ancestors, nearest first

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def group(self) -> str:
        return self.lineage[-1].name

    def entry(self) -> dict[str, Any]:
        """The service as GET Service List shows it."""
        names = [c.name for c in reversed(self.lineage)]
        return {
            "service_code": self.code,
            "service_name": self.category.name,
            "description": " / ".join(names),
            "metadata": bool(self.category.questions),
            "type": "realtime",
            "keywords": ", ".join(reversed(names[:-1])),
            "group": self.group,
        }

    def attributes(self) -> list[Attribute]:
        return attributes_of(self.category.questions)

    def definition(self) -> dict[str, Any]:
        """GET Service Definition's body."""
        return {
            "service_code": self.code,
            "attributes": [
                {
                    "variable": a.variable,
                    "code": a.code,
                    "datatype": a.datatype,
                    "required": a.required,
                    "datatype_description": a.datatype_description,
                    "order": a.order,
                    "description": a.description,
                    "values": [{"key": v.key, "name": v.name} for v in a.values],
                }
                for a in self.attributes()
            ],
        }


def attributes_of(questions: Any) -> list[Attribute]:
    """A category's questions (``{"code", "label", "datatype", "required", "values"}``)
    as attributes, in their order; a malformed question is left out rather than served."""
    attributes = []
    for i, question in enumerate(questions if isinstance(questions, list) else [], start=1):
        if not isinstance(question, dict) or not str(question.get("code") or "").strip():
            continue
        code = str(question["code"]).strip()
        datatype = question.get("datatype")
        values = []
        for value in question.get("values") or []:
            if isinstance(value, dict) and "key" in value:
                values.append(Value(str(value["key"]), str(value.get("name", value["key"]))))
            elif not isinstance(value, dict):
                values.append(Value(str(value), str(value)))
        try:
            order = int(question.get("order") or i)
        except (TypeError, ValueError):
            order = i
        attributes.append(
            Attribute(
                code=code,
                datatype=datatype if datatype in DATATYPES else "string",
                required=bool(question.get("required", False)),
                description=str(question.get("description") or question.get("label") or code),
                order=order,
                variable=bool(question.get("variable", True)),
                datatype_description=question.get("datatype_description") or None,
                values=tuple(values),
            )
        )
    return sorted(attributes, key=lambda a: a.order)


def services() -> list[Service]:
    """Every active leaf category, by code, with its lineage (one query)."""
    categories = {c.pk: c for c in Category.objects.all()}
    parents_of_active = {c.parent_id for c in categories.values() if c.active and c.parent_id}
    found = []
    for category in sorted(categories.values(), key=lambda c: c.code):
        if not category.active or category.pk in parents_of_active:
            continue
        lineage, node = [category], category
        while node.parent_id is not None and node.parent_id in categories:
            node = categories[node.parent_id]
            lineage.append(node)
        found.append(Service(category, tuple(lineage)))
    return found


def service(code: str) -> Service:
    """The service with this code, or 404 as the specification says."""
    category = (
        Category.objects.filter(code=code, active=True).exclude(children__active=True).first()
    )
    if category is None:
        raise NotFound(_("service_code %(code)s was not found.") % {"code": code})
    return Service(category, tuple(category.lineage()))


# --- discovery -----------------------------------------------------------------------------


def changeset() -> str:
    """When the services last changed, as far as civicgrid knows: the latest change to a
    category in the admin, or when this implementation was written."""
    kind = ContentType.objects.get_for_model(Category)
    latest = LogEntry.objects.filter(content_type=kind).order_by("-action_time").first()
    moment = max(IMPLEMENTED, latest.action_time) if latest else IMPLEMENTED
    return w3c(moment) or ""


def discovery(endpoint_url: str) -> dict[str, Any]:
    stamp = changeset()
    contact = getattr(settings, "OPEN311_CONTACT", "") or _(
        "Ask the district's civicgrid administrators for help with this API."
    )
    key_service = getattr(settings, "OPEN311_KEY_SERVICE", "") or _(
        "API keys are issued to registered clients by the district's civicgrid administrators."
    )
    return {
        "changeset": stamp,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": stamp,
                "type": "production",
                "formats": list(MIME_TYPES),
            }
        ],
    }


# --- POST Service Request -----------------------------------------------------------------


def client_for(api_key: str) -> ApiClient:
    """The active client holding this key; 403 otherwise, as the specification says."""
    api_key = (api_key or "").strip()
    if not api_key:
        raise Forbidden(_("An api_key is required to submit a request."))
    client = ApiClient.objects.filter(key=api_key, active=True).select_related("user").first()
    if client is None:
        raise Forbidden(_("Invalid api_key: it is unknown or disabled."))
    return client


ATTRIBUTE_FIELD = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\](?:\[\])?$")


def submitted_answers(form: QueryDict) -> dict[str, list[str]]:
    """``attribute[code]=v`` and, for a multivaluelist, ``attribute[code][]=v`` repeated."""
    answers: dict[str, list[str]] = {}
    for name, values in form.lists():
        if match := ATTRIBUTE_FIELD.match(name):
            answers.setdefault(match["code"], []).extend(v.strip() for v in values)
    return {code: [v for v in values if v] for code, values in answers.items()}


@dataclass(frozen=True)
class Answer:
    attribute: Attribute
    values: tuple[str, ...]  # as submitted (list keys, numbers, dates, text)
    shown: tuple[str, ...]  # as a person reads them (list names)


def check_answers(attributes: Sequence[Attribute], answers: dict[str, list[str]]) -> list[Answer]:
    """The answers against the definition: every code known, every required one given,
    list values among the keys, numbers and dates well formed. Non-variable attributes
    only inform the person; anything sent for them is not kept."""
    known = {a.code: a for a in attributes}
    for code in answers:
        if code not in known:
            raise Invalid(_("This service has no attribute %(code)s.") % {"code": code})
    checked = []
    for attribute in attributes:
        values = answers.get(attribute.code, [])
        if not attribute.variable:
            continue
        if not values:
            if attribute.required:
                raise Invalid(
                    _("The attribute %(code)s (%(label)s) is required.")
                    % {"code": attribute.code, "label": attribute.description}
                )
            continue
        if len(values) > 1 and attribute.datatype != "multivaluelist":
            raise Invalid(_("The attribute %(code)s takes one value.") % {"code": attribute.code})
        shown = list(values)
        if attribute.datatype in LISTS:
            names = {v.key: v.name for v in attribute.values}
            for value in values:
                if value not in names:
                    raise Invalid(
                        _("%(value)s is not one of the values of the attribute %(code)s.")
                        % {"value": value, "code": attribute.code}
                    )
            shown = [names[v] for v in values]
        elif attribute.datatype == "number":
            if inputs.finite(values[0]) is None:
                raise Invalid(
                    _("The attribute %(code)s is a number, not %(value)s.")
                    % {"code": attribute.code, "value": values[0]}
                )
        elif attribute.datatype == "datetime":
            parse_w3c(values[0], f"attribute[{attribute.code}]")
        elif attribute.datatype == "string":  # "without line breaks"
            shown = [" ".join(values[0].split())]
        checked.append(Answer(attribute, tuple(values), tuple(shown)))
    return checked


@dataclass(frozen=True)
class Submission:
    """A POST Service Request's form, read and checked (before anything is written)."""

    service: Service
    intake: IntakeRequest
    answers: list[Answer] = field(default_factory=list)
    media_url: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""


def _location(form: QueryDict) -> dict[str, Any]:
    """``lat`` & ``long``, or ``address_string``, or ``address_id`` (a gazetteer place):
    a full location parameter must be submitted."""
    lat, lon = form.get("lat", "").strip(), form.get("long", "").strip()
    address = form.get("address_string", "").strip()
    address_id = form.get("address_id", "").strip()
    if not (lat or lon or address or address_id):
        raise Invalid(_("A location is required: lat and long, address_string or address_id."))
    where: dict[str, Any] = {"address": address}
    if lat or lon:
        where["lon"], where["lat"] = inputs.coordinate(lon, lat, fields=("long", "lat"))
    elif address_id:
        where["place"] = inputs.whole_number(address_id, "address_id", 1, inputs.ID_MAX)
    return where


def full_name(first: str, last: str) -> str:
    """Chinese names go family name first, with no space; Latin ones given name first."""
    first, last = first.strip(), last.strip()
    if not first or not last:
        return first or last
    return f"{first} {last}" if (first + last).isascii() else f"{last}{first}"


def case_text(description: str, service: Service, answers: Iterable[Answer], media: str) -> str:
    """The description, then the answers and the media link, in the district's language
    (the case is read by its handlers, whatever language the client asked in)."""
    lines = [description or service.category.name]
    with translation.override(settings.LANGUAGE_CODE):
        extra = [
            _("%(label)s: %(value)s")
            % {"label": a.attribute.description, "value": ", ".join(a.shown)}
            for a in answers
        ]
        if extra:
            lines += ["", _("Additional information (Open311):"), *extra]
        if media:
            lines += ([] if extra else [""]) + [_("Media: %(url)s") % {"url": media}]
    return "\n".join(lines)


def read_submission(form: QueryDict) -> Submission:
    code = form.get("service_code", "").strip()
    if not code:
        raise Invalid(_("service_code was not provided."))
    found = service(code)
    where = _location(form)
    answers = check_answers(found.attributes(), submitted_answers(form))
    description = form.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(
            _("The description is too long (at most %(n)s characters).") % {"n": MAX_DESCRIPTION}
        )
    email = inputs.text(form.get("email", "").strip(), "email", max_length=EMAIL_MAX)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Invalid(_("%(email)s is not an e-mail address.") % {"email": email}) from None
    media = form.get("media_url", "").strip()
    if media:
        try:
            URLValidator(schemes=["http", "https"])(media)
        except ValidationError:
            raise Invalid(_("media_url must be an http or https URL.")) from None
        if len(media) > 500:
            raise Invalid(_("media_url must be an http or https URL."))
    intake = IntakeRequest(
        text=case_text(description, found, answers, media),
        title=" ".join(description.split())[:30] or found.category.name,
        category=found.code,
        phone=form.get("phone", "").strip(),
        name=full_name(form.get("first_name", ""), form.get("last_name", "")),
        **where,
    )
    return Submission(
        service=found,
        intake=intake,
        answers=answers,
        media_url=media,
        email=email,
        device_id=form.get("device_id", "").strip()[:100],
        account_id=form.get("account_id", "").strip()[:100],
    )


def service_notice(case: Case) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if case.urgency == Urgency.EMERGENCY:
            return _("Received as an emergency: it goes ahead of the queue.")
        return _(
            "Received. The district assigns it to the unit responsible; "
            "follow it by its service_request_id."
        )


def submit(client: ApiClient, form: QueryDict) -> Open311Request:
    """Create the case and its Open311 record, or refuse and create nothing.

    A phone number makes the submitter a resident (``actor=None``), who hears the result
    by phone. Without one the request is the client's own, submitted as its account; a
    client without an account must send a phone number."""
    submission = read_submission(form)
    actor = None
    if submission.intake.phone:
        ratelimit.check_phone(normalise_phone(submission.intake.phone), "open311")
    elif client.user is not None and client.user.is_active:
        actor = client.user
    else:
        raise Invalid(_("A phone number is required for this client."))
    records: list[Open311Request] = []

    def record(case: Case) -> list[Open311Request]:
        records.append(
            Open311Request(
                case=case,
                client=client,
                service_notice=service_notice(case),
                media_url=submission.media_url,
                attributes={
                    a.attribute.code: list(a.values)
                    if a.attribute.datatype == "multivaluelist"
                    else a.values[0]
                    for a in submission.answers
                },
                email=submission.email,
                device_id=submission.device_id,
                account_id=submission.account_id,
            )
        )
        return records

    receive(submission.intake, channel=Channel.OPEN311, actor=actor, along=record)
    return records[0]


def created_entry(record: Open311Request) -> dict[str, Any]:
    return {
        "service_request_id": record.case.tracking_code,
        "service_notice": record.service_notice or None,
        "account_id": record.account_id or None,
    }


# --- what the public may read of a case's progress ---------------------------------------

PUBLIC_ACTIONS = PUBLISHED_ACTIONS


def public_note(event: CaseEvent) -> str:
    """What a resident may read about one event: a fixed sentence, the receiving unit's
    name, or (办结) the reply written for the resident. Never the event's own note."""
    unit = event.to_unit.name if event.to_unit_id and event.to_unit else ""
    match event.action:
        case "submit":
            return _("Received.")
        case "dispatch":
            return _("Assigned to %(unit)s.") % {"unit": unit}
        case "acknowledge":
            return _("%(unit)s has taken it up.") % {"unit": unit}
        case "resolve" | "fix_on_the_spot" if reply_needs_a_look(event.data.get("reply_check", {})):
            # a reply flagged as saying too little is not published word for word
            return _("Reported done; the reply is being checked.")
        case "resolve" | "fix_on_the_spot":  # the reply to the resident, made public
            return public_text(event.note or event.case.reply, event.case)
        # (the district's follow-up policy decides whether a rating reopens a case)
        case "rate" if event.data.get("reopen") and not event.data.get("solved"):
            return _("Reopened: the resident says it is not solved yet.")
        case "rate" if event.data.get("reopen"):
            return _("Reopened: the resident is not satisfied with the handling.")
        case "rate" if event.data.get("solved"):
            return _("Closed: the resident confirms it is solved.")
        case "rate":
            return _("Closed.")
        case "close" if event.data.get("unreachable"):
            return _("Closed: the resident could not be reached at follow-up.")
        case "close":
            return _("Closed.")
        case "reopen":
            return _("Reopened for more work.")
        case "escalate":
            return _("Escalated to %(unit)s.") % {"unit": unit}
        case "merge":
            return _("Merged into %(id)s, which is followed from now on.") % {
                "id": event.data.get("into", "")
            }
        case "reject":
            return _("Not accepted: not a matter the district handles.")
    return ""


def status_of(state: str) -> str:
    return "closed" if state in FINAL_STATES else "open"


# --- GET Service Requests, GET Service Request, tokens ------------------------------------


def _listed(params: QueryDict, name: str) -> list[str]:
    """A parameter that "can be declared multiple times, comma delimited"."""
    return [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]


def window(params: QueryDict) -> tuple[datetime, datetime]:
    """``start_date``/``end_date``: at most 90 days; either alone spans 90 days from it;
    neither, the most recent 90 days."""
    start_raw, end_raw = params.get("start_date", ""), params.get("end_date", "")
    start = parse_w3c(start_raw, "start_date") if start_raw.strip() else None
    end = parse_w3c(end_raw, "end_date") if end_raw.strip() else None
    if start and end:
        if end < start:
            raise Invalid(_("end_date is before start_date."))
        if end - start > MAX_SPAN:
            raise Invalid(_("start_date and end_date may not span more than 90 days."))
        return start, end
    if start:
        return start, start + MAX_SPAN
    end = end or timezone.now()
    return end - MAX_SPAN, end


def _cases() -> QuerySet[Case]:
    last_public = (
        CaseEvent.objects.filter(case=OuterRef("pk"), action__in=PUBLIC_ACTIONS)
        .order_by("-seq")
        .values("pk")[:1]
    )
    return (
        Case.objects.published()
        .select_related("category", "owner_unit", "open311", "contact")
        .only(*PUBLIC_COLUMNS)
        .annotate(last_public=Subquery(last_public))
    )


# What a public entry reads of a case and the rows beside it (``request_entries``,
# ``public_note``, ``privacy.public_case``): 1,000 entries a page, so the other columns
# are left in the database.
PUBLIC_COLUMNS = (
    "tracking_code",
    "state",
    "created_at",
    "updated_at",
    "closed_at",
    "resolve_due",
    "text",
    "reply",
    "address",
    "lon",
    "lat",
    "category__name",
    "category__code",
    "owner_unit__name",
    "open311__service_notice",
    "open311__media_url",
    "contact__name",
    "contact__hide_identity",
)


# What ``public_note`` reads of a case's latest published step.
STEP_COLUMNS = ("case_id", "action", "note", "data", "to_unit__name")


def _last_public_steps(cases: Sequence[Case]) -> dict[int, CaseEvent]:
    """Each case's latest published step (its id found with the case: a probe of the
    (case, seq) index each), read in one query; the case set from ``cases`` rather
    than read again."""
    by_step = {case.last_public: case for case in cases if case.last_public is not None}
    # (in no order: the events' own, by their case's time, joined every case to sort)
    steps = (
        CaseEvent.objects.select_related("to_unit")
        .only(*STEP_COLUMNS)
        .order_by()
        .in_bulk(list(by_step))
    )
    last = {}
    for pk, step in steps.items():
        step.case = by_step[pk]
        last[step.case_id] = step
    return last


def find_requests(params: QueryDict) -> list[Case]:
    """GET Service Requests: ``service_request_id`` overrides every other argument;
    else by ``service_code``, ``status`` and requested time, newest first, 1000 at most."""
    if ids := _listed(params, "service_request_id"):
        wanted = list(dict.fromkeys(i.upper() for i in ids))[:LIMIT]
        found = {c.tracking_code: c for c in _cases().filter(tracking_code__in=wanted)}
        return [found[i] for i in wanted if i in found]
    statuses = _listed(params, "status")
    for status in statuses:
        if status not in ("open", "closed"):
            raise Invalid(_("status is open or closed, not %(value)s.") % {"value": status})
    start, end = window(params)
    cases = _cases().filter(created_at__gte=start, created_at__lte=end)
    if codes := _listed(params, "service_code"):
        cases = cases.filter(category__code__in=codes)
    if set(statuses) == {"open"}:
        cases = cases.filter(state__in=OPEN_STATES)
    elif set(statuses) == {"closed"}:
        cases = cases.filter(state__in=FINAL_STATES)
    return list(cases.order_by("-created_at", "-pk")[:LIMIT])


def find_request(service_request_id: str) -> Case:
    case = _cases().filter(tracking_code=service_request_id.strip().upper()).first()
    if case is None:
        raise NotFound(_("service_request_id %(id)s was not found.") % {"id": service_request_id})
    return case


def find_token(token: str) -> Open311Request:
    record = Open311Request.objects.select_related("case").filter(token=token).first()
    if record is None:
        raise NotFound(_("token %(token)s was not found.") % {"token": token})
    return record


def token_entry(record: Open311Request) -> dict[str, Any]:
    return {"service_request_id": record.case.tracking_code, "token": record.token}


def request_entries(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """The public view of each case, in GeoReport v2's field order."""
    steps = _last_public_steps(cases)
    entries = []
    for case in cases:
        record: Open311Request | None = getattr(case, "open311", None)
        last = steps.get(case.pk)
        category = case.category
        closed = case.state in FINAL_STATES and case.closed_at is not None
        public = public_case(case)
        entries.append(
            {
                "service_request_id": case.tracking_code,
                "status": status_of(case.state),
                "status_notes": (public_note(last) or None) if last else None,
                "service_name": category.name if category else None,
                "service_code": category.code if category else None,
                "description": public.description[:MAX_DESCRIPTION] or None,
                "agency_responsible": case.owner_unit.name,
                "service_notice": (record.service_notice or None) if record else None,
                "requested_datetime": w3c(case.created_at),
                "updated_datetime": w3c(case.closed_at if closed else case.updated_at),
                "expected_datetime": w3c(case.resolve_due),
                "address": public.address or None,
                "address_id": None,
                "zipcode": None,
                "lat": public.lat,
                "long": public.lon,
                "media_url": (record.media_url or None) if record else None,
            }
        )
    return entries


# --- GET Service Request Updates (FixMyStreet's extension) ---------------------------------


def find_updates(params: QueryDict) -> list[CaseEvent]:
    """The public events of published cases between ``start_date`` and ``end_date``
    (the same 90-day window as the requests), newest first, 1000 at most."""
    start, end = window(params)
    published = Case.objects.published().filter(pk=OuterRef("case_id"))
    return list(
        CaseEvent.objects.filter(
            Exists(published), action__in=PUBLIC_ACTIONS, at__gte=start, at__lte=end
        )
        .select_related("case__contact", "to_unit")
        .only(*UPDATE_COLUMNS)
        .order_by("-at", "-pk")[:LIMIT]
    )


# What an update entry reads (``update_entries``, ``public_note``): the event, its case's
# code and reply, the resident's name (masked out of the reply), the receiving unit.
UPDATE_COLUMNS = (
    "seq",
    "action",
    "at",
    "to_state",
    "note",
    "data",
    "to_unit__name",
    "case__tracking_code",
    "case__reply",
    "case__contact__name",
)


def update_entries(events: Iterable[CaseEvent]) -> list[dict[str, Any]]:
    return [
        {
            "update_id": f"{event.case.tracking_code}_{event.seq}",
            "service_request_id": event.case.tracking_code,
            "status": status_of(event.to_state),
            "updated_datetime": w3c(event.at),
            "description": public_note(event) or None,
            "media_url": None,
        }
        for event in events
    ]
