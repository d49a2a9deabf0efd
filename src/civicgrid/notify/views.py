"""The outbox page: what was sent, what waits, what failed, for administrators and
dispatchers (the notifications of the cases they may see), with "retry now"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.cases.paging import keyset
from civicgrid.cases.queues import COUNT_CAP, NEWEST_FIRST
from civicgrid.notify import actions
from civicgrid.notify.models import Channel, Delivery, Notification
from civicgrid.web import access
from civicgrid.web.access import roles_required

PAGE_SIZE = 50
# The tabs, failures first: what the page is for.
TABS = (Delivery.FAILED, Delivery.PENDING, Delivery.SENDING, Delivery.SENT)
COUNTED = (Delivery.FAILED, Delivery.PENDING)


@roles_required(access.OUTBOX)
def outbox(request: HttpRequest) -> HttpResponse:
    visible = Notification.objects.visible_to(request.user)
    counts = {s: visible.filter(state=s)[:COUNT_CAP].count() for s in COUNTED}
    state = request.GET.get("state", "")
    if state not in Delivery.values:
        state = Delivery.FAILED if counts[Delivery.FAILED] else ""
    channel = request.GET.get("channel", "")
    rows = visible.filter(state=state) if state else visible
    if channel in Channel.values:
        rows = rows.filter(channel=channel)
    else:
        channel = ""
    page = keyset(
        rows.select_related("case__contact", "user"),
        NEWEST_FIRST,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
        size=PAGE_SIZE,
    )
    tabs = [("", _("all"), None)] + [(s, Delivery(s).label, counts.get(s)) for s in TABS]
    context = {
        "page": page,
        "tabs": tabs,
        "state": state,
        "channel": channel,
        "channels": Channel.choices,
        "query": urlencode({k: v for k, v in (("state", state), ("channel", channel)) if v}),
        "cap": COUNT_CAP,
        "retryable": (Delivery.FAILED, Delivery.PENDING),
    }
    return render(request, "notify/outbox.html", context)


@roles_required(access.OUTBOX)
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    """Retry now: the chosen message, or every failed one the person may see."""
    visible = Notification.objects.visible_to(request.user)
    chosen = request.POST.get("id", "").strip()
    if chosen:  # (not a whole number: refused, as every number taken in)
        n = actions.retry_now(
            visible.filter(pk=inputs.whole_number(chosen, "id", 1, inputs.ID_MAX))
        )
    else:
        n = actions.retry_now(visible.filter(state=Delivery.FAILED))
    messages.success(request, _("%(n)s notifications will be sent again now.") % {"n": n})
    return redirect(f"{reverse('notify:outbox')}?{request.POST.get('back', '')}")
