from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import TreeFixture, make_categories, make_tree


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def district(db) -> tuple[TreeFixture, dict]:  # type: ignore[no-untyped-def]
    return make_tree(), make_categories()


INSIDE = (120.005, 30.005)  # grid D01001001
OUTSIDE = (121.5, 31.2)
