"""Rate limits on public endpoints, per IP and per phone number: fixed windows counted
in Django's cache (per process with the default local-memory cache; CIVICGRID_CACHE_URL
points all processes at one Redis)."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from civicgrid.errors import BUSY, Refusal, TooMany, Unavailable

logger = logging.getLogger(__name__)


def parse(rule: str) -> tuple[int, int]:
    """``"20/60"`` → 20 requests per 60 seconds."""
    count, _sep, seconds = rule.partition("/")
    return int(count), int(seconds or 60)


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded header is the client's to forge. Behind the
    # district's proxy, `civicgrid serve` puts the client's address here from the
    # X-Forwarded-For of CIVICGRID_TRUSTED_PROXY alone.
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


# --- tracking codes: wrong phone digits -----------------------------------------------------
# /r/track/ opens a request with its code and the last four digits of the phone: 10,000
# guesses at most for a known code, so wrong digits are limited per code (whatever the
# address: a guesser with many addresses) and per address (whatever the code). Past the
# code's limit the code locks for a while, for everyone; the resident is told to wait or
# call the hotline. Counted from the first failure, not in fixed windows, so failures at
# a window's edge do not double the allowance.


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def _failures(key: str, window: int) -> int:
    """One more failure under ``key``, counted for ``window`` seconds from the first."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def _minutes_left(until: float) -> int:
    return max(1, math.ceil((until - time.time()) / 60))


def _code_lock_key(code: str) -> str:
    return f"track-lock:{_digest(code)}"


def _address_key(request: HttpRequest) -> str:
    return f"track-wrong-ip:{_digest(client_ip(request))}"


def _fails_closed(
    check: Callable[[HttpRequest, str], Refusal | None],
) -> Callable[[HttpRequest, str], Refusal | None]:
    """A tracking guard whose counters cannot be kept (the shared cache does not answer)
    refuses for now, 503, rather than let codes be guessed uncounted."""

    @wraps(check)
    def guarded(request: HttpRequest, code: str) -> Refusal | None:
        try:
            return check(request, code)
        except RedisError:
            logger.exception("tracking guard: the shared cache does not answer")
            return Unavailable(str(BUSY))

    return guarded


@_fails_closed
def tracking_refusal(request: HttpRequest, code: str) -> Refusal | None:
    """Why this code may not be tried from here now (locked, or this address has been
    wrong too often), or None."""
    until = cache.get(_code_lock_key(code))
    if until is not None:
        return code_locked(until)
    limit, _window = parse(settings.TRACK_WRONG_PER_IP)
    until = cache.get(_address_key(request) + ":until")
    if limit > 0 and until is not None:
        return TooMany(
            _(
                "Too many wrong tries from your network. Try again in %(minutes)s minutes, "
                "or call the %(hotline)s hotline to ask about your request."
            )
            % {"minutes": _minutes_left(until), "hotline": settings.HOTLINE}
        )
    return None


def code_locked(until: float) -> TooMany:
    return TooMany(
        _(
            "This tracking code is locked for %(minutes)s minutes: the last four digits of "
            "the phone were entered wrong too many times. Try again after that, or call the "
            "%(hotline)s hotline to ask about your request."
        )
        % {"minutes": _minutes_left(until), "hotline": settings.HOTLINE}
    )


@_fails_closed
def wrong_tracking_digits(request: HttpRequest, code: str) -> Refusal | None:
    """Count a wrong code-and-digits pair, for the code and for the address; the refusal
    when this one reached a limit (the code is locked from now), else None."""
    refusal = None
    limit, window = parse(settings.TRACK_WRONG_PER_IP)
    if limit > 0 and _failures(_address_key(request), window) >= limit:
        cache.set(_address_key(request) + ":until", time.time() + window, timeout=window)
        refusal = tracking_refusal(request, code)
    limit, window = parse(settings.TRACK_WRONG_PER_CODE)
    key = f"track-wrong:{_digest(code)}"
    if limit > 0 and _failures(key, window) >= limit:
        until = time.time() + settings.TRACK_LOCKOUT_MINUTES * 60
        cache.set(_code_lock_key(code), until, timeout=settings.TRACK_LOCKOUT_MINUTES * 60)
        cache.delete(key)  # after the lock, a fresh allowance
        refusal = code_locked(until)
    return refusal
