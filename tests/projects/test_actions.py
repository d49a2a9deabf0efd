"""Projects through their actions: milestones make the percentage, monitors file
observations (with photos) and a problem becomes a case in the normal loop; refusals in
order (403 before 409) with nothing written, one event per change."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage

from civicgrid.cases.models import Case, Channel, State
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.projects import actions
from civicgrid.projects.models import (
    Milestone,
    MonitorRole,
    Observation,
    ObservationPhoto,
    ProjectAction,
    ProjectEvent,
    ProjectState,
    percent_done,
)
from tests.images import image_bytes
from tests.projects.conftest import MONITOR_PHONE, ProjectsFixture

pytestmark = pytest.mark.django_db


def written() -> tuple[int, ...]:
    return (
        Observation.objects.count(),
        ObservationPhoto.objects.count(),
        ProjectEvent.objects.count(),
        Case.objects.count(),
    )


def test_percent_done_weighs_the_done_milestones() -> None:
    assert percent_done([]) == 0
    assert percent_done([(1, True), (1, False)]) == 50
    assert percent_done([(3, True), (1, False), (6, False)]) == 30
    assert percent_done([(2, True), (1, True)]) == 100


def test_milestones_make_the_percentage_and_complete_the_project(
    projects: ProjectsFixture,
) -> None:
    project, staff = projects.project, projects.department
    line = actions.add_budget_line(project, actor=staff, item="电梯设备", amount="1200000.50")
    assert line.amount == Decimal("1200000.50")
    first = actions.add_milestone(
        project, actor=staff, name="方案公示", planned_on=actions.today(), weight=1
    )
    second = actions.add_milestone(
        project,
        actor=staff,
        name="竣工验收",
        planned_on=actions.today() + timedelta(days=90),
        weight=3,
    )
    actions.complete_milestone(first, actor=staff)
    project.refresh_from_db()
    assert (project.state, project.percent_done()) == (ProjectState.UNDERWAY, 25)
    with pytest.raises(Conflict):
        actions.complete_milestone(first, actor=staff)
    actions.complete_milestone(second, actor=projects.district)
    project.refresh_from_db()
    assert (project.state, project.percent_done()) == (ProjectState.COMPLETED, 100)
    assert list(
        ProjectEvent.objects.filter(project=project).order_by("pk").values_list("action", flat=True)
    ) == [
        ProjectAction.CREATE_PROJECT,
        ProjectAction.RECRUIT_MONITOR,
        ProjectAction.ADD_BUDGET_LINE,
        ProjectAction.ADD_MILESTONE,
        ProjectAction.ADD_MILESTONE,
        ProjectAction.COMPLETE_MILESTONE,
        ProjectAction.COMPLETE_MILESTONE,
    ]


def test_only_the_department_or_the_district_keeps_the_milestones(
    projects: ProjectsFixture,
) -> None:
    before = Milestone.objects.count(), ProjectEvent.objects.count()
    for who in (projects.community, projects.far_community, projects.monitor_user, AnonymousUser()):
        with pytest.raises(Forbidden):
            actions.add_milestone(
                projects.project, actor=who, name="开工", planned_on=actions.today()
            )
    assert (Milestone.objects.count(), ProjectEvent.objects.count()) == before


def test_a_monitor_files_an_observation_with_a_photo(
    projects: ProjectsFixture,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        observation = actions.file_observation(
            projects.monitor,
            actor=projects.monitor_user,
            text="三号楼电梯井施工规范，围挡完好。",
            photos=[io.BytesIO(image_bytes())],
        )
    assert observation.kind == "quality" and not observation.problem and observation.case is None
    photo = observation.photos.get()
    assert default_storage.exists(photo.name)
    event = ProjectEvent.objects.get(action=ProjectAction.FILE_OBSERVATION)
    assert event.monitor == projects.monitor and event.data["photos"] == [photo.name]


def test_a_problem_becomes_a_case_in_the_normal_loop(projects: ProjectsFixture) -> None:
    observation = actions.file_observation(
        projects.monitor,
        actor=projects.monitor_user,
        text="电梯井道墙面出现裂缝，施工方未处理。",
        problem=True,
        photos=[io.BytesIO(image_bytes())],
    )
    case = observation.case
    assert case is not None
    assert case.channel == Channel.PROJECT and case.state == State.SUBMITTED
    assert "老旧小区加装电梯" in case.text and "裂缝" in case.text
    assert case.grid_id == projects.tree.grids[0].pk  # located at the project's point
    assert case.photos.count() == 1
    assert case.contact.phone == MONITOR_PHONE  # masked there like any resident's
    assert list(
        ProjectEvent.objects.filter(observation=observation)
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [ProjectAction.FILE_OBSERVATION, ProjectAction.MAKE_CASE]
    with pytest.raises(Conflict):
        actions.make_case(observation, actor=projects.community)


def test_staff_make_a_case_of_an_observation_not_marked(projects: ProjectsFixture) -> None:
    observation = actions.file_observation(
        projects.monitor,
        actor=projects.monitor_user,
        text="工期已过半，电梯尚未进场。",
        photos=[io.BytesIO(image_bytes())],
    )
    with pytest.raises(Forbidden):
        actions.make_case(observation, actor=projects.far_community)
    case = actions.make_case(observation, actor=projects.community, note="请督促施工方")
    observation.refresh_from_db()
    assert observation.case == case and observation.problem
    assert case.photos.count() == 1 and "请督促施工方" in case.text


def test_refusals_for_observations_write_nothing(projects: ProjectsFixture) -> None:
    stranger_seat = actions.recruit_monitor(
        projects.other,
        actor=None,
        name="李四",
        phone="13800001111",
        role=MonitorRole.PROGRESS,
    )
    before = written()
    # A monitor of one project files for another project's seat: refused.
    with pytest.raises(Forbidden):
        actions.file_observation(stranger_seat, actor=projects.monitor_user, text="看到了")
    # Staff, even of the project's community, do not file in a monitor's name.
    with pytest.raises(Forbidden):
        actions.file_observation(projects.monitor, actor=projects.community, text="看到了")
    with pytest.raises(Forbidden):
        actions.file_observation(projects.monitor, actor=AnonymousUser(), text="看到了")
    with pytest.raises(Invalid):
        actions.file_observation(projects.monitor, actor=projects.monitor_user, text=" ")
    with pytest.raises(Invalid):
        actions.file_observation(
            projects.monitor,
            actor=projects.monitor_user,
            text="明天",
            observed_on=actions.today() + timedelta(days=1),
        )
    with pytest.raises(Invalid):
        actions.file_observation(
            projects.monitor,
            actor=projects.monitor_user,
            text="照片",
            photos=[io.BytesIO(b"not an image")],
        )
    assert written() == before


def test_a_refused_case_leaves_no_observation_and_no_photo_file(
    projects: ProjectsFixture,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    projects.monitor.phone = "123"  # a number intake refuses: the whole filing rolls back
    projects.monitor.save()
    before = written()
    with pytest.raises(Invalid):
        actions.file_observation(
            projects.monitor,
            actor=projects.monitor_user,
            text="裂缝",
            problem=True,
            photos=[io.BytesIO(image_bytes())],
        )
    assert written() == before
    media = settings.MEDIA_ROOT
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True


def test_recruiting_is_for_the_department_or_where_the_project_lies(
    projects: ProjectsFixture,
) -> None:
    seat = actions.recruit_monitor(
        projects.project,
        actor=projects.community,
        name="王五",
        phone="13800002222",
        role=MonitorRole.PROGRESS,
    )
    assert seat.project == projects.project
    with pytest.raises(Forbidden):  # a community worker of another street
        actions.recruit_monitor(
            projects.project,
            actor=projects.far_community,
            name="赵六",
            phone="13800003333",
            role=MonitorRole.PROGRESS,
        )
    with pytest.raises(Forbidden):  # 403 before the 409 of the duplicate seat
        actions.recruit_monitor(
            projects.project,
            actor=projects.far_community,
            name="张建国",
            phone=MONITOR_PHONE,
            role=MonitorRole.QUALITY,
            user=projects.monitor_user,
        )
    with pytest.raises(Conflict):
        actions.recruit_monitor(
            projects.project,
            actor=projects.community,
            name="张建国",
            phone=MONITOR_PHONE,
            role=MonitorRole.QUALITY,
            user=projects.monitor_user,
        )


def test_a_retired_monitor_files_no_more_and_may_be_recruited_again(
    projects: ProjectsFixture,
) -> None:
    seat = projects.monitor
    actions.file_observation(seat, actor=projects.monitor_user, text="钢筋间距符合要求")
    before = written()
    for stranger in (projects.far_community, projects.monitor_user):  # 403, nothing written
        with pytest.raises(Forbidden):
            actions.retire_monitor(seat, actor=stranger)
    assert written() == before
    retired = actions.retire_monitor(seat, actor=projects.community)
    assert (retired.active, retired.retired_on) == (False, actions.today())
    event = ProjectEvent.objects.latest("pk")
    assert (event.action, event.monitor, event.actor) == (
        ProjectAction.RETIRE_MONITOR,
        retired,
        projects.community,
    )
    assert retired.observations.count() == 1  # what they filed stays
    before = written()
    with pytest.raises(Conflict):
        actions.retire_monitor(seat, actor=projects.community)
    with pytest.raises(Conflict):
        actions.file_observation(seat, actor=projects.monitor_user, text="又来看了")
    assert written() == before
    again = actions.recruit_monitor(
        projects.project,
        actor=projects.community,
        name="张建国",
        phone=MONITOR_PHONE,
        role=MonitorRole.QUALITY,
        user=projects.monitor_user,
    )
    assert again.active and again.pk != seat.pk


def test_a_whole_phone_is_revealed_with_a_logged_reason(projects: ProjectsFixture) -> None:
    with pytest.raises(Invalid):
        actions.reveal_phone(projects.monitor, actor=projects.community, reason="")
    with pytest.raises(Forbidden):
        actions.reveal_phone(projects.monitor, actor=projects.far_community, reason="回访")
    assert (
        actions.reveal_phone(projects.monitor, actor=projects.community, reason="核实裂缝")
        == MONITOR_PHONE
    )
    event = ProjectEvent.objects.get(action=ProjectAction.REVEAL_PHONE)
    assert (event.actor, event.note) == (projects.community, "核实裂缝")


def test_creating_a_project_needs_the_department(projects: ProjectsFixture) -> None:
    plan = actions.Plan(
        name="口袋公园",
        kind="construction",
        department=projects.tree.department,  # type: ignore[arg-type]
        unit=projects.tree.streets[0],
    )
    with pytest.raises(Forbidden):
        actions.create_project(plan, actor=projects.community)
    made = actions.create_project(plan, actor=projects.department)
    assert made.state == ProjectState.PLANNED
    with pytest.raises(Invalid):
        actions.create_project(
            actions.Plan(
                name="x",
                kind="construction",
                department=projects.tree.streets[0],
                unit=projects.tree.streets[0],
            ),
            actor=projects.department,
        )
