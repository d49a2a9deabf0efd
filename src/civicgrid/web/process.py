"""The server process's start: what lives as long as it does."""

from __future__ import annotations

import gc


def freeze_what_lives_as_long_as_the_process() -> None:
    """Load what every request needs (the URL map and its views, the grid locator),
    then take all objects made so far out of the cyclic garbage collector's reach.

    They live as long as the process, yet each full collection walked all of them:
    75–105 ms with every thread stopped, several times a minute under load, the p99
    outliers of bench/intake.py. Frozen, a full collection takes 1–10 ms. ``civicgrid
    serve`` calls it before serving, and the benchmarks that time pages in process
    (bench/console.py) before timing, to measure what the server does."""
    from django.urls import get_resolver

    from civicgrid.geo.locator import get_locator

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    get_locator()
    gc.collect()
    gc.freeze()
