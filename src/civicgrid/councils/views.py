"""Council pages: the councils a person may see, and one council's page in tabs (its
members and working groups, its log; the meetings, problems and convention tabs add
themselves to ``TABS``). Phone-sized first: members and secretaries use them on phones.

Thin: a council comes through ``Council.objects.visible_to`` (else 404), what a person
may do through ``permissions.Standing``, every change through ``councils.actions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.cases.models import mask_phone
from civicgrid.councils import actions
from civicgrid.councils.models import (
    Council,
    CouncilAction,
    CouncilKind,
    CouncilMember,
    CouncilRole,
    MemberKind,
    WorkingGroup,
)
from civicgrid.councils.permissions import Standing
from civicgrid.errors import Invalid, Refusal
from civicgrid.org.models import Unit, UnitKind, User


@dataclass(frozen=True)
class Tab:
    key: str
    label: Promise
    url_name: str  # a URL taking the council's ``pk``


# The council page's tabs; each domain of the app appends its own.
TABS: list[Tab] = [
    Tab("members", gettext_lazy("Members"), "councils:council"),
    Tab("meetings", gettext_lazy("Meetings"), "councils:meetings"),
    Tab("problems", gettext_lazy("Problems"), "councils:problems"),
    Tab("convention", gettext_lazy("Convention"), "councils:convention"),
    Tab("log", gettext_lazy("Log"), "councils:log"),
]

View = Callable[..., HttpResponse]
# Members are listed chair first, then secretary, advisers, members.
ROLE_ORDER = [CouncilRole.CHAIR, CouncilRole.SECRETARY, CouncilRole.ADVISER, CouncilRole.MEMBER]


def council_view(view: View) -> View:
    """A page of one council: the council as the person may see it (404 otherwise) and
    their standing in it, handed to ``view`` as ``council`` and ``standing``."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        council = visible_council(request.user, pk)
        return view(request, council, Standing(council, request.user), *args, **kwargs)

    return wrapped


def visible_council(user: User, pk: int) -> Council:
    """The council ``pk`` if ``user`` may see it; 404 otherwise (as if it did not exist)."""
    council = Council.objects.visible_to(user).select_related("unit").filter(pk=pk).first()
    if council is None:
        raise Http404(_("No council %(id)s that you may see.") % {"id": pk})
    return council


def tabs_for(council: Council, current: str) -> list[tuple[str, str, str, bool]]:
    return [
        (
            tab.key,
            str(tab.label),
            reverse(tab.url_name, kwargs={"pk": council.pk}),
            tab.key == current,
        )
        for tab in TABS
    ]


def page(
    request: HttpRequest,
    template: str,
    council: Council,
    standing: Standing,
    tab: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Render one tab of a council's page with what every tab shows."""
    return render(
        request,
        template,
        {
            "council": council,
            "standing": standing,
            "tabs": tabs_for(council, tab),
            "current": tab,
            **context,
        },
    )


def done(request: HttpRequest, fallback: str) -> HttpResponse:
    """After a form: back where the form said (a local path), else ``fallback``."""
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect(fallback)


def act(request: HttpRequest, change: Callable[[], object], success: str | Promise) -> None:
    """Run a change; its refusal becomes the page's error message."""
    try:
        change()
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, str(success))


# --- the list --------------------------------------------------------------------------


@login_required
def council_list(request: HttpRequest) -> HttpResponse:
    """The councils a person may see: their own seats first, then the units' councils."""
    visible = Council.objects.visible_to(request.user).select_related("unit")
    kind = request.GET.get("kind", "")
    if kind in CouncilKind.values:
        visible = visible.filter(kind=kind)
    councils = list(
        visible.annotate(
            seated=Count("members", filter=Q(members__left_on=None)),
        ).order_by("unit__path", "name")
    )
    seats = {
        m.council_id: m
        for m in CouncilMember.objects.filter(user=request.user, left_on=None).only(
            "council_id", "role"
        )
    }
    if len(councils) == 1 and seats and not request.GET:
        # A member of one council goes straight to it (the phone's first screen).
        return redirect("councils:council", pk=councils[0].pk)
    councils.sort(key=lambda c: (c.pk not in seats,))
    rows = [(c, seats.get(c.pk)) for c in councils]
    return render(
        request,
        "councils/list.html",
        {
            "rows": rows,
            "kinds": CouncilKind.choices,
            "kind": kind,
        },
    )


# --- members ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberLine:
    member: CouncilMember
    phone: str  # whole for officers and staff, masked for everyone else
    may_leave: bool
    may_change: bool


