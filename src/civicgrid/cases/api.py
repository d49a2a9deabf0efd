"""The case API: queues, a case with its timeline, one endpoint per transition.

Every transition takes the ``version`` the client saw; a stale one is refused
with 409 and the case is left as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Query, Router, Schema, UploadedFile

from civicgrid.cases import actions, followup, search
from civicgrid.cases.models import Case, Category, Photo, WhistleTask, mask_phone
from civicgrid.cases.permissions import FOLLOW_UP, allowed_actions, may_know_resident
from civicgrid.cases.photos import check_photos, open_photo
from civicgrid.cases.queues import QUEUE_NAMES, queue_counts, queues
from civicgrid.errors import Forbidden, NotFound, answers
from civicgrid.inputs import Id, Version, WholeNumber
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.org.scoping import scope_of

router = Router(tags=["cases"])

QueueName = Literal[QUEUE_NAMES]  # type: ignore[valid-type]
PageSize = WholeNumber(1, 200)
CallsPerPage = WholeNumber(1, 100)  # each row carries its call script
Stars = WholeNumber(1, 5)


# --- schemas -----------------------------------------------------------------------------------


class UnitRef(Schema):
    code: str
    name: str


class CaseRow(Schema):
    tracking_code: str
    title: str
    state: str
    state_label: str
    tier: str
    urgency: str
    category: str | None
    owner_unit: UnitRef
    acknowledge_due: datetime | None
    resolve_due: datetime | None
    supervised: bool
    created_at: datetime
    version: int


class CaseList(Schema):
    counts: dict[str, int | None] = Field(
        description="each open queue's size, up to 1,000 (1,000 means at least that); none for all"
    )
    queue: str
    items: list[CaseRow]
    next: str | None = Field(description="pass as before= for the next (older) page")
    previous: str | None = Field(description="pass as after= for the previous page")


class EventOut(Schema):
    seq: int
    action: str
    at: datetime
    actor: str | None
    from_state: str
    to_state: str
    from_unit: str | None
    to_unit: str | None
    note: str
    data: dict
    attachments: list[str] = Field(description="photos: GET /api/cases/{code}/photos/{name}")


class TaskOut(Schema):
    id: int
    case: str
    case_title: str
    department: UnitRef
    lead: bool
    state: str
    check_in_due: datetime
    checked_in_at: datetime | None
    done_at: datetime | None
    note: str


class ContactOut(Schema):
    name: str
    phone: str
    masked: bool


class CaseDetail(CaseRow):
    text: str
    channel: str
    lon: float | None
    lat: float | None
    address: str
    grid: UnitRef | None
    reply: str
    rating: int | None
    solved: bool | None
    follow_up_attempts: int = Field(description="calls to the resident in this follow-up")
    unreachable: bool = Field(
        description="closed because the follow-up calls did not reach the resident"
    )
    returns: int
    reopens: int
    escalations: int
    reminders: int
    withdrawn_from_public_at: datetime | None = Field(
        None, description="when staff withdrew it from public view (Open311); null: published"
    )
    contact: ContactOut
    allowed: list[str]
    events: list[EventOut]
    tasks: list[TaskOut]


class Versioned(Schema):
    version: Version = Field(description="The case version you saw; a stale one is refused (409).")


class NoteIn(Versioned):
    note: str = ""


class ReasonIn(Versioned):
    reason: str


class TriageIn(Versioned):
    category: str = Field(description="category code")
    urgency: Literal["normal", "urgent", "emergency"]
    tier: Literal["micro", "minor", "moderate", "major"] | None = None
    note: str = ""


class DispatchIn(Versioned):
    unit: str | None = Field(None, description="unit code; empty: by the routing rules")
    note: str = ""


PHOTOS_FIELD = Field(
    default_factory=list, description="names returned by POST /api/cases/{code}/photos"
)


class ResolveIn(Versioned):
    reply: str
    attachments: list[str] = PHOTOS_FIELD


class HandleIn(Versioned):
    note: str = ""
    attachments: list[str] = PHOTOS_FIELD


PHOTO_FILES = File(..., description="JPEG, PNG or WebP; up to 3")


class PhotosOut(Schema):
    photos: list[str]


class VerifyIn(Versioned):
    passed: bool
    note: str = ""


class FollowUpIn(Versioned):
    reached: bool = Field(description="the resident answered the call")
    rating: int | None = Field(
        None,
        ge=1,
        le=5,
        description="the resident's stars (5 very satisfied … 1 very dissatisfied); "
        "with solved, or neither",
    )
    solved: bool | None = Field(None, description="solved, in the resident's view")
    comment: str = Field("", description="the resident's own words, with a rating")
    note: str = Field("", description="the operator's note on the call (staff only)")


class RateIn(Versioned):
    rating: Stars
    solved: bool
    comment: str = ""


class MergeIn(Versioned):
    into: str = Field(description="tracking code of the case to merge into")
    note: str = ""


class WhistleIn(Versioned):
    lead: str = Field(description="department code")
    assisting: list[str] = []
    note: str = ""


class RevealIn(Schema):
    reason: str = Field(
        min_length=2, max_length=200, description="why you need the number (logged)"
    )


# --- reading ------------------------------------------------------------------------------------


RELATED = ("owner_unit", "category", "grid")  # what an item or a detail shows beside the case


def _cases(request: HttpRequest) -> QuerySet[Case]:
    return Case.objects.visible_to(request.user).select_related(*RELATED)


def _case(request: HttpRequest, code: str) -> Case:
    case = Case.objects.select_related(*RELATED).visible_case(request.user, code)
    if case is None:
        raise NotFound(_("No case %(code)s that you may see.") % {"code": code})
    return case


def _unit(unit: Unit | None) -> UnitRef | None:
    return UnitRef(code=unit.code, name=unit.name) if unit else None


def _row(case: Case) -> dict:
    return {
        "tracking_code": case.tracking_code,
        "title": case.title,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "tier": case.tier,
        "urgency": case.urgency,
        "category": case.category.name if case.category else None,
        "owner_unit": _unit(case.owner_unit),
        "acknowledge_due": case.acknowledge_due,
        "resolve_due": case.resolve_due,
        "supervised": case.supervised,
        "created_at": case.created_at,
        "version": case.version,
    }


def _task(task: WhistleTask) -> TaskOut:
    return TaskOut(
        id=task.pk,
        case=task.case.tracking_code,
        case_title=task.case.title,
        department=_unit(task.department),
        lead=task.lead,
        state=task.state,
        check_in_due=task.check_in_due,
        checked_in_at=task.checked_in_at,
        done_at=task.done_at,
        note=task.note,
    )


def contact_view(case: Case, user: User) -> ContactOut:
    """Masked for everyone; the name hidden from handlers when the resident asked."""
    contact = getattr(case, "contact", None)
    if contact is None:
        return ContactOut(name="", phone="", masked=True)
    may_know = may_know_resident(case, user)
    name = contact.name if (may_know or not contact.hide_identity) else _("(withheld)")
    return ContactOut(name=name, phone=mask_phone(contact.phone), masked=True)


def _detail(case: Case, user) -> CaseDetail:  # type: ignore[no-untyped-def]

    events = case.events.select_related("actor", "from_unit", "to_unit")
    tasks = case.tasks.select_related("department", "case")
    return CaseDetail(
        **_row(case),
        text=case.text,
        channel=case.channel,
        lon=case.lon,
        lat=case.lat,
        address=case.address,
        grid=_unit(case.grid),
        reply=case.reply,
        rating=case.rating,
        solved=case.solved,
        follow_up_attempts=case.follow_up_attempts,
        unreachable=case.unreachable,
        returns=case.returns,
        reopens=case.reopens,
        escalations=case.escalations,
        reminders=case.reminders,
        withdrawn_from_public_at=case.withdrawn_from_public_at,
        contact=contact_view(case, user),
        allowed=allowed_actions(case, user),
        events=[
            EventOut(
                seq=e.seq,
                action=e.action,
                at=e.at,
                actor=str(e.actor) if e.actor else None,
                from_state=e.from_state,
                to_state=e.to_state,
                from_unit=e.from_unit.name if e.from_unit else None,
                to_unit=e.to_unit.name if e.to_unit else None,
                note=e.note,
                data=e.data,
                attachments=e.attachments,
            )
            for e in events
        ],
        tasks=[_task(t) for t in tasks],
    )


class CaseFilters(Schema):
    """The console's search and filters (``cases.search``): each narrows the queue."""

    code: str | None = Field(None, description="a tracking code, exactly")
    words: str | None = Field(None, description="words in the title or description")
    phone: str | None = Field(
        None,
        description="the resident's phone's last 4 digits: for operators, dispatchers and "
        "leaders only (403 otherwise); each case found is logged as a reveal",
    )
    unit: str | None = Field(None, description="a unit's code: its cases and its subtree's")
    category: str | None = Field(None, description="a category's code, with its subcategories")
    tier: str | None = Field(None, description="micro, minor, moderate or major")
    channel: str | None = Field(None, description="web, hotline, patrol, api or open311")
    since: str | None = Field(None, description="submitted on or after this day (2026-03-01)")
    until: str | None = Field(None, description="submitted on or before this day")
    overdue: str | None = Field(None, description="1: only cases past their deadline")
    sort: str | None = Field(
        None, description="created, oldest, deadline, category or unit (default: the queue's)"
    )


