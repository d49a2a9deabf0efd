"""Conventions (公约) and their scoring: the red and black rule alone, adopting and
amending, signing, a period from self-assessment to publication, inspection photos,
Excel in and out, and the refusals (403 before 409, nothing written after one; another
council's member is a 404)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from openpyxl import Workbook, load_workbook

from civicgrid.cases.photos import STAGING, check_photos
from civicgrid.councils import convention_excel as excel
from civicgrid.councils import conventions, scoring
from civicgrid.councils import terms as t
from civicgrid.councils.convention_models import (
    Cadence,
    Convention,
    ConventionTemplate,
    InspectionPhoto,
    PeriodState,
    Score,
    ScoringPeriod,
    Signature,
)
from civicgrid.councils.models import CouncilAction, CouncilEvent
from civicgrid.councils.permissions import Standing
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.org.models import Role
from tests.factories import CouncilFixture, TreeFixture, make_council, make_member
from tests.images import image_bytes, upload

# --- the pure rules (no database) --------------------------------------------------------------


def mt(member: int, total: int, *breaches: str) -> t.MemberTotal:
    return t.MemberTotal(member, f"商户{member:02d}", total, tuple(breaches))


def test_red_list_takes_the_top_at_or_above_the_line_and_ties_at_the_last_place() -> None:
    honours = t.Honours(red_top=2, red_min=90, black_below=60)
    lists = t.red_and_black(honours, [mt(1, 95), mt(2, 92), mt(3, 92), mt(4, 89), mt(5, 59)])
    assert [m.member for m in lists.red] == [1, 2, 3]
    assert [m.member for m in lists.black] == [5]
    assert [m.member for m in lists.ranked] == [1, 2, 3, 4, 5]


def test_a_zero_tolerance_loss_puts_even_the_best_on_the_black_list_and_off_the_red() -> None:
    honours = t.Honours(red_top=3, red_min=80, black_below=60)
    lists = t.red_and_black(honours, [mt(1, 98, "4.1"), mt(2, 85), mt(3, 70)])
    assert [m.member for m in lists.black] == [1]
    assert [m.member for m in lists.red] == [2]


def test_rules_left_out_are_not_applied() -> None:
    honours = t.Honours(red_top=None, red_min=None, black_below=None)
    lists = t.red_and_black(honours, [mt(1, 10), mt(2, 5)])
    assert [m.member for m in lists.red] == [1, 2] and lists.black == ()


def test_points_from_findings_pass_or_fail_and_grades() -> None:
    terms = t.parse(t.DISTRICT_TEMPLATE)
    assert len(terms.items) == 5 and len(terms.indicators) == 11 and terms.total == 100
    tidy = terms.indicator("2.1")  # 门前卫生: 10, 2 per finding
    assert t.points_for(tidy, findings=0) == 10
    assert t.points_for(tidy, findings=3) == 4
    assert t.points_for(tidy, findings=9) == 0  # never below zero
    bins = terms.indicator("3.2")
    assert t.points_for(bins, passed=False) == 0 and t.points_for(bins, passed=True) == 5
    graded = terms.indicator("5.2")
    assert t.points_for(graded, points=7) == 7
    with pytest.raises(Invalid):
        t.points_for(graded)
    with pytest.raises(Invalid):
        t.points_for(graded, points=11)
    total, breaches = t.total_of(terms, {"4.1": 10, "2.1": 6})
    assert total == 100 - 5 - 4 and breaches == ("4.1",)
    assert t.council_average(terms, [mt(1, 80), mt(2, 90)]) == 85.0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(items=[]), "至少"),
        (lambda d: d["items"][0]["indicators"][0].update(points=0), "分值"),
        (lambda d: d["items"][0]["indicators"][0].update(method="vote"), "评分方式"),
        (lambda d: d["items"][0].update(name=" "), "不能为空"),
        (lambda d: d["honours"].update(red_min=500), "红榜"),
    ],
)
def test_malformed_terms_are_refused_in_words(change: Any, words: str) -> None:
    import copy

    data = copy.deepcopy(t.DISTRICT_TEMPLATE)
    change(data)
    with pytest.raises(Invalid, match=words):
        t.parse(data)


# --- the actions --------------------------------------------------------------------------------


def adopted(council: CouncilFixture) -> Convention:
    return scoring.adopt_convention(
        council.council,
        actor=council.user(council.secretary),
        template=scoring.district_template(),
    )


def signed_by_all(council: CouncilFixture) -> Convention:
    convention = adopted(council)
    for member in [council.chair, council.secretary, *council.members[:2]]:
        scoring.sign_convention(member, actor=council.user(member))
    return convention


def events(council: CouncilFixture) -> list[str]:
    return list(council.council.events.order_by("seq").values_list("action", flat=True))


def full_marks(period: ScoringPeriod, **less: int) -> dict[str, int]:
    terms = t.parse(period.terms)
    return {i.key: less.get(i.key.replace(".", "_"), i.points) for i in terms.indicators}


def photo() -> Any:
    return check_photos([io.BytesIO(image_bytes())], ["巡查照片"])


@pytest.mark.django_db
def test_a_council_adopts_the_district_template_amends_it_and_members_sign(
    council: CouncilFixture,
) -> None:
    convention = adopted(council)
    assert convention.version == 1 and t.parse(convention.terms).total == 100
    member = council.members[0]
    scoring.sign_convention(member, actor=council.user(member))
    assert conventions.has_signed(convention, member)
    with pytest.raises(Conflict, match="已签署"):
        scoring.sign_convention(member, actor=council.user(member))
    # another member may not sign for them
    with pytest.raises(Forbidden, match="本人"):
        scoring.sign_convention(council.members[1], actor=council.user(member))
    terms = t.parse(convention.terms).as_json()
    terms["items"][4]["indicators"][0]["points"] = 10  # 参加联席会议: 5 → 10
    amended = scoring.amend_convention(
        convention, actor=council.user(council.chair), terms=terms, expected_version=1
    )
    assert amended.version == 2 and t.parse(amended.terms).total == 105
    assert not conventions.has_signed(amended, member)  # a new version is signed anew
    with pytest.raises(Conflict, match="已被他人修订"):
        scoring.amend_convention(convention, actor=None, terms=terms, expected_version=1)
    assert events(council)[-3:] == [
        CouncilAction.ADOPT_CONVENTION,
        CouncilAction.SIGN_CONVENTION,
        CouncilAction.AMEND_CONVENTION,
    ]
    assert Signature.objects.filter(convention=convention).count() == 1


@pytest.mark.django_db
def test_a_period_from_self_assessment_to_published_red_and_black(
    council: CouncilFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    signed_by_all(council)
    secretary = council.user(council.secretary)
    period = scoring.open_period(
        council.council, actor=secretary, cadence=Cadence.MONTHLY, key="2026-11"
    )
    assert period.state == PeriodState.SELF_ASSESSMENT
    assert Score.objects.filter(period=period).count() == 4 * 11  # the signed members only
    first, second = council.members[0], council.members[1]
    scoring.self_assess(period, first, actor=council.user(first), points=full_marks(period))
    scoring.self_assess(period, second, actor=council.user(second), points=full_marks(period))
    # the inspection finds a blocked fire exit at the second, with a photo
    with django_capture_on_commit_callbacks(execute=True):  # the file moves in on commit
        score = scoring.inspect(
            period,
            second,
            scoring.Finding("4.1", findings=1, note="消防通道堆放纸箱"),
            actor=secretary,
            photos=photo(),
        )
    assert score.inspected_points == 10
    stored = InspectionPhoto.objects.get(score=score)
    assert default_storage.exists(stored.name)  # promoted on commit
    assert not default_storage.exists(STAGING + stored.name)
    with pytest.raises(Conflict, match="结束自评"):
        scoring.rate_period(period, actor=secretary)
    scoring.close_self_assessment(period, actor=secretary)
    with pytest.raises(Conflict, match="自评已结束"):
        scoring.self_assess(period, first, actor=council.user(first), points=full_marks(period))
    rated = scoring.rate_period(
        period, actor=secretary, overrides={(council.chair.pk, "5.2"): 2}, note="巡查不配合"
    )
    assert rated.state == PeriodState.RATED
    standings = conventions.standings(rated)
    assert standings is not None
    totals = {m["name"]: m["total"] for m in standings.members}
    assert totals == {"甲商户": 100, "乙企业": 95, "理事长商户": 92, "秘书长": 100}
    assert [m["name"] for m in standings.black] == ["乙企业"]  # zero tolerance
    assert {m["name"] for m in standings.red} == {"甲商户", "秘书长", "理事长商户"}
    assert standings.average == round((100 + 95 + 92 + 100) / 4, 2)
    # a member sees it only once published
    as_first = Standing(council.council, council.user(first))
    assert rated.pk in {p.pk for p in conventions.periods_for(council.council, as_first)}
    assert len(conventions.sheet(rated, as_first)) == 1  # their own, until published
    published = scoring.publish_period(period, actor=secretary)
    assert published.state == PeriodState.PUBLISHED
    assert len(conventions.sheet(published, as_first)) == 4
    with pytest.raises(Conflict, match="已公布"):
        scoring.publish_period(period, actor=secretary)
    assert events(council)[-3:] == [
        CouncilAction.CLOSE_SELF_ASSESSMENT,
        CouncilAction.RATE_PERIOD,
        CouncilAction.PUBLISH_PERIOD,
    ]


@pytest.mark.django_db
def test_refusals_come_403_before_409_and_write_nothing(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    signed_by_all(council)
    member = council.user(council.members[0])
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-10"
    )
    scoring.close_self_assessment(period, actor=None)
    scoring.rate_period(period, actor=None)
    before = CouncilEvent.objects.count(), Score.objects.filter(final_points=2).count()
    # rated already (409), but an ordinary member hears 403 first
    with pytest.raises(Forbidden):
        scoring.rate_period(period, actor=member)
    with pytest.raises(Forbidden):
        scoring.inspect(
            period, council.members[1], scoring.Finding("1.1", findings=1), actor=member
        )
    with pytest.raises(Forbidden):
        scoring.open_period(council.council, actor=member, cadence=Cadence.MONTHLY, key="2026-10")
    # a street outside the council's unit is refused too
    with pytest.raises(Forbidden):
        scoring.publish_period(period, actor=make_member(tree.streets[1], Role.DISPATCHER))
    with pytest.raises(Conflict):
        scoring.open_period(council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-10")
    with pytest.raises(Invalid, match="季度"):
        scoring.open_period(council.council, actor=None, cadence=Cadence.QUARTERLY, key="2026-Q5")
    assert (CouncilEvent.objects.count(), Score.objects.filter(final_points=2).count()) == before
    # the street over it publishes
    scoring.publish_period(period, actor=make_member(tree.streets[0], Role.DISPATCHER))


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.django_db
def test_a_refused_inspection_leaves_no_photo_behind(
    council: CouncilFixture, settings: Any
) -> None:
    signed_by_all(council)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-09"
    )
    graded = scoring.Finding("5.2", note="没给分")  # a graded indicator needs its points
    with pytest.raises(Invalid, match="须给出得分"):
        scoring.inspect(period, council.members[0], graded, actor=None, photos=photo())
    assert not InspectionPhoto.objects.exists()
    assert files_under(Path(settings.MEDIA_ROOT)) == []  # neither staged nor in place


@pytest.mark.django_db
def test_an_inspection_that_fails_after_staging_its_photo_leaves_no_file(
    council: CouncilFixture, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_by_all(council)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-09"
    )

    def broken(**_fields: Any) -> None:
        raise RuntimeError("the log could not be written")

    monkeypatch.setattr(CouncilEvent.objects, "create", broken)  # after the photo is staged
    with pytest.raises(RuntimeError):
        scoring.inspect(
            period,
            council.members[0],
            scoring.Finding("1.1", findings=1),
            actor=None,
            photos=photo(),
        )
    assert not InspectionPhoto.objects.exists()
    assert files_under(Path(settings.MEDIA_ROOT)) == []


@pytest.mark.django_db
def test_another_councils_member_is_not_found(tree: TreeFixture, council: CouncilFixture) -> None:
    other = make_council(tree.communities[2])
    signed_by_all(council)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-08"
    )
    outsider = other.members[0]
    with pytest.raises(NotFound):
        scoring.self_assess(period, outsider, actor=other.user(outsider), points={})
    with pytest.raises(NotFound):
        scoring.inspect(
            period, outsider, scoring.Finding("1.1", findings=1), actor=other.user(other.chair)
        )


@pytest.mark.django_db
def test_a_member_who_did_not_sign_is_not_scored_and_cannot_assess(
    council: CouncilFixture,
) -> None:
    adopted(council)
    first = council.members[0]
    with pytest.raises(Conflict, match="签署"):
        scoring.open_period(council.council, actor=None, cadence=Cadence.QUARTERLY, key="2026-Q3")
    scoring.sign_convention(first, actor=council.user(first))
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.QUARTERLY, key="2026-Q3"
    )
    assert (period.starts_on.isoformat(), period.ends_on.isoformat()) == (
        "2026-07-01",
        "2026-09-30",
    )
    second = council.members[1]
    with pytest.raises(Conflict, match="未签署"):
        scoring.self_assess(period, second, actor=council.user(second), points=full_marks(period))


# --- Excel --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_convention_goes_to_excel_and_back_unchanged(council: CouncilFixture) -> None:
    convention = adopted(council)
    data = excel.convention_workbook(convention)
    name, terms = excel.read_terms(io.BytesIO(data))
    assert name == convention.name and terms == t.parse(convention.terms)


def workbook(rows: list[tuple[Any, ...]], *, sheet: str = "公约") -> io.BytesIO:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


HEADER = excel.HEADER


@pytest.mark.parametrize(
    ("rows", "sheet", "words"),
    [
        ([HEADER, ("门前三包", "门前卫生", 10)], "Sheet1", "没有名为“公约”的工作表"),
        ([("事项", "分值"), ("门前三包", 10)], "公约", "第一行"),
        ([HEADER, ("门前三包", "门前卫生", "十分")], "公约", "第2行"),
        ([HEADER, ("门前三包", "门前卫生", 10, "", "投票")], "公约", "第2行"),
        ([HEADER, (None, "门前卫生", 10)], "公约", "第2行"),
        ([HEADER, ("门前三包", "门前卫生", 10, "", "扣分", 20)], "公约", "第2行"),
        ([HEADER], "公约", "没有指标"),
    ],
)
@pytest.mark.django_db
def test_bad_sheets_are_refused_in_chinese_naming_the_row(
    council: CouncilFixture, rows: list[tuple[Any, ...]], sheet: str, words: str
) -> None:
    with pytest.raises(Invalid, match=words):
        excel.read_terms(workbook(rows, sheet=sheet))
    assert not Convention.objects.exists()


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(Invalid, match="Excel"):
        excel.read_terms(io.BytesIO(b"PK\x03\x04 not really a zip"))


@pytest.mark.django_db
def test_a_periods_scores_export_with_totals_and_lists(council: CouncilFixture) -> None:
    signed_by_all(council)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-07"
    )
    scoring.inspect(period, council.members[1], scoring.Finding("4.2", findings=1), actor=None)
    scoring.close_self_assessment(period, actor=None)
    period = scoring.rate_period(period, actor=None)
    book = load_workbook(io.BytesIO(excel.period_workbook(period)))
    assert book.sheetnames[:2] == ["得分", "红黑榜"] and "公约" in book.sheetnames
    rows = list(book["得分"].iter_rows(values_only=True))
    assert len(rows) == 1 + 4 and len(rows[0]) == 1 + 11 + 3
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["乙企业"][-2:] == (95, "黑榜")
    lists = [r for r in book["红黑榜"].iter_rows(values_only=True)][1:]
    assert ("黑榜", "乙企业") in {(r[0], r[1]) for r in lists}


# --- pages and API ------------------------------------------------------------------------------


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scored(council: CouncilFixture) -> tuple[CouncilFixture, ScoringPeriod]:
    """The council with its convention signed and a period open."""
    signed_by_all(council)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-11"
    )
    return council, period


@pytest.mark.django_db
def test_the_pages_of_a_period_for_a_member_and_the_secretary(
    scored: tuple[CouncilFixture, ScoringPeriod], django_capture_on_commit_callbacks: Any
) -> None:
    council, period = scored
    pk = council.council.pk
    base = f"/councils/{pk}/convention/periods/{period.pk}/"
    member = client_of(council.user(council.members[0]))
    tab = member.get(f"/councils/{pk}/convention/").content.decode()
    assert "门前三包" in tab and 'data-tab="convention"' in tab and "您已签署本版本" in tab
    points = {f"points_{k}": v for k, v in full_marks(period).items()}
    response = member.post(base + "self/", {**points, "points_2.1": "6", "note": "门口有烟头"})
    assert response.status_code == 302
    assert (
        Score.objects.get(period=period, member=council.members[0], indicator="2.1").self_points
        == 6
    )
    # a member may not inspect: refused, nothing written
    refused = member.post(
        base + "inspect/",
        {"member": council.members[1].pk, "indicator": "1.1", "findings": "2"},
        follow=True,
    )
    assert "只有本理事会的理事长或秘书长" in refused.content.decode()
    assert not Score.objects.filter(period=period, inspected_points__isnull=False).exists()
    secretary = client_of(council.user(council.secretary))
    with django_capture_on_commit_callbacks(execute=True):
        done = secretary.post(
            base + "inspect/",
            {
                "member": council.members[1].pk,
                "indicator": "4.1",
                "findings": "1",
                "note": "消防通道堆放纸箱",
                "photos": [upload(image_bytes())],
            },
            follow=True,
        )
    assert "巡查结果已记录" in done.content.decode()
    stored = InspectionPhoto.objects.get()
    # the member inspected sees their photo; the other member not until published
    assert (
        client_of(council.user(council.members[1]))
        .get(f"/councils/{pk}/convention/photos/{stored.name}")
        .status_code
        == 200
    )
    assert member.get(f"/councils/{pk}/convention/photos/{stored.name}").status_code == 404
    for step in ("close/", "rate/", "publish/"):
        assert secretary.post(base + step).status_code == 302
    page = member.get(base).content.decode()
    assert 'id="red-list"' in page and f'data-black="{council.members[1].pk}"' in page
    assert "上黑榜" in page  # the penalty, as the convention says
    export = member.get(base + "export/")
    assert export.status_code == 200 and export["Content-Type"].startswith(
        "application/vnd.openxml"
    )


@pytest.mark.django_db
def test_a_member_of_another_council_is_refused_404(
    tree: TreeFixture, scored: tuple[CouncilFixture, ScoringPeriod]
) -> None:
    council, period = scored
    other = make_council(tree.communities[2])
    outsider = client_of(other.user(other.chair))
    pk = council.council.pk
    base = f"/councils/{pk}/convention/periods/{period.pk}/"
    for url in (
        f"/councils/{pk}/convention/",
        base,
        base + "export/",
        f"/councils/{pk}/convention/export/",
    ):
        assert outsider.get(url).status_code == 404, url
    before = CouncilEvent.objects.count()
    for url in (base + "close/", base + "rate/", f"/councils/{pk}/convention/sign/"):
        assert outsider.post(url).status_code == 404, url
    assert CouncilEvent.objects.count() == before
    # another council's period under the outsider's own council: 404 too
    other_pk = other.council.pk
    assert outsider.get(f"/councils/{other_pk}/convention/periods/{period.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_convention_imports_from_a_workbook_on_the_page(council: CouncilFixture) -> None:
    secretary = client_of(council.user(council.secretary))
    pk = council.council.pk
    bad = workbook([HEADER, ("门前三包", "门前卫生", "十分")])
    response = secretary.post(
        f"/councils/{pk}/convention/adopt/",
        {"file": upload(bad.getvalue(), "c.xlsx", "application/octet-stream")},
        follow=True,
    )
    assert "第2行" in response.content.decode()
    assert not Convention.objects.exists()
    good = workbook(
        [
            HEADER,
            ("门前三包", "门前卫生", 10, "一处扣2分", "扣分", 2),
            (None, "门前秩序", 10, "", "合格"),
        ]
    )
    secretary.post(
        f"/councils/{pk}/convention/adopt/",
        {"file": upload(good.getvalue(), "c.xlsx", "application/octet-stream")},
    )
    terms = t.parse(Convention.objects.get().terms)
    assert [i.name for i in terms.indicators] == ["门前卫生", "门前秩序"] and terms.total == 20


@pytest.mark.django_db
def test_the_district_ranks_councils_by_their_latest_published_period(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    other = make_council(tree.communities[1], name="第二商圈理事会")
    for fixture, lost in ((council, 0), (other, 2)):
        signed_by_all(fixture)
        period = scoring.open_period(
            fixture.council, actor=None, cadence=Cadence.MONTHLY, key="2026-10"
        )
        if lost:
            scoring.inspect(
                period, fixture.members[0], scoring.Finding("2.1", findings=lost), actor=None
            )
        scoring.close_self_assessment(period, actor=None)
        scoring.rate_period(period, actor=None)
        scoring.publish_period(period, actor=None)
    district = make_member(tree.district, Role.LEADER)
    ranked = conventions.rankings(district)
    assert [r.council.pk for r in ranked] == [council.council.pk, other.council.pk]
    assert ranked[0].average == 100.0 and ranked[1].average == 99.0  # (96+100*3)/4
    page = client_of(district).get("/councils/rankings/").content.decode()
    assert "第二商圈理事会" in page and "99.0" in page
    panel = client_of(district).get("/evaluation/rankings/").content.decode()
    assert 'id="council-rankings"' in panel and "第二商圈理事会" in panel
    # a street sees its own councils only
    street = make_member(tree.streets[0], Role.HANDLER)
    assert {r.council.unit.parent_id for r in conventions.rankings(street)} <= {tree.streets[0].pk}


@pytest.mark.django_db
def test_the_api_runs_a_period_and_refuses_another_councils_member(
    tree: TreeFixture, scored: tuple[CouncilFixture, ScoringPeriod]
) -> None:
    council, period = scored
    pk = council.council.pk
    base = f"/api/councils/{pk}/periods/{period.pk}"
    member = client_of(council.user(council.members[0]))
    secretary = client_of(council.user(council.secretary))
    got = member.get(f"/api/councils/{pk}/convention").json()
    assert got["version"] == 1 and got["signed"] == 4 and got["i_signed"] is True
    answer = member.post(
        base + "/self-assessment",
        {"points": full_marks(period), "note": ""},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    # an ordinary member may not inspect: 403, with the reason in Chinese
    refused = member.post(
        base + "/inspections", {"member": council.members[1].pk, "indicator": "1.1", "findings": 1}
    )
    assert refused.status_code == 403 and "理事长或秘书长" in refused.json()["detail"]
    found = secretary.post(
        base + "/inspections",
        {
            "member": council.members[1].pk,
            "indicator": "3.2",
            "passed": "false",
            "photos": [upload(image_bytes())],
        },
    )
    assert found.status_code == 200, found.content
    assert found.json()["inspected_points"] == 0 and len(found.json()["photos"]) == 1
    assert member.get(base + "/results").status_code == 404  # not rated yet
    for step in ("/close", "/rate", "/publish"):
        body = {"overrides": [], "note": ""} if step == "/rate" else None
        answer = secretary.post(base + step, body, content_type="application/json")
        assert answer.status_code == 200, (step, answer.content)
    again = secretary.post(base + "/publish")
    assert again.status_code == 409 and "已公布" in again.json()["detail"]
    results = member.get(base + "/results").json()
    assert [m["name"] for m in results["black"]] == [] and results["members"][-1]["total"] == 95
    assert len(member.get(base + "/scores").json()) == 4 * 11
    # another council's member: 404 everywhere, nothing written
    other = make_council(tree.communities[2])
    outsider = client_of(other.user(other.chair))
    before = CouncilEvent.objects.count()
    for url in (
        f"/api/councils/{pk}/convention",
        f"/api/councils/{pk}/periods",
        base,
        base + "/results",
        base + "/scores",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(base + "/close").status_code == 404
    assert outsider.post(f"/api/councils/{pk}/convention/sign").status_code == 404
    assert CouncilEvent.objects.count() == before
    # the district sees the ranking; a member does not
    district = client_of(make_member(tree.district, Role.LEADER))
    ranking = district.get("/api/councils/convention-rankings").json()
    assert ranking[0]["council"] == pk and ranking[0]["average"] == round((100 * 3 + 95) / 4, 2)
    assert member.get("/api/councils/convention-rankings").status_code == 403


@pytest.mark.django_db
def test_the_demo_scores_conventions_over_several_months(tree: TreeFixture) -> None:
    import random
    from datetime import date, datetime

    from django.utils import timezone

    from civicgrid.cases import clock
    from civicgrid.councils import demo_conventions

    with clock.at(timezone.make_aware(datetime(2026, 1, 5, 10))):  # the members joined in January
        first = make_council(tree.communities[0])
        second = make_council(tree.communities[1])
    made = demo_conventions.seed(
        [first.council, second.council], random.Random(7), months=3, today=date(2026, 11, 15)
    )
    assert made.conventions == 2 and made.periods == 6 and made.findings > 0
    periods = ScoringPeriod.objects.filter(state=PeriodState.PUBLISHED)
    assert sorted(set(periods.values_list("key", flat=True))) == ["2026-08", "2026-09", "2026-10"]
    assert all(p.average is not None for p in periods)
    assert Convention.objects.get(council=second.council).version == 2  # adapted
    ranked = conventions.rankings(make_member(tree.district, Role.LEADER))
    assert {r.period.key for r in ranked} == {"2026-10"} and len(ranked) == 2
    # every change went through an action: one event each
    assert CouncilEvent.objects.filter(action=CouncilAction.PUBLISH_PERIOD).count() == 6
    for fixture in (first, second):  # the log stays in order of time
        moments = list(fixture.council.events.order_by("seq").values_list("at", flat=True))
        assert moments == sorted(moments)


@pytest.mark.django_db
def test_the_command_line_imports_and_exports(council: CouncilFixture, tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    template = tmp_path / "template.xlsx"
    scoring.adopt_convention(council.council, actor=None, template=scoring.district_template())
    call_command("conventions", "export", str(council.council.pk), str(template))
    call_command("conventions", "template", str(template), "--name", "另一模板")
    assert t.parse(ConventionTemplate.objects.get(name="另一模板").terms).total == 100
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([HEADER, ("门前三包", "门前卫生", 0)]).getvalue())
    with pytest.raises(CommandError, match="第2行"):
        call_command(
            "conventions",
            "import",
            str(council.council.pk),
            str(bad),
            "--as",
            council.user(council.chair).username,
        )
    call_command(
        "conventions",
        "import",
        str(council.council.pk),
        str(template),
        "--as",
        council.user(council.chair).username,
    )
    assert Convention.objects.get(council=council.council).version == 2


@pytest.mark.django_db
def test_the_photos_tidy_up_keeps_a_committed_inspection_photo(council: CouncilFixture) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from civicgrid.cases.photos import tidy

    signed_by_all(council)
    period = scoring.open_period(
        council.council, actor=None, cadence=Cadence.MONTHLY, key="2026-06"
    )
    # the commit hooks do not run here: as if the process died before moving the file
    scoring.inspect(
        period, council.members[0], scoring.Finding("2.1", findings=1), actor=None, photos=photo()
    )
    stored = InspectionPhoto.objects.get()
    assert default_storage.exists(STAGING + stored.name)
    done = tidy(timezone.now() + timedelta(hours=2))
    assert done.promoted == 1 and done.discarded == 0
    assert default_storage.exists(stored.name) and not default_storage.exists(STAGING + stored.name)
