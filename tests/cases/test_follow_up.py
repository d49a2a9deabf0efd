"""回访: follow-up calls and the district's reopen policy, as rules alone (no database)
and through the real transitions: three unanswered calls close a case as unreachable
(not two), the resident's word closes or reopens it by the policy, on the phone and
on the tracking page alike; who may record a call."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from django.utils import timezone

from civicgrid.cases import actions, rules
from civicgrid.cases.models import Case, FollowUpPolicy, State
from civicgrid.cases.rules import NOWHERE, FollowUpTerms, Snapshot
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.org.models import Role
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import assert_log_is_truth, dispatched
from tests.factories import make_member

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(480))
TERMS = FollowUpTerms(max_attempts=3, reopen_not_solved=True, reopen_at_most_stars=2, max_reopens=2)
LENIENT = FollowUpTerms(
    max_attempts=3, reopen_not_solved=False, reopen_at_most_stars=0, max_reopens=None
)


def in_follow_up(**changes: object) -> Snapshot:
    base = {
        "pk": 7,
        "state": State.FOLLOW_UP,
        "owner_unit_id": 30,
        "dispatcher_unit_id": 20,
        "grid_id": 40,
        "tier": "minor",
        "category_id": 5,
        "urgency": "normal",
        "version": 9,
    }
    return Snapshot(**{**base, **changes})  # type: ignore[arg-type]


def call(case: Snapshot, terms: FollowUpTerms = TERMS, **kwargs: object) -> rules.Plan:
    return rules.follow_up(case, NOWHERE, at=AT, terms=terms, **kwargs)  # type: ignore[arg-type]


# --- the rules alone ----------------------------------------------------------------------------


def test_the_third_unanswered_call_closes_the_case_as_unreachable_not_before() -> None:
    case = in_follow_up()
    for attempt in (1, 2):
        plan = call(case, reached=False, note="无人接听")
        assert plan.action == "follow_up" and plan.to_state == State.FOLLOW_UP
        assert plan.counts == ("follow_up_attempts",)
        assert plan.data == {"attempt": attempt, "reached": False}
        assert "unreachable" not in dict(plan.changes)
        case = case.after(plan)
        assert case.follow_up_attempts == attempt
    third = call(case, reached=False, note="仍无人接听")
    assert third.action == "close" and third.to_state == State.CLOSED
    changes = dict(third.changes)
    assert changes["unreachable"] is True and changes["closed_at"] == AT
    assert "rating" not in changes and "solved" not in changes, "no word was given"
    assert third.data == {"attempt": 3, "reached": False, "unreachable": True}
    assert third.note == "仍无人接听"


def test_the_number_of_calls_is_the_districts() -> None:
    one_call = replace(TERMS, max_attempts=1)
    assert call(in_follow_up(), one_call, reached=False).to_state == State.CLOSED
    five = replace(TERMS, max_attempts=5)
    assert call(in_follow_up(follow_up_attempts=3), five, reached=False).action == "follow_up"
    assert call(in_follow_up(follow_up_attempts=4), five, reached=False).action == "close"


def test_a_call_that_reaches_the_resident_does_not_count_towards_unreachable() -> None:
    # Reached, but the resident gives no word (will rate online): the case waits.
    plan = call(in_follow_up(follow_up_attempts=2), reached=True, note="群众说稍后网上评价")
    assert plan.action == "follow_up" and plan.to_state == State.FOLLOW_UP
    assert plan.data == {"attempt": 3, "reached": True}
    # A later unanswered call, past the limit, ends it.
    after = in_follow_up(follow_up_attempts=3)
    assert call(after, reached=False).data["unreachable"] is True


def test_a_reached_resident_who_says_solved_closes_the_case_with_their_rating() -> None:
    plan = call(
        in_follow_up(follow_up_attempts=1),
        reached=True,
        rating=5,
        solved=True,
        comment="处理得很及时",
        note="第二次拨打接通",
    )
    assert plan.action == "rate" and plan.to_state == State.CLOSED
    changes = dict(plan.changes)
    assert (changes["rating"], changes["solved"], changes["closed_at"]) == (5, True, AT)
    assert plan.counts == ("follow_up_attempts",)
    assert plan.note == "处理得很及时", "the event's note is the resident's comment"
    assert plan.data == {
        "attempt": 2,
        "reached": True,
        "call_note": "第二次拨打接通",
        "rating": 5,
        "solved": True,
        "reopen": False,
    }


def test_not_solved_reopens_by_the_policy() -> None:
    plan = call(in_follow_up(), reached=True, rating=3, solved=False)
    assert plan.action == "rate" and plan.to_state == State.HANDLING
    assert plan.counts == ("follow_up_attempts", "reopens")
    assert plan.data["reopen"] is True and plan.data["why"] == "not_solved"
    assert "closed_at" not in dict(plan.changes)


def test_dissatisfied_reopens_by_the_policy_even_when_solved() -> None:
    for stars, state in ((1, State.HANDLING), (2, State.HANDLING), (3, State.CLOSED)):
        plan = call(in_follow_up(), reached=True, rating=stars, solved=True)
        assert plan.to_state == state, stars
        if state == State.HANDLING:
            assert plan.data["why"] == "dissatisfied"
    strict = replace(TERMS, reopen_at_most_stars=3)
    assert call(in_follow_up(), strict, reached=True, rating=3, solved=True).data["reopen"]


def test_policy_off_closes_anyway() -> None:
    for stars, solved in ((1, False), (1, True), (5, False)):
        plan = call(in_follow_up(), LENIENT, reached=True, rating=stars, solved=solved)
        assert plan.to_state == State.CLOSED and plan.data["reopen"] is False
        assert dict(plan.changes)["solved"] is solved, "the resident's word is kept"
        assert "why" not in plan.data
    # Only "not solved" switched off: the stars still reopen.
    stars_only = replace(TERMS, reopen_not_solved=False)
    assert call(in_follow_up(), stars_only, reached=True, rating=5, solved=False).data == {
        "attempt": 1,
        "reached": True,
        "rating": 5,
        "solved": False,
        "reopen": False,
    }
    low = call(in_follow_up(), stars_only, reached=True, rating=2, solved=False)
    assert low.data["why"] == "dissatisfied" and low.to_state == State.HANDLING


def test_past_the_reopen_limit_the_word_closes_the_case() -> None:
    plan = call(in_follow_up(reopens=2), reached=True, rating=1, solved=False)
    assert plan.to_state == State.CLOSED and plan.counts == ("follow_up_attempts",)
    assert plan.data["reopen"] is False and plan.data["reopen_limit"] == 2
    assert plan.data["why"] == "not_solved"
    assert call(in_follow_up(reopens=1), reached=True, rating=1, solved=False).data["reopen"]
    unlimited = replace(TERMS, max_reopens=None)
    assert call(in_follow_up(reopens=50), unlimited, reached=True, rating=1, solved=False).data[
        "reopen"
    ]


def test_the_residents_own_rating_follows_the_same_rule() -> None:
    for terms in (TERMS, LENIENT, replace(TERMS, max_reopens=0)):
        for stars in range(1, 6):
            for solved in (True, False):
                by_call = call(in_follow_up(), terms, reached=True, rating=stars, solved=solved)
                by_page = rules.rate(
                    in_follow_up(), NOWHERE, at=AT, terms=terms, rating=stars, solved=solved
                )
                assert by_page.action == by_call.action == "rate"
                assert by_page.changes == by_call.changes
                assert by_call.counts[0] == "follow_up_attempts"
                assert by_page.counts == by_call.counts[1:]
                word = {k: v for k, v in by_call.data.items() if k not in ("attempt", "reached")}
                assert word == by_page.data


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"reached": False, "rating": 4, "solved": True}, "未联系上"),
        ({"reached": True, "rating": 4}, "一并"),
        ({"reached": True, "solved": True}, "一并"),
        ({"reached": True, "rating": 0, "solved": True}, "1 到 5 星"),
        ({"reached": True, "rating": 6, "solved": True}, "1 到 5 星"),
    ],
)
def test_a_call_with_half_a_word_is_refused(kwargs: dict, words: str) -> None:
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(Invalid, match=words):
        call(in_follow_up(), **kwargs)


def test_only_a_case_in_follow_up_gets_calls() -> None:
    for state in (State.HANDLING, State.RESOLVED, State.CLOSED):
        with pytest.raises(Conflict):
            call(in_follow_up(state=state), reached=False)


def test_entering_follow_up_again_counts_calls_from_none() -> None:
    plan = rules.verify(
        in_follow_up(state=State.RESOLVED, follow_up_attempts=2),
        NOWHERE,
        at=AT,
        passed=True,
        follow_up_due=AT,
    )
    assert dict(plan.changes)["follow_up_attempts"] == 0
    assert dict(plan.changes)["unreachable"] is False
    reopened = rules.reopen(in_follow_up(state=State.CLOSED), NOWHERE, at=AT, reason="群众再次反映")
    assert dict(reopened.changes)["unreachable"] is False


# --- through the transitions ---------------------------------------------------------------------


def follow_up(staff: Staff) -> Case:
    case = actions.acknowledge_case(dispatched(staff), actor=staff.community_handler)
    case = actions.resolve_case(case, actor=staff.community_handler, reply="楼道杂物已清理。")
    return actions.verify_case(case, actor=staff.grid_worker, passed=True)


def test_three_unanswered_calls_through_the_transitions(staff: Staff) -> None:
    case = follow_up(staff)
    for n in (1, 2):
        case = actions.follow_up_case(case, actor=staff.operator, reached=False, note="无人接听")
        assert (case.state, case.follow_up_attempts, case.unreachable) == ("follow_up", n, False)
    case = actions.follow_up_case(case, actor=staff.operator, reached=False, note="关机")
    assert (case.state, case.follow_up_attempts, case.unreachable) == ("closed", 3, True)
    assert case.rating is None and case.solved is None and case.closed_at is not None
    calls = list(case.events.filter(data__has_key="attempt").values_list("action", "data"))
    assert calls == [
        ("follow_up", {"attempt": 1, "reached": False}),
        ("follow_up", {"attempt": 2, "reached": False}),
        ("close", {"attempt": 3, "reached": False, "unreachable": True}),
    ]
    assert_log_is_truth(case)
    # Reopened by a dispatcher, fixed again, followed up again: counted from none.
    case = actions.reopen_case(case, actor=staff.district_dispatcher, reason="群众来电反映未解决")
    assert case.unreachable is False and case.state == "handling"
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已再次清理。")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    assert case.follow_up_attempts == 0
    case = actions.follow_up_case(
        case, actor=staff.operator, reached=True, rating=4, solved=True, comment="满意"
    )
    assert (case.state, case.rating, case.solved, case.follow_up_attempts) == ("closed", 4, True, 1)
    assert case.unreachable is False
    assert_log_is_truth(case)


def test_a_reached_resident_not_solved_reopens_and_the_policy_decides(staff: Staff) -> None:
    case = follow_up(staff)
    case = actions.follow_up_case(case, actor=staff.operator, reached=False)
    case = actions.follow_up_case(
        case, actor=staff.operator, reached=True, rating=2, solved=False, comment="还有一箱没清"
    )
    assert (case.state, case.reopens, case.solved, case.rating) == ("handling", 1, False, 2)
    event = case.events.order_by("-seq").first()
    assert event.action == "rate" and event.actor == staff.operator
    assert event.note == "还有一箱没清" and event.data["attempt"] == 2
    assert_log_is_truth(case)

    # The district switches the reopening off: the next "not solved" closes the case.
    FollowUpPolicy.objects.create(reopen_not_solved=False, reopen_at_most_stars=0)
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已全部清理。")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    case = actions.follow_up_case(case, actor=staff.operator, reached=True, rating=1, solved=False)
    assert (case.state, case.reopens, case.solved) == ("closed", 1, False)
    assert_log_is_truth(case)


def test_the_policy_row_is_one(staff: Staff) -> None:
    from django.db import IntegrityError, transaction

    assert FollowUpPolicy.current().pk == 1 and not FollowUpPolicy.objects.exists()
    FollowUpPolicy.objects.create(max_attempts=2)
    assert FollowUpPolicy.current().max_attempts == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpPolicy.objects.create(id=2)


def test_who_may_record_a_call(staff: Staff) -> None:
    case = follow_up(staff)  # community 0's, in grid 0
    street_operator = make_member(staff.tree.streets[0], Role.OPERATOR, username="jd_jiexian")
    other_street_operator = make_member(staff.tree.streets[1], Role.OPERATOR, username="jd2_jx")
    refusal = "只有接线员或调度员才能记录回访。"
    for nobody in (
        staff.community_handler,  # the case's own unit, but handlers do not call back
        staff.other_community_handler,
        staff.grid_worker,  # verifies, does not call back
        other_street_operator,  # an operator, but of another street
        staff.other_street_dispatcher,
        staff.department_handler,
        staff.leader,  # may close, not record calls
        None,  # the resident or the system
    ):
        with pytest.raises(Forbidden, match=refusal):
            actions.follow_up_case(case, actor=nobody, reached=False)
    case.refresh_from_db()
    assert case.follow_up_attempts == 0 and case.version == case.events.count()
    for somebody in (street_operator, staff.street_dispatcher, staff.operator):
        case = actions.follow_up_case(case, actor=somebody, reached=True)
    assert case.follow_up_attempts == 3 and case.state == "follow_up"


def test_the_resident_rating_on_the_tracking_page_follows_the_policy(staff: Staff) -> None:
    from django.test import Client

    def rated(stars: int, solved: str) -> Case:
        case = follow_up(staff)
        client = Client()
        session = client.session
        session["tracked_cases"] = [case.tracking_code]
        session.save()
        response = client.post(
            f"/r/track/{case.tracking_code}/rate/",
            {"rating": stars, "solved": solved, "comment": "谢谢"},
            follow=True,
        )
        assert response.status_code == 200
        case.refresh_from_db()
        return case

    case = rated(2, "1")  # solved, but dissatisfied
    assert (case.state, case.reopens, case.rating) == ("handling", 1, 2)
    case = rated(4, "0")
    assert case.state == "handling"
    case = rated(4, "1")
    assert case.state == "closed"
    FollowUpPolicy.objects.create(reopen_not_solved=False, reopen_at_most_stars=0)
    case = rated(1, "0")
    assert (case.state, case.solved) == ("closed", False)


def test_the_district_edits_its_policy_in_the_admin(staff: Staff) -> None:
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    url = "/admin/cases/followuppolicy/"
    assert client.get(f"{url}add/").status_code == 200
    added = client.post(
        f"{url}add/",
        {
            "max_attempts": "2",
            "reopen_not_solved": "on",
            "reopen_at_most_stars": "1",
            "max_reopens": "",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    policy = FollowUpPolicy.current()
    assert (policy.pk, policy.max_attempts, policy.reopen_at_most_stars) == (1, 2, 1)
    assert policy.max_reopens is None, "left empty: no limit"
    assert client.get(f"{url}add/").status_code == 403, "one policy per district"
    assert client.get(f"{url}1/delete/").status_code == 403
    refused = client.post(f"{url}1/change/", {"max_attempts": "0", "reopen_at_most_stars": "5"})
    assert refused.status_code == 200 and FollowUpPolicy.current().max_attempts == 2
    case = follow_up(staff)
    for _ in range(2):
        case = actions.follow_up_case(case, actor=staff.operator, reached=False)
    assert case.state == "closed" and case.unreachable, "the district's two calls"
