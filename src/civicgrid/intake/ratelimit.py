"""Rate limits on public endpoints, per IP and per phone number: fixed windows counted
in Django's cache (per process with the default local-memory cache; CIVICGRID_CACHE_URL
points all processes at one Redis)."""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from civicgrid.errors import TooMany

logger = logging.getLogger(__name__)


def parse(rule: str) -> tuple[int, int]:
    """``"20/60"`` → 20 requests per 60 seconds."""
    count, _sep, seconds = rule.partition("/")
    return int(count), int(seconds or 60)


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded header is the client's to forge, unless a proxy
    # the district runs sets it (then configure the proxy to overwrite REMOTE_ADDR).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(bucket: str, who: str, rule: str) -> None:
    """Count one request of ``who`` in ``bucket``; refuse (429) past the rule's limit."""
    limit, window = parse(rule)
    if limit <= 0:
        return
    slot = int(time.time() // window)
    digest = hashlib.sha256(who.encode()).hexdigest()[:24]
    key = f"rl:{bucket}:{digest}:{slot}"
    try:
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 5)
            count = 1
    except RedisError:
        # A Redis that does not answer must not stop residents' requests: they go
        # through uncounted while it is down, and the log says so.
        logger.exception("rate limit %s not counted: the shared cache does not answer", bucket)
        return
    if count > limit:
        raise TooMany(
            _("Too many requests; please try again in %(s)s seconds.")
            % {"s": window - int(time.time()) % window}
        )


def check_ip(request: HttpRequest, bucket: str = "intake") -> None:
    hit(bucket, client_ip(request), settings.INTAKE_RATE_PER_IP)


def check_phone(phone: str, bucket: str = "intake") -> None:
    if phone:
        hit(f"{bucket}-phone", phone, settings.INTAKE_RATE_PER_PHONE)