@router.get(
    "",
    response=answers(CaseList),
    summary=gettext_lazy("A work queue, with the counts of every queue"),
    description=gettext_lazy(
        "Paged by key, newest first (the due queues: most urgent first; or the ``sort`` asked "
        "for): follow ``next`` and ``previous``; there is no page number. Searched and filtered "
        "as the console's list is; a filter that means nothing is a 400."
    ),
)
def list_cases(
    request: HttpRequest,
    filters: Query[CaseFilters],
    queue: QueueName = "all",
    limit: PageSize = 50,
    before: str | None = Query(None, description="a page's next cursor: the page after it"),
    after: str | None = Query(None, description="a page's previous cursor: the page before"),
) -> CaseList:
    chosen = search.read(filters.model_dump(exclude_none=True), request.user)
    sort = search.sort_of(chosen, queues()[queue].order)
    page = search.page_of(
        request.user, queue, chosen, sort, before=before, after=after, size=limit, related=RELATED
    )
    if chosen.phone:
        actions.log_phone_search(page.items, actor=request.user, digits=chosen.phone)
    return CaseList(
        counts=queue_counts(request.user),
        queue=queue,
        items=[CaseRow(**_row(c)) for c in page.items],
        next=page.next,
        previous=page.previous,
    )


@router.get(
    "/{code}",
    response=answers(CaseDetail),
    summary=gettext_lazy("A case with its timeline and tasks"),
)
def get_case(request: HttpRequest, code: str) -> CaseDetail:
    return _detail(_case(request, code), request.user)


