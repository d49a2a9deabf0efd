"""The console's navigation: each item names the roles that see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.org.models import Membership, UnitKind, User
from civicgrid.org.scoping import scope_of
from civicgrid.web import access


@dataclass(frozen=True)
class Account:
    """What an account is beside its staff roles, asked of the database once per user
    object (so once per page, whatever the items that need it): a department's staff
    (whistle tasks), a council member, an enterprise's contact, a person on duty, a
    project's monitor."""

    in_a_department: bool
    in_a_council: bool
    speaks_for_an_enterprise: bool
    has_duties: bool
    monitors_a_project: bool = False


def account_of(user: User) -> Account:
    cached = getattr(user, "_civicgrid_account", None)
    if cached is not None:
        return cached
    from civicgrid.councils.models import CouncilMember
    from civicgrid.enterprise.models import EnterpriseContact
    from civicgrid.people.models import Person
    from civicgrid.projects.models import Monitor

    mine = OuterRef("pk")
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            department=Exists(
                Membership.objects.filter(user=mine, active=True, unit__kind=UnitKind.DEPARTMENT)
            ),
            council=Exists(CouncilMember.objects.filter(user=mine, left_on=None)),
            enterprise=Exists(EnterpriseContact.objects.filter(user=mine)),
            on_duty=Exists(Person.objects.filter(user=mine)),
            monitor=Exists(Monitor.objects.filter(user=mine, active=True)),
        )
        .values("department", "council", "enterprise", "on_duty", "monitor")
        .first()
    ) or {}
    account = Account(
        in_a_department=user.is_superuser or bool(row.get("department")),
        in_a_council=bool(row.get("council")),
        speaks_for_an_enterprise=bool(row.get("enterprise")),
        has_duties=bool(row.get("on_duty")),
        monitors_a_project=bool(row.get("monitor")),
    )
    user._civicgrid_account = account  # type: ignore[attr-defined]
    return account


def _in_a_council(user: User) -> bool:
    return account_of(user).in_a_council


def _speaks_for_an_enterprise(user: User) -> bool:
    """An enterprise's account with no staff role."""
    return not scope_of(user).roles and account_of(user).speaks_for_an_enterprise


def _not_superuser(user: User) -> bool:
    return not user.is_superuser


def _in_a_department(user: User) -> bool:
    return account_of(user).in_a_department


def _has_duties(user: User) -> bool:
    return account_of(user).has_duties


def _monitors_a_project(user: User) -> bool:
    return account_of(user).monitors_a_project


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: tuple[str, ...]
    superuser_or_staff_only: bool = False
    shown_to: Callable[[User], bool] | None = None
    # Also shown to people without any of ``roles`` for whom this says yes (a council
    # member, an enterprise: people with an account but no staff role).
    or_to: Callable[[User], bool] | None = None


NAVIGATION: tuple[NavItem, ...] = (
    NavItem(_("Workbench"), "web:home", access.STAFF),
    NavItem(_("Cases"), "cases:list", access.STAFF),
    NavItem(_("Triage"), "triage:queue", access.TRIAGE),
    NavItem(_("Hot issues"), "triage:hot", access.HOT_ISSUES),
    NavItem(_("Cockpit"), "evaluation:cockpit", access.COCKPIT),
    NavItem(_("Indicators"), "evaluation:indicators", access.EVALUATION),
    NavItem(_("Appeals"), "evaluation:appeals", access.EVALUATION),
    NavItem(_("Rankings"), "evaluation:rankings", access.EVALUATION),
    NavItem(_("Enterprise window"), "enterprise:queue", access.ENTERPRISE_WINDOW),
    NavItem(_("Monthly bulletin"), "evaluation:bulletin", access.BULLETIN),
    NavItem(_("Councils"), "councils:list", access.STAFF, or_to=_in_a_council),
    NavItem(
        _("My enterprise"),
        "enterprise:window",
        (),
        shown_to=_not_superuser,
        or_to=_speaks_for_an_enterprise,
    ),
    NavItem(_("People and duties"), "people:list", access.STAFF),
    NavItem(_("My duties"), "people:me", (), or_to=_has_duties),
    NavItem(_("Grid calls"), "people:calls", access.STAFF),
    NavItem(_("My grid calls"), "people:my_calls", (), or_to=_has_duties),
    NavItem(_("Activities"), "people:activities", access.STAFF),
    NavItem(_("My activities and points"), "people:my_activities", (), or_to=_has_duties),
    NavItem(_("Projects"), "projects:list", access.STAFF),
    NavItem(_("My projects"), "projects:me", (), or_to=_monitors_a_project),
    NavItem(_("Hotline"), "intake:hotline", access.HOTLINE),
    NavItem(_("Follow-up"), "cases:followup", access.FOLLOW_UP),
    NavItem(_("Patrol"), "intake:patrol", access.PATROL),
    NavItem(_("Whistle tasks"), "cases:tasks", access.STAFF, shown_to=_in_a_department),
    NavItem(_("Units and grids"), "web:units", access.STAFF),
    NavItem(_("Classifier"), "triage:models", access.CLASSIFIER),
    NavItem(_("Outbox"), "notify:outbox", access.OUTBOX),
    NavItem(_("API"), "api:openapi-view", access.API_DOCS),
    NavItem(
        _("Administration"), "admin:index", access.ADMINISTRATION, superuser_or_staff_only=True
    ),
)


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    current: bool


def navigation_for(user: User | AnonymousUser, current_path: str = "") -> list[NavLink]:
    if not user.is_authenticated:
        return []
    scope = scope_of(user)
    links = []
    for item in NAVIGATION:
        if not scope.has_role(*item.roles) and not (item.or_to is not None and item.or_to(user)):
            continue
        if item.superuser_or_staff_only and not user.is_staff:
            continue
        if item.shown_to is not None and not item.shown_to(user):
            continue
        links.append(NavLink(item.label, reverse(item.url_name), False))
    # The current item is the longest link the page's path starts with: on
    # /triage/hot/ that is "Hot issues", not also "Triage" (/triage/).
    matching = [
        link
        for link in links
        if current_path == link.url or (link.url != "/" and current_path.startswith(link.url))
    ]
    if matching:
        best = max(matching, key=lambda link: len(link.url))
        links = [NavLink(k.label, k.url, k is best) for k in links]
    return links
