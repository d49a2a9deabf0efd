"""``{% my_work council standing %}``: a member's own part of their council's page (their
open items, the problems that concern them, the meetings ahead to confirm)."""

from __future__ import annotations

from typing import Any

from django import template

from civicgrid.councils.models import Council
from civicgrid.councils.permissions import Standing

register = template.Library()


@register.inclusion_tag("councils/partials/my_work.html", takes_context=True)
def my_work(context: dict[str, Any], council: Council, standing: Standing) -> dict[str, Any]:
    from civicgrid.councils.work_views import my_work as work

    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "council": council,
        "standing": standing,
        **work(council, standing),
    }
