"""核查 by tier (``VerificationPolicy``): by default a community's staff may not verify
(the fix goes up to the dispatchers); where the district allows it, the community
verifies its grid workers' micro matters, or its own minor ones, through the one
verify transition, never a fix of one's own, never another community's."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Case, State, VerificationPolicy
from civicgrid.cases.permissions import allowed_actions
from civicgrid.errors import Forbidden
from civicgrid.org.models import Role
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import dispatched
from tests.factories import make_member, submit


def _grid_fix(staff: Staff) -> Case:
    """A micro matter a grid worker fixed on the spot: the grid's, resolved."""
    case = submit(staff.tree, category=staff.categories["micro"])
    return actions.fix_on_the_spot(case, actor=staff.grid_worker, reply="已清理楼道杂物")


def _community_fix(staff: Staff, handler) -> Case:  # type: ignore[no-untyped-def]
    case = dispatched(staff, "minor")
    case = actions.acknowledge_case(case, actor=handler)
    return actions.resolve_case(case, actor=handler, reply="已协调邻里，噪声问题已解决")


def _policy(**fields: bool) -> None:
    VerificationPolicy.objects.update_or_create(pk=1, defaults=fields)


def test_by_default_a_community_cannot_verify_its_grid_workers_fix(staff: Staff) -> None:
    case = _grid_fix(staff)
    assert case.state == State.RESOLVED and case.owner_unit == staff.tree.grids[0]
    assert "verify" not in allowed_actions(case, staff.community_handler)
    with pytest.raises(Forbidden, match="只有"):
        actions.verify_case(case, actor=staff.community_handler, passed=True)
    case.refresh_from_db()
    assert case.state == State.RESOLVED and case.version == 2, "nothing written"
    assert "verify" in allowed_actions(case, staff.district_dispatcher)


def test_where_allowed_the_community_verifies_its_grid_workers_fix(staff: Staff) -> None:
    _policy(community_verifies_micro=True)
    case = _grid_fix(staff)
    assert "verify" in allowed_actions(case, staff.community_handler)
    assert "verify" not in allowed_actions(case, staff.other_community_handler)
    with pytest.raises(Forbidden):
        actions.verify_case(case, actor=staff.other_community_handler, passed=True)
    case = actions.verify_case(case, actor=staff.community_handler, passed=True, note="已现场查看")
    assert case.state == State.FOLLOW_UP
    event = case.events.order_by("-seq").first()
    assert event.action == "verify" and event.actor == staff.community_handler
    assert "verify" in allowed_actions(_grid_fix(staff), staff.district_dispatcher), "still"


def test_the_policy_holds_tier_by_tier(staff: Staff) -> None:
    _policy(community_verifies_micro=True)
    colleague = make_member(staff.tree.communities[0], Role.HANDLER, username="sq_b")
    minor = _community_fix(staff, staff.community_handler)
    assert "verify" not in allowed_actions(minor, colleague), "minor matters not allowed"
    _policy(community_verifies_micro=False, community_verifies_minor=True)
    assert "verify" in allowed_actions(minor, colleague)
    assert "verify" not in allowed_actions(minor, staff.community_handler), "not one's own fix"
    with pytest.raises(Forbidden, match="由您办结"):
        actions.verify_case(minor, actor=staff.community_handler, passed=True)
    assert "verify" not in allowed_actions(_grid_fix(staff), staff.community_handler)
    minor = actions.verify_case(minor, actor=colleague, passed=False, note="噪声仍然存在")
    assert minor.state == State.HANDLING and minor.reopens == 1


def test_the_console_offers_the_verify_button_only_where_allowed(staff: Staff) -> None:
    from django.test import Client

    case = _grid_fix(staff)
    client = Client()
    client.force_login(staff.community_handler)
    url = f"/cases/{case.tracking_code}/"
    assert 'data-action="verify"' not in client.get(url).content.decode()
    refused = client.post(f"{url}verify/", {"passed": "1"}, follow=True)
    assert "只有" in refused.content.decode()
    _policy(community_verifies_micro=True)
    assert 'data-action="verify"' in client.get(url).content.decode()
    client.post(f"{url}verify/", {"passed": "1", "version": str(case.version)})
    case.refresh_from_db()
    assert case.state == State.FOLLOW_UP