@router.post(
    "/{code}/contact",
    response=answers(ContactOut),
    summary=gettext_lazy("Reveal the resident's number"),
    description=gettext_lazy(
        "Only operators, dispatchers and leaders over the case; every reveal is logged "
        "with its reason."
    ),
)
def reveal_contact(request: HttpRequest, code: str, body: RevealIn) -> ContactOut:
    contact = actions.reveal_contact(_case(request, code), actor=request.user, reason=body.reason)
    return ContactOut(name=contact.name, phone=contact.phone, masked=False)


# --- transitions ------------------------------------------------------------------------------


def _done(request: HttpRequest, case: Case) -> CaseDetail:
    """The case as the transition left it (fresh from its locked read; no second lookup)."""
    return _detail(case, request.user)


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise NotFound(_("Unknown category: %(c)s") % {"c": code})
    return category


def _visible_unit(request: HttpRequest, code: str) -> Unit:
    """A unit the user may see (and so dispatch to)."""
    unit = Unit.objects.visible_to(request.user).filter(code=code).first()
    if unit is None:
        raise NotFound(_("Unknown unit: %(c)s") % {"c": code})
    return unit


def _department(code: str) -> Unit:
    """An active department: anyone who may whistle may call in any of the district's
    departments (they sit outside the whistling street's subtree)."""
    unit = Unit.objects.filter(code=code, kind=UnitKind.DEPARTMENT, active=True).first()
    if unit is None:
        raise NotFound(_("Unknown department: %(c)s") % {"c": code})
    return unit


