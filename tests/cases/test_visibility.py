"""``Case.objects.visible_to``: the query shape built for millions of cases (ids resolved
first, one indexed condition per part) returns exactly what the plain rule says.

The rule, in words: a person sees the cases owned by a unit in the subtrees of their
memberships, the cases whistled to a department in those subtrees, and, for grid
workers and volunteers, the cases located in their grids; a superuser sees all, a
deactivated person nothing. Here it is written out twice more, independently of the
code: as the path-prefix filter the code used before (across joins), and as plain
Python over the rows.
"""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_
from unittest.mock import patch

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases import actions
from civicgrid.cases.models import SPLIT_UNITS, Case, State, TaskState, Urgency, WhistleTask
from civicgrid.cases.paging import Order, Part, _ordering, keyset
from civicgrid.cases.queues import MOST_URGENT_FIRST, NEWEST_FIRST
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User
from civicgrid.org.scoping import FIELD_ROLES, scope_of
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import dispatched
from tests.factories import make_member, make_unit, submit


def by_paths(user: User) -> set[int]:
    """The rule as the path-prefix filter across joins (the shape before issue #14)."""
    if not user.is_active:
        return set()
    if user.is_superuser:
        return set(Case.objects.values_list("pk", flat=True))
    rows = Membership.objects.filter(user=user, active=True, unit__active=True)
    paths = [path for path, _role in rows.values_list("unit__path", "role")]
    field = [path for path, role in rows.values_list("unit__path", "role") if role in FIELD_ROLES]
    if not paths:
        return set()
    owned = reduce(or_, (Q(owner_unit__path__startswith=p) for p in paths))
    tasked = reduce(or_, (Q(department__path__startswith=p) for p in paths))
    rule = owned | Q(pk__in=WhistleTask.objects.filter(tasked).values("case"))
    if field:
        rule |= reduce(or_, (Q(grid__path__startswith=p) for p in field))
    return set(Case.objects.filter(rule).values_list("pk", flat=True))


def visible(user: User) -> set[int]:
    return set(Case.objects.visible_to(user).values_list("pk", flat=True))


def found_by_code(user: User) -> set[int]:
    """The cases ``visible_case`` gives the user, asked for each case's code."""
    codes = Case.objects.values_list("tracking_code", flat=True)
    return {case.pk for code in codes if (case := Case.objects.visible_case(user, code))}


def test_every_role_sees_what_the_rule_says(staff: Staff) -> None:
    tree = staff.tree
    district = staff.district_dispatcher
    cases = []
    for kind, grid in [("minor", 0), ("micro", 1), ("moderate", 4), ("major", None), ("minor", 9)]:
        case = actions.triage_case(
            submit(tree, grid_index=grid),
            actor=district,
            category=staff.categories[kind],
            urgency=Urgency.NORMAL,
        )
        cases.append(actions.dispatch_case(case, actor=district))
    cases.append(submit(tree, grid_index=2))  # waiting at the district
    # A department whistled to a case of street 1: outside the department's own tree.
    whistled = actions.whistle_case(cases[2], actor=staff.district_dispatcher, lead=tree.department)
    sub = make_unit("DX0101", "执法大队", UnitKind.DEPARTMENT, tree.department)
    sub_handler = make_member(sub, Role.HANDLER)
    WhistleTask.objects.create(
        case=cases[0],
        case_created_at=cases[0].created_at,
        department=sub,
        state=TaskState.WORKING,
        check_in_due=whistled.created_at,
    )
    volunteer = make_member(tree.grids[1], Role.VOLUNTEER)
    two_streets = make_member(tree.communities[0], Role.HANDLER)
    Membership.objects.create(user=two_streets, unit=tree.streets[1], role=Role.DISPATCHER)
    field_at_community = make_member(tree.communities[2], Role.GRID_WORKER)
    gone = make_member(tree.streets[0], Role.DISPATCHER)
    gone.is_active = False
    gone.save()
    admin = User.objects.create_superuser("root", password="x")
    people = [
        staff.district_dispatcher,
        staff.leader,
        staff.operator,
        staff.street_dispatcher,
        staff.other_street_dispatcher,
        staff.community_handler,
        staff.other_community_handler,
        staff.grid_worker,
        staff.department_handler,
        staff.outsider,
        sub_handler,
        volunteer,
        two_streets,
        field_at_community,
        gone,
        admin,
    ]
    for person in people:
        person = User.objects.get(pk=person.pk)  # a fresh scope
        assert visible(person) == by_paths(person), person.username
        assert found_by_code(person) == visible(person), f"{person.username}, one by one"
    # and the checks that make the equality mean something
    assert cases[2].pk in visible(staff.department_handler), "whistled outside its tree"
    assert cases[0].pk in visible(sub_handler) and cases[2].pk not in visible(sub_handler)
    assert visible(staff.grid_worker) >= {c.pk for c in cases if c.grid_id == tree.grids[0].pk}
    assert not visible(gone) and not visible(staff.outsider)
    assert visible(admin) == set(Case.objects.values_list("pk", flat=True))


