from __future__ import annotations

import pytest

from tests.factories import TreeFixture, WindowFixture, make_window


@pytest.fixture
def window(tree: TreeFixture) -> WindowFixture:
    """The window set up: its office, a park and two registered enterprises."""
    return make_window(tree)
