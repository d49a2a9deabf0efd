from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router, Schema

from civicgrid.errors import NotFound, answers
from civicgrid.org.models import Unit
from civicgrid.org.scoping import scope_of

router = Router(tags=["org"])


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    parent_code: str | None
    active: bool
    children: int


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    units: list[UnitOut]


def _out(unit: Unit, children: int) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        kind_label=str(unit.get_kind_display()),
        parent_code=unit.parent.code if unit.parent_id else None,
        active=unit.active,
        children=children,
    )


def _with_children(qs):  # type: ignore[no-untyped-def]
    return qs.select_related("parent").annotate(n_children=Count("children"))


def visible_unit(request: HttpRequest, code: str) -> Unit:
    """The unit with ``code`` if the user may see it; the same 404 otherwise, so a
    refusal does not tell whether the unit exists."""
    unit = Unit.objects.visible_to(request.user).filter(code=code).first()
    if unit is None:
        raise NotFound(_("No unit %(code)s that you may see.") % {"code": code})
    return unit


@router.get("/me", response=answers(MeOut), summary=gettext_lazy("Who I am, my roles and my units"))
def me(request: HttpRequest) -> MeOut:
    scope = scope_of(request.user)
    tops = _with_children(Unit.objects.tops_for(scope))
    return MeOut(
        username=request.user.username,
        display_name=str(request.user),
        roles=sorted(scope.roles),
        units=[_out(u, u.n_children) for u in tops],
    )


@router.get(
    "/units",
    response=answers(list[UnitOut]),
    summary=gettext_lazy("The units under a parent I may see"),
    description=gettext_lazy(
        "Children of ``parent``; without it, the top units of the user's scope."
    ),
)
def units(request: HttpRequest, parent: str | None = None) -> list[UnitOut]:
    if parent:
        qs = Unit.objects.filter(parent=visible_unit(request, parent))
    else:
        qs = Unit.objects.tops_for(request.user)
    return [_out(u, u.n_children) for u in _with_children(qs).order_by("kind", "code")]


@router.get("/units/{code}", response=answers(UnitOut), summary=gettext_lazy("One unit"))
def unit(request: HttpRequest, code: str) -> UnitOut:
    u = visible_unit(request, code)
    return _out(u, u.children.count())