@router.post("/{code}/triage", response=answers(CaseDetail), summary=gettext_lazy("分类 Triage"))
def triage(request: HttpRequest, code: str, body: TriageIn) -> CaseDetail:
    case = actions.triage_case(
        _case(request, code),
        actor=request.user,
        category=_category(body.category),
        urgency=body.urgency,
        tier=body.tier,
        note=body.note,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/dispatch", response=answers(CaseDetail), summary=gettext_lazy("派单 Dispatch")
)
def dispatch(request: HttpRequest, code: str, body: DispatchIn) -> CaseDetail:
    unit = _visible_unit(request, body.unit) if body.unit else None
    case = actions.dispatch_case(
        _case(request, code),
        actor=request.user,
        unit=unit,
        note=body.note,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/acknowledge", response=answers(CaseDetail), summary=gettext_lazy("签收 Acknowledge")
)
def acknowledge(request: HttpRequest, code: str, body: NoteIn) -> CaseDetail:
    case = actions.acknowledge_case(
        _case(request, code), actor=request.user, note=body.note, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/return",
    response=answers(CaseDetail),
    summary=gettext_lazy("退单 Return, with the reason"),
)
def return_(request: HttpRequest, code: str, body: ReasonIn) -> CaseDetail:
    case = actions.return_case(
        _case(request, code), actor=request.user, reason=body.reason, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/handle",
    response=answers(CaseDetail),
    summary=gettext_lazy("处置 Record a step of the work"),
)
def handle(request: HttpRequest, code: str, body: HandleIn) -> CaseDetail:
    case = actions.handle_case(
        _case(request, code),
        actor=request.user,
        note=body.note,
        attachments=body.attachments,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/resolve",
    response=answers(CaseDetail),
    summary=gettext_lazy("办结 Resolve, with the reply"),
)
def resolve(request: HttpRequest, code: str, body: ResolveIn) -> CaseDetail:
    case = actions.resolve_case(
        _case(request, code),
        actor=request.user,
        reply=body.reply,
        attachments=body.attachments,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/photos",
    response=answers(PhotosOut),
    summary=gettext_lazy("Add photos (for handle / resolve)"),
    description=gettext_lazy(
        "JPEG, PNG or WebP, up to 3, checked by content, stored without EXIF. Name them "
        "in ``attachments`` of the handle or resolve that follows. Only those who may "
        "handle or resolve the case now may add photos."
    ),
)
def add_photos(
    request: HttpRequest, code: str, photos: list[UploadedFile] = PHOTO_FILES
) -> PhotosOut:
    checked = check_photos(photos, [p.name or "" for p in photos])
    names = actions.add_photos(_case(request, code), actor=request.user, photos=checked)
    return PhotosOut(photos=names)


@router.get(
    "/{code}/photos/{path:name}", summary=gettext_lazy("A photo of a case"), response=answers(None)
)
def get_photo(request: HttpRequest, code: str, name: str) -> HttpResponse:
    case = _case(request, code)
    if not Photo.objects.filter(case=case, name=name).exists():
        raise NotFound(_("No such photo."))
    return FileResponse(open_photo(name))


@router.post(
    "/{code}/verify",
    response=answers(CaseDetail),
    summary=gettext_lazy("核查 Verify (pass or reopen)"),
)
def verify(request: HttpRequest, code: str, body: VerifyIn) -> CaseDetail:
    case = actions.verify_case(
        _case(request, code),
        actor=request.user,
        passed=body.passed,
        note=body.note,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/follow-up",
    response=answers(CaseDetail),
    summary=gettext_lazy("回访 Record a follow-up call and its outcome"),
    description=gettext_lazy(
        "One call to the resident. Reached, with ``rating`` and ``solved``: their word is "
        "recorded (a ``rate`` event) and the case closed or reopened by the district's "
        "follow-up policy. Not reached: counted; the last call the policy allows (3 by "
        "default) closes the case as unreachable (a ``close`` event, ``unreachable``: "
        "true). Otherwise the case stays in follow-up (a ``follow_up`` event). Every "
        "call's event carries ``attempt`` and ``reached`` in its data."
    ),
)
def follow_up(request: HttpRequest, code: str, body: FollowUpIn) -> CaseDetail:
    case = actions.follow_up_case(
        _case(request, code),
        actor=request.user,
        reached=body.reached,
        rating=body.rating,
        solved=body.solved,
        comment=body.comment,
        note=body.note,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/rate",
    response=answers(CaseDetail),
    summary=gettext_lazy("评价 Record the resident's rating"),
    description=gettext_lazy(
        "Closed, or reopened by the district's follow-up policy (not solved, or at most "
        "its stars), as a rating taken on a follow-up call."
    ),
)
def rate(request: HttpRequest, code: str, body: RateIn) -> CaseDetail:
    case = actions.rate_case(
        _case(request, code),
        actor=request.user,
        rating=body.rating,
        solved=body.solved,
        comment=body.comment,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/close",
    response=answers(CaseDetail),
    summary=gettext_lazy("结案 Close without a rating"),
)
def close(request: HttpRequest, code: str, body: NoteIn) -> CaseDetail:
    case = actions.close_case(
        _case(request, code), actor=request.user, note=body.note, expected_version=body.version
    )
    return _done(request, case)