def test_a_scope_passed_where_a_user_is_expected(staff: Staff) -> None:
    case = submit(staff.tree)
    scope = scope_of(staff.district_dispatcher)
    assert list(Case.objects.visible_to(scope)) == [case]
    assert not Case.objects.visible_to(scope_of(staff.community_handler)).exists()


# --- random trees, random people, random cases ---------------------------------------------

trees = st.fixed_dictionaries(
    {
        "streets": st.integers(1, 3),
        "communities": st.integers(1, 3),
        "grids": st.integers(1, 3),
        "departments": st.integers(1, 3),
    }
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=trees, data=st.data())
def test_visibility_on_random_trees_is_the_plain_rule(db, shape, data) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():  # each example from an empty database
        _check_random_tree(shape, data)
        transaction.set_rollback(True)


def _check_random_tree(shape, data) -> None:  # type: ignore[no-untyped-def]
    district = make_unit("R", "区", UnitKind.DISTRICT)
    units = [district]
    grids = []
    for s in range(shape["streets"]):
        street = make_unit(f"R{s}", f"街{s}", UnitKind.STREET, district)
        units.append(street)
        for c in range(shape["communities"]):
            community = make_unit(f"R{s}{c}", f"社{s}{c}", UnitKind.COMMUNITY, street)
            units.append(community)
            for g in range(shape["grids"]):
                grid = make_unit(f"R{s}{c}{g}", f"网{s}{c}{g}", UnitKind.GRID, community)
                units.append(grid)
                grids.append(grid)
    departments = []
    for d in range(shape["departments"]):
        parent = departments[-1] if departments and d % 2 else district
        departments.append(make_unit(f"RD{d}", f"部{d}", UnitKind.DEPARTMENT, parent))
    units += departments
    owners = st.sampled_from(units)
    hours = st.integers(0, 3)  # few distinct times: ties, broken by id
    rows = data.draw(
        st.lists(
            st.tuples(
                owners,
                st.none() | st.sampled_from(grids),
                st.lists(st.sampled_from(departments), max_size=2, unique=True),
                hours,
                st.none() | hours,
            ),
            min_size=1,
            max_size=12,
        )
    )
    cases = []
    for owner, grid, tasked, age, due in rows:
        case = Case.objects.create(
            channel="web",
            title="t",
            text="t",
            owner_unit=owner,
            grid=grid,
            state=State.HANDLING,
            created_at=district.created_at - timedelta(hours=age),
            due_at=None if due is None else district.created_at + timedelta(hours=due),
        )
        for department in tasked:
            WhistleTask.objects.create(
                case=case,
                case_created_at=case.created_at,
                department=department,
                check_in_due=district.created_at,
            )
        cases.append((case, owner, grid, tasked))
    grants = data.draw(
        st.lists(st.tuples(st.sampled_from(units), st.sampled_from(Role.values)), max_size=3)
    )
    person = User.objects.create_user("p", password="x")
    for unit, role in set(grants):
        Membership.objects.create(user=person, unit=unit, role=role)

    paths = [unit.path for unit, _role in grants]
    field = [unit.path for unit, role in grants if role in FIELD_ROLES]

    def sees(owner: Unit, grid: Unit | None, tasked: list[Unit]) -> bool:
        return (
            any(owner.path.startswith(p) for p in paths)
            or any(d.path.startswith(p) for d in tasked for p in paths)
            or (grid is not None and any(grid.path.startswith(p) for p in field))
        )

    expected = {case.pk for case, owner, grid, tasked in cases if sees(owner, grid, tasked)}
    # One part per unit, and one part for all units (a scope larger than SPLIT_UNITS).
    for split in (SPLIT_UNITS, 0):
        with patch("civicgrid.cases.models.SPLIT_UNITS", split):
            person = User.objects.get(pk=person.pk)  # a fresh scope
            assert visible(person) == expected, grants
            assert found_by_code(person) == expected, f"{grants}, one by one"
            parts = Case.objects.scope_parts(person)
            for order, nullable in ((NEWEST_FIRST, False), (MOST_URGENT_FIRST, True)):
                wanted = Case.objects.filter(pk__in=expected).order_by(
                    *_ordering(order, nullable=nullable)
                )
                assert paged(order, nullable, parts) == list(wanted.values_list("pk", flat=True))
            # Within a narrowed list (a search): a part found through the departments'
            # tasks (``Linked``) keeps to the list's rows too.
            due = Case.objects.filter(due_at__isnull=False)
            wanted = due.filter(pk__in=expected).order_by(*NEWEST_FIRST)
            assert paged(NEWEST_FIRST, False, parts, due) == list(
                wanted.values_list("pk", flat=True)
            )


