"""The triage pipeline in the product: train from a file (CSV or Excel) or from closed
cases, activate a version, read each new case at intake, let people decide the doubtful
ones (corrections kept), and show the queue, the hot-issue board and the model pages."""

from __future__ import annotations

import csv
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.errors import Conflict
from civicgrid.org.models import Role
from civicgrid.triage.actions import suggest
from civicgrid.triage.models import Correction, ModelVersion, Suggestion
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.django_db

# Invented requests, three categories of make_categories().
PHRASES = {
    "T1": [
        "楼道里堆满了纸箱杂物",
        "消防通道被杂物堵住",
        "楼梯间堆放旧家具",
        "走廊堆着废品没人清理",
    ],
    "T3": ["楼上邻居半夜跺脚噪音", "隔壁装修电钻声太吵", "楼下每天深夜唱歌扰民", "邻居家狗整夜叫"],
    "T5": [
        "老房子墙体开裂很危险",
        "阳台出现裂缝有倒塌风险",
        "危房屋顶漏水墙皮脱落",
        "房屋地基下沉墙面开裂",
    ],
}


def rows(n: int = 20, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for code, phrases in PHRASES.items():
        for i in range(n):
            out.append((f"{rng.choice(phrases)}，第{i}次反映，希望尽快处理。", code))
    return out


def write_csv(path: Path, data: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["内容", "类别"])
        w.writerows(data)
    return path


@pytest.fixture
def setup(db):  # type: ignore[no-untyped-def]
    tree = make_tree()
    return tree, make_categories()


def test_train_from_csv_and_excel_then_activate(setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = StringIO()
    path = write_csv(tmp_path / "history.csv", rows())
    call_command(
        "triage",
        "train",
        str(path),
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        stdout=out,
    )
    version = ModelVersion.objects.get()
    assert not version.active and version.examples == 60
    assert version.evaluation["macro_f1"] > 0.8, version.evaluation
    assert set(version.labels) == {"T1", "T3", "T5"}

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["text", "label"])
    for text, code in rows(seed=2):
        sheet.append([text, code])
    book.save(tmp_path / "history.xlsx")
    call_command("triage", "train", str(tmp_path / "history.xlsx"), "--activate", stdout=out)
    assert ModelVersion.objects.get(active=True).source == "file history.xlsx"
    call_command("triage", "activate", str(version.pk), stdout=out)
    assert ModelVersion.objects.get(active=True) == version
    listing = StringIO()
    call_command("triage", "list", stdout=listing)
    assert f"v{version.pk} *" in listing.getvalue()


def test_training_refuses_unknown_categories_and_missing_columns(setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = write_csv(tmp_path / "bad.csv", [*rows(), ("路灯不亮", "NOPE")])
    with pytest.raises(CommandError, match="未知的类别编码"):
        call_command("triage", "train", str(bad), "--text-column", "内容", "--label-column", "类别")
    with pytest.raises(CommandError, match="columns"):
        call_command("triage", "train", str(bad), "--text-column", "text")
    assert not ModelVersion.objects.exists()


def _trained(tmp_path: Path) -> ModelVersion:
    path = write_csv(tmp_path / "h.csv", rows())
    call_command(
        "triage",
        "train",
        str(path),
        "--text-column",
        "内容",
        "--label-column",
        "类别",
        "--activate",
        stdout=StringIO(),
    )
    return ModelVersion.objects.get(active=True)


def test_a_confident_reading_triages_by_itself(setup, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    tree, _ = setup
    _trained(tmp_path)
    settings.TRIAGE_AUTO_CONFIDENCE = 0.0
    case = submit(
        tree, title="楼道里堆满了纸箱杂物", text="楼道里堆满了纸箱杂物，第3次反映，希望尽快处理。"
    )
    s = suggest(case)
    assert s.category.code == "T1" and 0 < s.confidence <= 1
    case.refresh_from_db()
    assert case.category.code == "T1"
    event = case.events.get(action="triage")
    assert event.actor is None and "分类模型" in event.note


def test_a_confident_reading_of_unfamiliar_wording_waits(setup, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    """Worded unlike anything the model learned from, a request waits for a person, however
    confident the reading."""
    tree, _ = setup
    _trained(tmp_path)
    settings.TRIAGE_AUTO_CONFIDENCE = 0.0
    case = submit(tree, title="过道塞满纸盒", text="三单元过道塞满了纸盒子，救火的都进不来。")
    s = suggest(case)
    assert s.model is not None and s.category is not None
    case.refresh_from_db()
    assert case.category is None and not case.events.filter(action="triage").exists()


def test_a_doubtful_reading_waits_and_a_correction_is_kept(setup, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    tree, categories = setup
    _trained(tmp_path)
    settings.TRIAGE_AUTO_CONFIDENCE = 1.01
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    case = submit(tree, title="楼上噪音", text="楼上邻居每天半夜跺脚，噪音太大睡不着。")
    s = suggest(case)
    case.refresh_from_db()
    assert case.category is None, "below the threshold a person decides"
    client = Client()
    client.force_login(dispatcher)
    page = client.get("/triage/").content.decode()
    assert case.tracking_code in page and s.category.name in page
    response = client.post(
        f"/triage/cases/{case.tracking_code}/", {"category": "T4", "urgency": "normal"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.category == categories["moderate"]
    correction = Correction.objects.get()
    assert (correction.suggested, correction.chosen, correction.by) == (
        s.category,
        categories["moderate"],
        dispatcher,
    )


def test_the_reading_notes_emergency_words_in_the_title_or_the_text(setup) -> None:  # type: ignore[no-untyped-def]
    tree, _ = setup
    gas = submit(tree, title="闻到煤气味", text="三单元二楼楼道里。")
    fire = submit(tree, title="楼道情况", text="三单元楼道里的电瓶车起火了。")
    clutter = submit(tree, title="楼道堆物", text="三单元楼道里堆满了纸箱杂物。")
    assert suggest(gas).emergency and suggest(fire).emergency
    assert not suggest(clutter).emergency


def test_intake_enqueues_the_reading_with_the_case(setup) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.intake.actions import IntakeRequest, receive, receive_once
    from civicgrid.triage.tasks import suggest_case

    request = IntakeRequest(text="楼道里堆满杂物。", lon=120.005, lat=30.005, phone="13800000000")
    case = receive(request, channel="api")
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("suggest_case")
    assert task.args_kwargs == {"args": [case.tracking_code], "kwargs": {}}
    assert task.task == suggest_case and task.status == "READY"
    suggest_case.call(case.tracking_code)
    assert Suggestion.objects.get(case=case).model is None, "no classifier active yet"
    assert suggest_case.call(case.pk)["case"] == case.pk, "rows queued with the id still run"

    # A request that fails after the case was written (its key was used for another
    # body) leaves neither a case nor a queued reading behind.
    receive_once("k-1", request, channel="api")
    before = (Case.objects.count(), DBTaskResult.objects.count())
    with pytest.raises(Conflict):
        receive_once("k-1", IntakeRequest(text="另一件事。", phone="13800000000"), channel="api")
    assert (Case.objects.count(), DBTaskResult.objects.count()) == before


def test_model_pages_and_who_may_activate(setup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tree, _ = setup
    version = _trained(tmp_path)
    other = _trained(tmp_path)
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    client = Client()
    client.force_login(dispatcher)
    page = client.get(f"/triage/models/{version.pk}/").content.decode()
    assert 'id="per-class"' in page and 'id="confusion"' in page and "邻里噪声" in page
    assert client.post(f"/triage/models/{version.pk}/activate/").status_code == 403
    assert ModelVersion.objects.get(active=True) == other
    admin = make_member(tree.district, Role.ADMIN)
    client.force_login(admin)
    assert client.post(f"/triage/models/{version.pk}/activate/").status_code == 302
    assert ModelVersion.objects.get(active=True) == version
    handler = make_member(tree.communities[0], Role.HANDLER)
    client.force_login(handler)
    assert client.get("/triage/models/").status_code == 403
    assert client.get("/triage/").status_code == 403


def test_hot_board_lists_a_cluster_and_escalates_it(setup, settings) -> None:
    from django_tasks_db.models import DBTaskResult

    from civicgrid.triage.tasks import HOT_BOARDS_TASK_PATH, refresh_hot_boards

    # type: ignore[no-untyped-def]
    tree, categories = setup
    settings.HOT_ESCALATE_HEAT = 0
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    texts = [
        "幸福小区北门外工地夜间施工噪音扰民，凌晨还在打桩。",
        "幸福小区旁边工地晚上打桩，噪音太大，居民无法休息。",
        "幸福小区附近工地夜里施工打桩扰民，请管一管。",
        "幸福小区北边工地半夜打桩噪音，孩子睡不着。",
    ]
    cases = []
    for i, text in enumerate(texts):
        case = submit(tree, title="工地夜间施工噪音", text=text, contact_phone=f"1390000000{i}")
        case = actions.triage_case(
            case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
        )
        cases.append(actions.dispatch_case(case, actor=dispatcher))
    client = Client()
    client.force_login(dispatcher)
    first = client.get("/triage/hot/").content.decode()
    assert "正在首次计算" in first, "no page clusters a month of cases"
    assert DBTaskResult.objects.filter(task_path=HOT_BOARDS_TASK_PATH).count() == 1
    client.get("/triage/hot/")
    assert DBTaskResult.objects.filter(task_path=HOT_BOARDS_TASK_PATH).count() == 1, "once"
    assert refresh_hot_boards.call() == {"boards": 1}  # the worker
    page = client.get("/triage/hot/").content.decode()
    assert "工地" in page and all(c.tracking_code in page for c in cases)
    assert "计算于" in page
    codes = [c.tracking_code for c in cases]
    response = client.post("/triage/hot/escalate/", {"codes": codes, "label": "工地噪音"})
    assert response.status_code == 302
    assert all(c.escalations == 1 for c in Case.objects.filter(tracking_code__in=codes))


def _in_hand(tree, categories) -> tuple[Case, object]:  # type: ignore[no-untyped-def]
    """A case about blocked stairs, acknowledged by its community's handler."""
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    case = submit(tree, title="楼道堆物", text="三单元楼道里堆满纸箱，消防通道被堵。")
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["micro"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    return actions.acknowledge_case(case, actor=handler), handler


def test_a_stock_reply_is_flagged_for_the_verifier(setup) -> None:  # type: ignore[no-untyped-def]
    case, handler = _in_hand(*setup)
    client = Client()
    client.force_login(handler)
    response = client.post(
        f"/cases/{case.tracking_code}/resolve/",
        {"version": case.version, "note": "您好，您的来信已收悉，感谢您的支持。"},
        follow=True,
    )
    page = response.content.decode()
    assert "答复可能没有回应诉求" in page and "只有套话" in page
    check = case.events.get(action="resolve").data["reply_check"]
    assert not check["ok"] and "boilerplate" in check["flags"]


def test_a_concrete_reply_passes(setup) -> None:  # type: ignore[no-untyped-def]
    case, handler = _in_hand(*setup)
    case = actions.resolve_case(
        case,
        actor=handler,
        reply="社区已于11月20日联系物业清理三单元楼道内的纸箱，消防通道已恢复畅通，"
        "今后物业每周巡查一次，如再有堆物可拨打社区电话反映。",
    )
    assert case.events.get(action="resolve").data["reply_check"]["ok"] is True


def test_training_rows_are_the_closed_cases_newest_first_and_may_be_capped(setup) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from civicgrid.cases.models import Category, State
    from civicgrid.triage.actions import training_rows_from_cases

    tree, _categories = setup
    now = timezone.now()
    for code, phrases in PHRASES.items():
        category = Category.objects.get(code=code)
        for age, phrase in enumerate(phrases):  # the first phrase closed most recently
            case = submit(tree, text=phrase)
            Case.objects.filter(pk=case.pk).update(
                state=State.CLOSED, category=category, closed_at=now - timedelta(days=age)
            )
    submit(tree, text="还没办结的诉求")  # open: not what the district decided
    texts, labels, titles = training_rows_from_cases()
    assert len(texts) == len(labels) == len(titles) == 12
    assert "还没办结的诉求" not in texts
    texts, labels, _titles = training_rows_from_cases(per_category=2)
    assert sorted(zip(labels, texts, strict=True)) == sorted(
        (code, phrase) for code, phrases in PHRASES.items() for phrase in phrases[:2]
    )


def test_boards_are_refreshed_while_looked_at_and_dropped_when_not(setup, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from civicgrid.dispatch.tasks import sweep_deadlines
    from civicgrid.triage import boards
    from civicgrid.triage.models import HotBoard

    tree, _categories = setup
    settings.HOT_BOARD_INTERVAL_S = 600
    assert not boards.due(), "no board until someone opens one"
    board = boards.board_for(tree.district, 30)
    assert boards.due(), "a new board waits for its first computation"
    boards.refresh()
    assert not boards.due()
    later = timezone.now() + timedelta(seconds=601)
    assert boards.due(later), "older than the interval"
    HotBoard.objects.filter(pk=board.pk).update(computed_at=timezone.now() - timedelta(hours=1))
    sweep_deadlines.call()  # the sweep has it recomputed
    from django_tasks_db.models import DBTaskResult

    from civicgrid.triage.tasks import HOT_BOARDS_TASK_PATH

    assert DBTaskResult.objects.filter(task_path=HOT_BOARDS_TASK_PATH).exists()
    HotBoard.objects.filter(pk=board.pk).update(viewed_at=timezone.now() - timedelta(days=8))
    boards.refresh()
    assert not HotBoard.objects.exists(), "nobody looked at it for a week"


def test_the_triage_queue_costs_the_same_queries_for_one_case_or_many(setup) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicgrid.cases.permissions import allowed_actions, allowed_actions_for

    tree, _ = setup
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    client = Client()
    client.force_login(dispatcher)

    def queries() -> int:
        client.get("/triage/")
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/triage/").content.decode()
        assert page.count('name="category"') == Case.objects.filter(category=None).count()
        return len(captured)

    first = submit(tree, title="楼道堆物", text="三单元楼道里堆满了纸箱杂物。")
    one = queries()
    more = [submit(tree, title=f"噪音{i}", text="楼上邻居半夜跺脚。") for i in range(5)]
    assert queries() == one, "what lies around each case is read once for the page"
    # The page's buttons are each case's own: the same as asked one case at a time.
    cases = list(Case.objects.filter(pk__in=[first.pk, *(c.pk for c in more)]))
    batch = allowed_actions_for(cases, dispatcher)
    assert batch == {c.pk: allowed_actions(c, dispatcher) for c in cases}
    assert all("triage" in batch[c.pk] for c in cases)