@council_view
def council_page(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """成员: who sits in the council (and who left), its working groups, and for its
    officers and staff the forms to add members and form groups."""
    members = sorted(
        council.members.select_related("user", "department"),
        key=lambda m: (m.left_on is not None, ROLE_ORDER.index(m.role), m.joined_on, m.name),
    )
    lines = [
        MemberLine(
            m,
            m.phone if standing.sees_contacts else (mask_phone(m.phone) if m.phone else ""),
            m.active and standing.may(CouncilAction.LEAVE, m),
            m.active and standing.may(CouncilAction.CHANGE_ROLE, m),
        )
        for m in members
    ]
    groups = list(council.groups.prefetch_related("members"))
    return page(
        request,
        "councils/council.html",
        council,
        standing,
        "members",
        {
            "active": [line for line in lines if line.member.active],
            "former": [line for line in lines if not line.member.active],
            "groups": groups,
            "may_add": standing.may(CouncilAction.JOIN),
            "may_group": standing.may(CouncilAction.FORM_GROUP),
            "member_kinds": MemberKind.choices,
            "roles": CouncilRole.choices,
            "departments": Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by(
                "path"
            ),
        },
    )


def _department(value: str) -> Unit | None:
    if not value:
        return None
    pk = inputs.whole_number(value, "department", 1, 2**63 - 1)
    unit = Unit.objects.filter(pk=pk, kind=UnitKind.DEPARTMENT).first()
    if unit is None:
        raise Invalid(_("Unknown department."), field="department")
    return unit


@require_POST
@council_view
def add_member(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    post = request.POST

    def change() -> object:
        seat = actions.Seat(
            name=post.get("name", ""),
            kind=post.get("kind", ""),
            role=post.get("role", CouncilRole.MEMBER),
            contact_name=post.get("contact_name", ""),
            phone=post.get("phone", ""),
            credit_code=post.get("credit_code", ""),
            department=_department(post.get("department", "")),
            term_start=inputs.optional_day(post.get("term_start", ""), _("term starts")),
            term_end=inputs.optional_day(post.get("term_end", ""), _("term ends")),
        )
        return actions.add_member(council, seat, actor=request.user)

    act(request, change, _("The member has joined the council."))
    return done(request, reverse("councils:council", kwargs={"pk": council.pk}))


def _member(council: Council, member_id: int) -> CouncilMember:
    member = council.members.filter(pk=member_id).first()
    if member is None:
        raise Http404(_("No such member in this council."))
    return member


@require_POST
@council_view
def leave(
    request: HttpRequest, council: Council, standing: Standing, member_id: int
) -> HttpResponse:
    member = _member(council, member_id)
    act(
        request,
        lambda: actions.remove_member(
            member, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("The leaving is recorded."),
    )
    return done(request, reverse("councils:council", kwargs={"pk": council.pk}))


@require_POST
@council_view
def change_role(
    request: HttpRequest, council: Council, standing: Standing, member_id: int
) -> HttpResponse:
    member = _member(council, member_id)
    post = request.POST
    act(
        request,
        lambda: actions.change_role(
            member,
            actor=request.user,
            role=post.get("role", ""),
            term_start=inputs.optional_day(post.get("term_start", ""), _("term starts")),
            term_end=inputs.optional_day(post.get("term_end", ""), _("term ends")),
        ),
        _("The role is changed."),
    )
    return done(request, reverse("councils:council", kwargs={"pk": council.pk}))


def _member_ids(values: list[str]) -> list[int]:
    return [inputs.whole_number(v, "members", 1, 2**63 - 1) for v in values]


@require_POST
@council_view
def form_group(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    post = request.POST
    act(
        request,
        lambda: actions.form_group(
            council,
            actor=request.user,
            name=post.get("name", ""),
            purpose=post.get("purpose", ""),
            member_ids=_member_ids(post.getlist("members")),
        ),
        _("The working group is formed."),
    )
    return done(request, reverse("councils:council", kwargs={"pk": council.pk}))


@require_POST
@council_view
def change_group(
    request: HttpRequest, council: Council, standing: Standing, group_id: int
) -> HttpResponse:
    group = WorkingGroup.objects.filter(council=council, pk=group_id).first()
    if group is None:
        raise Http404(_("No such working group in this council."))
    act(
        request,
        lambda: actions.change_group(
            group, actor=request.user, member_ids=_member_ids(request.POST.getlist("members"))
        ),
        _("The working group is changed."),
    )
    return done(request, reverse("councils:council", kwargs={"pk": council.pk}))


# --- the log -------------------------------------------------------------------------------


@council_view
def log(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """记录: the council's log, newest first (the last 200 changes)."""
    events = list(council.events.select_related("actor", "member").order_by("-seq")[:200])
    return page(request, "councils/log.html", council, standing, "log", {"events": events})