@router.post("/{code}/reopen", response=answers(CaseDetail), summary=gettext_lazy("返工 Reopen"))
def reopen(request: HttpRequest, code: str, body: ReasonIn) -> CaseDetail:
    case = actions.reopen_case(
        _case(request, code), actor=request.user, reason=body.reason, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/escalate", response=answers(CaseDetail), summary=gettext_lazy("提级 Escalate one tier")
)
def escalate(request: HttpRequest, code: str, body: ReasonIn) -> CaseDetail:
    case = actions.escalate_case(
        _case(request, code), actor=request.user, reason=body.reason, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/supervise", response=answers(CaseDetail), summary=gettext_lazy("督办 Supervise")
)
def supervise(request: HttpRequest, code: str, body: ReasonIn) -> CaseDetail:
    case = actions.supervise_case(
        _case(request, code), actor=request.user, reason=body.reason, expected_version=body.version
    )
    return _done(request, case)


@router.post("/{code}/remind", response=answers(CaseDetail), summary=gettext_lazy("催办 Remind"))
def remind(request: HttpRequest, code: str, body: NoteIn) -> CaseDetail:
    case = actions.remind_case(
        _case(request, code), actor=request.user, note=body.note, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/merge",
    response=answers(CaseDetail),
    summary=gettext_lazy("合并 Merge into another case"),
)
def merge(request: HttpRequest, code: str, body: MergeIn) -> CaseDetail:
    case = actions.merge_case(
        _case(request, code),
        actor=request.user,
        into=body.into,
        note=body.note,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/reject",
    response=answers(CaseDetail),
    summary=gettext_lazy("不予受理 Reject as invalid"),
)
def reject(request: HttpRequest, code: str, body: ReasonIn) -> CaseDetail:
    case = actions.reject_case(
        _case(request, code), actor=request.user, reason=body.reason, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/whistle",
    response=answers(CaseDetail),
    summary=gettext_lazy("吹哨 Call in departments"),
)
def whistle(request: HttpRequest, code: str, body: WhistleIn) -> CaseDetail:
    lead = _department(body.lead)
    assisting = [_department(c) for c in body.assisting]
    case = actions.whistle_case(
        _case(request, code),
        actor=request.user,
        lead=lead,
        assisting=assisting,
        note=body.note,
        expected_version=body.version,
    )
    return _done(request, case)


@router.post(
    "/{code}/withdraw",
    response=answers(CaseDetail),
    summary=gettext_lazy("撤下公开 Withdraw from public view (Open311), with the reason"),
    description=gettext_lazy(
        "Dispatchers and leaders over the case; the case is handled as before, but no "
        "public surface shows it until it is published again. Recorded as an event."
    ),
)
def withdraw(request: HttpRequest, code: str, body: ReasonIn) -> CaseDetail:
    case = actions.withdraw_from_public(
        _case(request, code), actor=request.user, reason=body.reason, expected_version=body.version
    )
    return _done(request, case)


@router.post(
    "/{code}/republish",
    response=answers(CaseDetail),
    summary=gettext_lazy("恢复公开 Publish again"),
)
def republish(request: HttpRequest, code: str, body: NoteIn) -> CaseDetail:
    case = actions.republish_case(
        _case(request, code), actor=request.user, note=body.note, expected_version=body.version
    )
    return _done(request, case)


# --- a department's tasks -----------------------------------------------------------------


tasks_router = Router(tags=["tasks"])


class TaskNoteIn(Schema):
    note: str = ""


class TaskFilter(Schema):
    state: Literal["notified", "checked_in", "working", "done", "returned"] | None = None


def _tasks(request: HttpRequest) -> QuerySet[WhistleTask]:
    return WhistleTask.objects.visible_to(request.user).select_related("case", "department")


def _own_task(request: HttpRequest, task_id: int) -> WhistleTask:
    task = _tasks(request).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No task %(id)s of your department.") % {"id": task_id})
    return task


@tasks_router.get(
    "", response=answers(list[TaskOut]), summary=gettext_lazy("My department's whistle tasks")
)
def list_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> list[TaskOut]:
    tasks = _tasks(request).order_by("check_in_due")
    if filters.state:
        tasks = tasks.filter(state=filters.state)
    return [_task(t) for t in tasks[:500]]


@tasks_router.post(
    "/{task_id}/check-in", response=answers(TaskOut), summary=gettext_lazy("报到 Check in")
)
def check_in(request: HttpRequest, task_id: Id, body: TaskNoteIn) -> TaskOut:
    task = actions.check_in_task(_own_task(request, task_id), actor=request.user, note=body.note)
    return _task(task)


