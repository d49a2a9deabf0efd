"""Where the window's complaints go and how fast: data the district configures, not code.

The window is one category of the district's tree, named by the setting
``CIVICGRID_ENTERPRISE_WINDOW_CATEGORY`` (default ``YS01``, 营商环境 › 办不成事):

* routing: the category is marked "to department" and names the business-environment
  office (营商环境办) as its department, so ``cases.routing.owner_for`` dispatches every
  window case there, as it does any department's category;
* deadlines: the category's own ``DeadlinePolicy`` rows (one per urgency) are the
  window's shorter deadlines; ``cases.deadlines.policy_for`` finds them before the
  district's defaults.

``set_up`` (``actions.set_up_window``) writes the category, its office and its policies
once (the demo, a new district, the tests); afterwards the district changes any of them
in the admin like any other category, and nothing here needs to change.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from civicgrid.cases.models import Category, DeadlinePolicy, Tier, Urgency
from civicgrid.errors import Conflict
from civicgrid.org.models import Unit

# The window's deadlines, shorter than a resident's request's (working time, except
# for emergencies): acknowledge, check in, resolve, follow up.
SHORTER: dict[str, tuple[timedelta, timedelta, timedelta, timedelta]] = {
    Urgency.NORMAL: (
        timedelta(hours=2),
        timedelta(hours=2),
        timedelta(hours=24),
        timedelta(hours=8),
    ),
    Urgency.URGENT: (
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=8),
        timedelta(hours=4),
    ),
    Urgency.EMERGENCY: (
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=4),
        timedelta(hours=8),
    ),
}
PARENT_CODE = "YS"


def category() -> Category | None:
    """The window's category, if the district has one."""
    return Category.objects.filter(code=settings.ENTERPRISE_WINDOW_CATEGORY, active=True).first()


def office() -> Unit | None:
    """The business-environment office: the window category's first active department
    (the unit ``cases.routing`` dispatches window cases to). One query."""
    return (
        Unit.objects.filter(
            active=True,
            categories__code=settings.ENTERPRISE_WINDOW_CATEGORY,
            categories__active=True,
        )
        .order_by("code")
        .first()
    )


def required() -> tuple[Category, Unit]:
    """The window's category and office, or a refusal (409) while it is not set up."""
    found = category()
    where = office() if found is not None else None
    if found is None or where is None:
        raise Conflict(_("The enterprise window is not set up in this district yet."))
    return found, where


def write_category(office_unit: Unit) -> Category:
    """The window's category (and its parent 营商环境), routed to ``office_unit``, with
    its shorter deadline policies; kept as they are where they exist."""
    parent, _made = Category.objects.get_or_create(
        code=PARENT_CODE, defaults={"name": "营商环境", "default_tier": Tier.MAJOR}
    )
    window, _made = Category.objects.get_or_create(
        code=settings.ENTERPRISE_WINDOW_CATEGORY,
        defaults={
            "name": "办不成事",
            "parent": parent,
            "default_tier": Tier.MAJOR,
            "to_department": True,
        },
    )
    window.departments.add(office_unit)
    for urgency, (acknowledge, check_in, resolve, follow_up) in SHORTER.items():
        DeadlinePolicy.objects.get_or_create(
            category=window,
            urgency=urgency,
            defaults={
                "acknowledge": acknowledge,
                "check_in": check_in,
                "resolve": resolve,
                "follow_up": follow_up,
                "working_time": urgency != Urgency.EMERGENCY,
            },
        )
    return window
