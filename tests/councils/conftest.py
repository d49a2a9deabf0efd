from __future__ import annotations

import pytest

from tests.factories import CouncilFixture, TreeFixture, make_council


@pytest.fixture
def council(tree: TreeFixture) -> CouncilFixture:
    """A merchants' council on the first community, with five members."""
    return make_council(tree.communities[0])