def paged(
    order: Order, nullable: bool, parts: list[Part] | None, rows: QuerySet[Case] | None = None
) -> list[int]:
    """Every case of ``parts`` (within ``rows``: all cases), two at a time by key,
    forward; then back again from the last page, which must give the same pages."""
    rows = Case.objects.all() if rows is None else rows
    pages, before = [], None
    while True:
        page = keyset(rows, order, before=before, size=2, nullable=nullable, parts=parts)
        pages.append([c.pk for c in page.items])
        if page.next is None:
            break
        before = page.next
    back, after = [pages[-1]], page.previous
    while after is not None:
        page = keyset(rows, order, after=after, size=2, nullable=nullable, parts=parts)
        back.insert(0, [c.pk for c in page.items])
        after = page.previous
    assert back == pages, "the pages read backwards are the pages read forwards"
    return [pk for page_ in pages for pk in page_]


def whistled_to_the_department(staff: Staff) -> Case:
    """A case of the district's, dispatched and whistled to the tree's department."""
    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["moderate"],
        urgency=Urgency.NORMAL,
    )
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    return actions.whistle_case(case, actor=staff.street_dispatcher, lead=staff.tree.department)


def test_a_departments_work_is_its_open_tasks(staff: Staff) -> None:
    """A case whose task the department finished stays visible to it, but leaves its
    queues of open work (the street handles it on)."""
    from civicgrid.cases.queues import in_queue, queue_counts

    case = whistled_to_the_department(staff)
    dept = User.objects.get(pk=staff.department_handler.pk)
    assert [c.pk for c in in_queue(dept, "handling")] == [case.pk]
    assert queue_counts(dept)["handling"] == 1
    task = case.tasks.get()
    for step in (actions.check_in_task, actions.start_task):
        task = step(task, actor=staff.department_handler)
    actions.finish_task(task, actor=staff.department_handler, note="已整改")
    dept = User.objects.get(pk=staff.department_handler.pk)
    assert Case.objects.visible_to(dept).filter(pk=case.pk).exists(), "still visible"
    assert not in_queue(dept, "handling").exists() and queue_counts(dept)["handling"] == 0
    assert [c.pk for c in in_queue(dept, "all")] == [case.pk], "and in 'all'"


def test_a_case_found_by_its_code_is_checked_in_the_query_that_finds_it(staff: Staff) -> None:
    """A department's case page does not list every case it was tasked with (a list that
    grows with the cases) to check the one it shows: the task is probed for that case."""
    tree = staff.tree
    case = whistled_to_the_department(staff)
    elsewhere = submit(tree)  # a case the department has no task on
    dept = User.objects.get(pk=staff.department_handler.pk)
    assert scope_of(dept).reach.department_ids  # (read once per person, before)
    with CaptureQueriesContext(connection) as queries:
        assert Case.objects.visible_case(dept, case.tracking_code) == case
        assert Case.objects.visible_case(dept, elsewhere.tracking_code) is None
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]
    assert all("EXISTS" in q["sql"] for q in queries.captured_queries)


