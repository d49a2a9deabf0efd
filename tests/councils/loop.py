"""The normal loop, walked by its own transitions, for a council's case: triaged and
dispatched by the district, handled by a community, verified and closed."""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.org.models import Role, User
from tests.factories import TreeFixture, make_categories, make_member


@dataclass
class Loop:
    tree: TreeFixture
    categories: dict
    district_dispatcher: User
    street_dispatcher: User
    community_handler: User
    operator: User

    def close(self, case: Case) -> Case:
        """Walk ``case`` (submitted) to closed through the case's actions."""
        case = actions.triage_case(
            case,
            actor=self.district_dispatcher,
            category=self.categories["minor"],
            urgency=Urgency.NORMAL,
        )
        case = actions.dispatch_case(
            case, actor=self.district_dispatcher, unit=self.tree.communities[0]
        )
        case = actions.acknowledge_case(case, actor=self.community_handler)
        case = actions.resolve_case(case, actor=self.community_handler, reply="已协调解决")
        case = actions.verify_case(case, actor=self.street_dispatcher, passed=True)
        return actions.close_case(case, actor=self.operator)


def make_loop(tree: TreeFixture) -> Loop:
    from civicgrid.cases.deadlines import clear_calendar

    clear_calendar()
    return Loop(
        tree=tree,
        categories=make_categories(),
        district_dispatcher=make_member(tree.district, Role.DISPATCHER),
        street_dispatcher=make_member(tree.streets[0], Role.DISPATCHER),
        community_handler=make_member(tree.communities[0], Role.HANDLER),
        operator=make_member(tree.district, Role.OPERATOR),
    )