@tasks_router.post(
    "/{task_id}/start", response=answers(TaskOut), summary=gettext_lazy("Start working")
)
def start(request: HttpRequest, task_id: Id, body: TaskNoteIn) -> TaskOut:
    task = actions.start_task(_own_task(request, task_id), actor=request.user, note=body.note)
    return _task(task)


@tasks_router.post(
    "/{task_id}/done", response=answers(TaskOut), summary=gettext_lazy("Our part is done")
)
def done(request: HttpRequest, task_id: Id, body: TaskNoteIn) -> TaskOut:
    task = actions.finish_task(_own_task(request, task_id), actor=request.user, note=body.note)
    return _task(task)


@tasks_router.post(
    "/{task_id}/return",
    response=answers(TaskOut),
    summary=gettext_lazy("Return the task, with reason"),
)
def return_task(request: HttpRequest, task_id: Id, body: TaskNoteIn) -> TaskOut:
    task = actions.return_task(_own_task(request, task_id), actor=request.user, reason=body.note)
    return _task(task)


# --- 回访: the follow-up queue ---------------------------------------------------------------


followup_router = Router(tags=["follow-up"])


class StepOut(Schema):
    at: datetime
    action: str = Field(description="handle, resolve, fix_on_the_spot, finish_task, verify")
    label: str
    unit: str
    note: str = Field(description="personal data masked; empty for a resolution (see reply)")


class CallOut(Schema):
    attempt: int
    at: datetime
    reached: bool
    by: str = Field(description="the member of staff who called")
    note: str


class FollowUpRow(Schema):
    tracking_code: str
    title: str = Field(description="personal data masked")
    version: int = Field(description="pass it with the call: POST /api/cases/{code}/follow-up")
    owner_unit: UnitRef
    category: str | None
    follow_up_due: datetime | None
    overdue: bool
    follow_up_attempts: int = Field(description="calls made in this follow-up")
    asked: str = Field(description="what the resident asked, personal data masked")
    reply: str = Field(description="the reply they were given, personal data masked")
    done: list[StepOut] = Field(description="what was done, oldest first")
    calls: list[CallOut] = Field(description="this follow-up's calls, oldest first")
    contact: ContactOut = Field(description="the number masked: POST /api/cases/{code}/contact")
    may_call: bool = Field(description="you may record a call on it")


class FollowUpList(Schema):
    waiting: int = Field(description="cases waiting, up to 1,000 (1,000 means at least that)")
    max_attempts: int = Field(description="the district's calls before unreachable")
    items: list[FollowUpRow]
    next: str | None = Field(description="pass as before= for the next page (later deadlines)")
    previous: str | None = Field(description="pass as after= for the previous page")


@followup_router.get(
    "",
    response=answers(FollowUpList),
    summary=gettext_lazy("回访 The follow-up queue, with each case's call script"),
    description=gettext_lazy(
        "The cases in follow-up you see as your work, oldest follow-up deadline first, "
        "paged by key (``next``/``previous``). For operators and dispatchers. Record a "
        "call with ``POST /api/cases/{code}/follow-up``."
    ),
)
def follow_up_queue(
    request: HttpRequest,
    limit: CallsPerPage = 20,
    before: str | None = Query(None, description="a page's next cursor: the page after it"),
    after: str | None = Query(None, description="a page's previous cursor: the page before"),
) -> FollowUpList:
    if not scope_of(request.user).has_role(*FOLLOW_UP):
        raise Forbidden(_("The follow-up queue is for operators and dispatchers."))
    page = followup.page(request.user, before=before, after=after, size=limit)
    scripts = followup.scripts(page.items, request.user)
    return FollowUpList(
        waiting=followup.count(request.user),
        max_attempts=actions.follow_up_terms().max_attempts,
        items=[_follow_up_row(script, request.user) for script in scripts],
        next=page.next,
        previous=page.previous,
    )


def _follow_up_row(script: followup.Script, user: User) -> FollowUpRow:
    case = script.case
    return FollowUpRow(
        tracking_code=case.tracking_code,
        title=script.title,
        version=case.version,
        owner_unit=_unit(case.owner_unit),
        category=case.category.name if case.category else None,
        follow_up_due=case.follow_up_due,
        overdue=script.overdue,
        follow_up_attempts=case.follow_up_attempts,
        asked=script.asked,
        reply=script.reply,
        done=[StepOut(**vars(step)) for step in script.done],
        calls=[CallOut(**vars(call)) for call in script.calls],
        contact=contact_view(case, user),
        may_call=script.may_call,
    )