def test_a_page_of_a_small_scope_is_read_part_by_part_in_one_statement(staff: Staff) -> None:
    """A community handler's queue: one part per unit of the community (each walked in
    its own ``unit_newest`` entries), read together: one statement on PostgreSQL
    (``UNION ALL``), one per part on SQLite, whose compound statements take no LIMIT;
    then the page's rows by id. The page is the same as the one-filter page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for kind in ("micro", "minor", "micro"):  # owned by a grid, the community, a grid
        dispatched(staff, kind)
    handler = User.objects.get(pk=staff.community_handler.pk)
    parts = Case.objects.scope_parts(handler)
    assert parts is not None and len(parts) > 1, "the community and its grids, a part each"
    with CaptureQueriesContext(connection) as queries:
        page = keyset(Case.objects.all(), NEWEST_FIRST, size=2, parts=parts)
    keys_read = 1 if connection.vendor == "postgresql" else len(parts)
    assert len(queries) == keys_read + 1, [q["sql"] for q in queries]
    if connection.vendor == "postgresql":
        assert "UNION ALL" in queries[0]["sql"]
    assert page.items == keyset(Case.objects.visible_to(handler), NEWEST_FIRST, size=2).items
    assert len(page.items) == 2 and page.next


def test_the_all_queue_is_paged_by_parts_and_the_open_queues_by_one_filter(staff: Staff) -> None:
    """``queue_parts``: parts for "all" newest or oldest first or by unit (the orders the
    parts' indexes carry); one filter for an open queue and for the orders no part's
    index carries. Either way the page is the queue as ``in_queue`` gives it."""
    from civicgrid.cases.queues import in_queue, queue_parts
    from civicgrid.cases.search import SORTS

    for kind in ("micro", "minor", "micro", "minor"):
        dispatched(staff, kind)
    handler = User.objects.get(pk=staff.community_handler.pk)
    for name, sort, only_open in [
        ("all", None, False),
        ("all", "oldest", False),
        ("all", "unit", False),
        ("all", "category", False),
        ("to_acknowledge", None, False),
        ("all", None, True),  # searched for the overdue: open cases only
    ]:
        order = SORTS[sort].order if sort else NEWEST_FIRST
        rows, parts = queue_parts(handler, name, order, only_open=only_open)
        split = name == "all" and sort != "category" and not only_open
        assert (parts is not None) == split, (name, sort, only_open)
        page = keyset(rows, order, size=3, parts=parts)
        whole = keyset(in_queue(handler, name), order, size=3)
        assert page.items == whole.items and len(page.items) == 3, (name, sort)


def test_the_overdue_search_is_one_filter_on_the_console_and_the_api(staff: Staff) -> None:
    """ "Overdue" keeps a list of "all" to open cases: the console and the API page it as
    the open queues are paged, by one filter (``only_open``), and list what is overdue
    in the handler's community, nothing else."""
    from django.test import Client

    from civicgrid.cases import queues

    late, _on_time = dispatched(staff, "minor"), dispatched(staff, "minor")
    elsewhere = dispatched(staff, "minor", grid_index=9)  # another street's community
    Case.objects.filter(pk__in=[late.pk, elsewhere.pk]).update(
        due_at=late.created_at - timedelta(hours=1)
    )
    client = Client()
    client.force_login(staff.community_handler)
    with patch("civicgrid.cases.queues.queue_parts", wraps=queues.queue_parts) as console:
        page = client.get("/cases/", {"queue": "all", "overdue": "1"}).context["page"]
    assert [c.pk for c in page.items] == [late.pk]
    assert console.call_args.kwargs == {"only_open": True, "listed": False}
    with patch("civicgrid.cases.queues.queue_parts", wraps=queues.queue_parts) as api:
        listed = client.get("/api/cases", {"queue": "all", "overdue": "1"}).json()["items"]
    assert [row["tracking_code"] for row in listed] == [late.tracking_code]
    assert api.call_args.kwargs == {"only_open": True, "listed": False}


def test_a_search_that_lists_its_cases_is_one_filter_on_the_console_and_the_api(
    staff: Staff,
) -> None:
    """A search by code (or a phone's cases, or a word's holders) is a list of ids: the
    scope is checked on those rows in one filter (``listed``), not walked part by part
    with the list read again in each part; what is found is the same, scoped."""
    from django.test import Client

    from civicgrid.cases import queues

    handler = staff.community_handler
    assert queues.queue_parts(handler, "all", NEWEST_FIRST)[1], "parts, unless listed"
    assert queues.queue_parts(handler, "all", NEWEST_FIRST, listed=True)[1] is None
    own = dispatched(staff, "minor")
    elsewhere = dispatched(staff, "minor", grid_index=9)  # another street's community
    client = Client()
    client.force_login(staff.community_handler)
    for case, found in [(own, [own.tracking_code]), (elsewhere, [])]:
        query = {"queue": "all", "code": case.tracking_code}
        with patch("civicgrid.cases.queues.queue_parts", wraps=queues.queue_parts) as console:
            page = client.get("/cases/", query).context["page"]
        assert [c.tracking_code for c in page.items] == found
        assert console.call_args.kwargs == {"only_open": False, "listed": True}
        with patch("civicgrid.cases.queues.queue_parts", wraps=queues.queue_parts) as api:
            items = client.get("/api/cases", query).json()["items"]
        assert [row["tracking_code"] for row in items] == found
        assert api.call_args.kwargs == {"only_open": False, "listed": True}


def test_a_page_of_parts_over_no_rows_or_no_parts_is_empty(staff: Staff) -> None:
    """A search that finds nothing (``rows.none()``) and a scope of nothing (no parts)."""
    submit(staff.tree)
    parts = [Q(owner_unit_id=staff.tree.district.pk), Q(grid_id=staff.tree.grids[0].pk)]
    page = keyset(Case.objects.none(), NEWEST_FIRST, parts=parts)
    assert page.items == [] and page.next is None
    assert keyset(Case.objects.all(), NEWEST_FIRST, parts=parts).items, "(the rows are there)"
    assert keyset(Case.objects.all(), NEWEST_FIRST, parts=[]).items == []


def test_a_case_tasked_twice_in_a_scope_is_listed_once(staff: Staff) -> None:
    """A department whose sub-department assists on the same cases: its part found through
    the tasks (``Linked``) meets each case twice, yet every page lists it once, and
    the pages, forward and back, hold every case. The tasks keep their case's time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicgrid.cases.queues import queue_parts

    tree = staff.tree
    sub = make_unit("DX0102", "监察大队", UnitKind.DEPARTMENT, tree.department)
    whistled = []
    for _ in range(3):
        case = dispatched(staff, "moderate")  # a street's case, outside the department's tree
        whistled.append(
            actions.whistle_case(
                case, actor=staff.street_dispatcher, lead=tree.department, assisting=[sub]
            )
        )
    assert all(
        task.case_created_at == case.created_at for case in whistled for task in case.tasks.all()
    )
    handler = User.objects.get(pk=staff.department_handler.pk)
    rows, parts = queue_parts(handler, "all", NEWEST_FIRST)
    assert parts is not None and any(not isinstance(part, Q) for part in parts)
    expected = [case.pk for case in sorted(whistled, key=lambda c: (c.created_at, c.pk))][::-1]
    assert paged(NEWEST_FIRST, False, parts, rows) == expected
    assert paged(NEWEST_FIRST, False, parts[-1:], rows) == expected, "the tasks' part alone"
    assert keyset(rows.none(), NEWEST_FIRST, parts=parts).items == [], "a search found nothing"
    with CaptureQueriesContext(connection) as queries:
        keyset(rows, NEWEST_FIRST, size=2, parts=parts)
    tasks_page = [q["sql"] for q in queries if 'FROM "cases_whistletask"' in q["sql"]]
    assert len(tasks_page) == 1 and "LIMIT 3" in tasks_page[0], (
        "newest first, the tasks' part is a page of the tasks' own index, not their case ids"
    )
