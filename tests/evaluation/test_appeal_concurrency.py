"""Appeals at once, on PostgreSQL: two units' people appealing one case, two deciders
deciding one appeal; the row locks let exactly one of each win."""

from __future__ import annotations

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.errors import Refusal
from civicgrid.evaluation import actions as appeals
from civicgrid.evaluation.models import Appeal, AppealEvent, AppealState, Ground
from civicgrid.org.models import Role
from tests.cases.test_concurrency import (
    postgres,  # noqa: F401 (the fixture)
    pytestmark,
    race,
)
from tests.factories import make_categories, make_member, make_tree, submit

__all__ = ["pytestmark"]


def test_two_appeals_at_once_and_two_decisions_at_once(postgres) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    leader = make_member(tree.district, Role.LEADER)
    appellants = [
        make_member(tree.communities[0], Role.HANDLER),
        make_member(tree.streets[0], Role.DISPATCHER),
    ]
    case = actions.triage_case(
        submit(tree), actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)

    submitted = race(
        2,
        lambda i: appeals.submit_appeal(
            Case.objects.get(pk=case.pk),
            actor=appellants[i],
            ground=Ground.DUPLICATE,
            reason=f"重复工单 {i}",
        ),
    )
    wins = [r for r in submitted if isinstance(r, Appeal)]
    losses = [r for r in submitted if isinstance(r, Refusal)]
    assert len(wins) == 1 and len(losses) == 1, submitted
    assert losses[0].message == "该工单已有一件申诉在等待区级裁决。"

    appeal = wins[0]
    decided = race(
        2,
        lambda i: (appeals.uphold_appeal if i == 0 else appeals.reject_appeal)(
            Appeal.objects.get(pk=appeal.pk), actor=[leader, dispatcher][i], note="裁决"
        ),
    )
    assert sum(isinstance(r, Appeal) for r in decided) == 1, decided
    assert [r.message for r in decided if isinstance(r, Refusal)] == ["该申诉已裁决。"]
    appeal.refresh_from_db()
    assert appeal.state in (AppealState.UPHELD, AppealState.REJECTED)
    assert AppealEvent.objects.filter(appeal=appeal).count() == 2
    case.refresh_from_db()
    assert case.excluded_by_appeal == (appeal.state == AppealState.UPHELD)
