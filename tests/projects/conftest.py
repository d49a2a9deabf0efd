from __future__ import annotations

from dataclasses import dataclass

import pytest

from civicgrid.org.models import Role, User
from civicgrid.projects import actions
from civicgrid.projects.models import Monitor, MonitorRole, Project, ProjectKind
from tests.factories import TreeFixture, UserFactory, make_member

# Inside grid 0 (cell 0,0) of the test district.
IN_GRID0 = (120.005, 30.005)
MONITOR_NAME = "张建国"
MONITOR_PHONE = "13912345678"


@dataclass
class ProjectsFixture:
    tree: TreeFixture
    department: User  # a handler of the responsible department
    district: User  # the district's dispatcher
    community: User  # a handler of the community where the project lies
    far_community: User  # a handler of a community of the other street
    monitor_user: User
    monitor: Monitor  # a 质监员 of the project, with an account
    project: Project  # in the first community, answered for by the department
    other: Project  # another project, in the other street


def make_project(tree: TreeFixture, unit_index: int = 0, name: str = "老旧小区加装电梯") -> Project:
    return actions.create_project(
        actions.Plan(
            name=name,
            kind=ProjectKind.LIVELIHOOD,
            department=tree.department,  # type: ignore[arg-type]
            unit=tree.communities[unit_index],
            description="为多层住宅加装电梯",
            address="幸福小区",
            lon=IN_GRID0[0] if unit_index == 0 else None,
            lat=IN_GRID0[1] if unit_index == 0 else None,
        ),
        actor=None,
    )


@pytest.fixture
def projects(tree: TreeFixture) -> ProjectsFixture:
    project = make_project(tree)
    other = make_project(tree, 2, "背街小巷整治")
    monitor_user = UserFactory(username="jiandu")
    monitor = actions.recruit_monitor(
        project,
        actor=None,
        name=MONITOR_NAME,
        phone=MONITOR_PHONE,
        role=MonitorRole.QUALITY,
        user=monitor_user,
    )
    return ProjectsFixture(
        tree=tree,
        department=make_member(tree.department, Role.HANDLER, username="bumen"),  # type: ignore[arg-type]
        district=make_member(tree.district, Role.DISPATCHER, username="quzhongxin"),
        community=make_member(tree.communities[0], Role.HANDLER, username="shequ"),
        far_community=make_member(tree.communities[2], Role.HANDLER, username="yuanshequ"),
        monitor_user=monitor_user,
        monitor=monitor,
        project=project,
        other=other,
    )
