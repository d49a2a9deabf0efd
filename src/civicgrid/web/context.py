from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from civicgrid.web.navigation import navigation_for


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"nav_items": navigation_for(user, request.path) if user else []}
