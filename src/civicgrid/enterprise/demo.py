"""The demo's enterprise window (issue #17, point 7: "enterprises with window cases"):
the business-environment office (if the district has none), about thirty enterprises in
the demo's parks with accounts, a year of monthly service days with their issues, window
complaints worked through the real transitions (most of them rated by their
enterprises), and pairings (包联) with their visits. Everything through the actions, at
past moments (``clock.at``), so the log, the deadlines and the figures are real.

Called by the demo build after the history: ``seed(rng, until=...)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from civicgrid.cases import actions as case_actions
from civicgrid.cases import clock
from civicgrid.cases.models import State
from civicgrid.enterprise import actions, window
from civicgrid.enterprise.models import Enterprise
from civicgrid.errors import Refusal
from civicgrid.inputs import credit_code_check
from civicgrid.intake.actions import the_district
from civicgrid.org import actions as org_actions
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User

OFFICE_NAME = "区营商环境办"
OFFICE_LOGIN = "yingshang"
DEMO_PASSWORD = "civicgrid-demo"
KINDS = (
    "科技",
    "智能制造",
    "新材料",
    "生物医药",
    "电子",
    "物流",
    "食品",
    "软件",
    "环保",
    "精密机械",
)
MATTERS = (
    ("办理环评审批", "区生态环境分局窗口", "线上申报两次被退回，窗口说材料不全但说不清缺什么"),
    ("申请施工许可证", "区住建局窗口", "预约了三次都没排上，电话一直占线"),
    ("消防验收", "区消防救援大队", "验收整改后再次申请，一个月没有回音"),
    ("企业用电增容", "供电所营业厅", "递交申请两个月仍未安排勘察"),
    ("员工子女入学", "区教育局", "符合政策但学校说没有名额"),
    ("稳岗补贴申领", "区人社局窗口", "系统显示已受理，三个月未到账"),
    ("厂区门口道路破损", "街道城管科", "反映过多次，答复等待计划"),
    ("排污许可证延续", "区生态环境分局窗口", "窗口要求补充的材料与指南不一致"),
)
ISSUES = (
    "园区公交班次少，员工通勤难",
    "厂区周边夜间照明不足",
    "希望组织一次政策宣讲会",
    "招工难，希望对接职业院校",
    "污水管网接入手续不清楚",
    "厂房租金补贴兑现慢",
)
REPLIES = (
    "已协调相关部门，事项已办结。",
    "已约谈窗口负责人，手续当场办结。",
    "已专班督办，问题已解决。",
)


@dataclass
class WindowSummary:
    enterprises: int = 0
    complaints: int = 0
    rated: int = 0
    service_days: int = 0
    pairings: int = 0
    visits: int = 0


def _office(district: Unit) -> Unit:
    found = (
        window.office() or Unit.objects.filter(kind=UnitKind.DEPARTMENT, name=OFFICE_NAME).first()
    )
    if found is None:
        found = org_actions.create_unit(
            code=f"{district.code}YS1", name=OFFICE_NAME, kind=UnitKind.DEPARTMENT, parent=district
        )
    return found


def _staff(unit: Unit, role: str, username: str, password: str = "") -> User:
    member = (
        Membership.objects.filter(unit=unit, role=role, active=True).select_related("user").first()
    )
    if member is not None:
        return member.user
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            password=None if password else DEMO_PASSWORD,
            display_name=unit.name,
        )
        if password:
            user.password = password
            user.save(update_fields=["password"])
    org_actions.grant_membership(user=user, unit=unit, role=role)
    return user


def _credit_code(rng: random.Random) -> str:
    first17 = f"9133{rng.randrange(10**4):04d}MA{rng.randrange(10**7):07d}"
    return first17 + credit_code_check(first17)


def seed(
    rng: random.Random,
    *,
    until: datetime | None = None,
    enterprises: int = 30,
    password: str = "",
) -> WindowSummary:
    """The window's demo year up to ``until`` (default now); see the module's docstring.
    The enterprises' logins (their mobile numbers, 1370000001…) get ``password``, a hash
    (the staff's one), else the demo's password hashed for each."""
    until = until or timezone.now()
    summary = WindowSummary()
    district = the_district()
    office = _office(district)
    actions.set_up_window(actor=None, office=office)
    office_staff = _staff(office, Role.DISPATCHER, OFFICE_LOGIN, password)
    dispatcher = _staff(district, Role.DISPATCHER, "yingshang_qu", password)
    if dispatcher == office_staff:
        dispatcher = _staff(district, Role.LEADER, "yingshang_ld", password)
    parks = list(Unit.objects.filter(kind=UnitKind.PARK, active=True).order_by("code")) or list(
        Unit.objects.filter(kind__in=(UnitKind.STREET, UnitKind.TOWN), active=True)
    )
    departments = list(
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).exclude(pk=office.pk)
    ) or [office]
    start = until - timedelta(days=365)

    made: list[tuple[Enterprise, User]] = []
    for n in range(enterprises):
        park = rng.choice(parks) if parks else None
        name = f"{(park.name[:2] if park else '')}{rng.choice(KINDS)}有限公司{n + 1:02d}"
        mobile = f"1370{n + 1:07d}"
        if User.objects.filter(username=mobile).exists():
            continue
        with clock.at(start + timedelta(days=rng.uniform(0, 30))):
            try:
                made.append(
                    actions.register_enterprise(
                        actions.Registration(
                            name=name[:100],
                            credit_code=_credit_code(rng),
                            contact_name=rng.choice("王李张刘陈杨黄赵吴周") + "经理",
                            mobile=mobile,
                            password=DEMO_PASSWORD,
                            password_hash=password,
                            address=f"{park.name if park else ''}创业路{n + 1}号",
                            unit=park,
                        )
                    )
                )
            except Refusal:
                continue
    summary.enterprises = len(made)
    if not made:
        return summary

    def work(complaint_at: datetime, complaint: object) -> None:
        """The office works a complaint through the loop; the enterprise rates most."""
        from civicgrid.enterprise.models import Complaint

        assert isinstance(complaint, Complaint)
        t = complaint_at
        case = complaint.case
        steps = (
            (case_actions.dispatch_case, dispatcher, {}),
            (case_actions.acknowledge_case, office_staff, {}),
            (case_actions.resolve_case, office_staff, {"reply": rng.choice(REPLIES)}),
            (case_actions.verify_case, dispatcher, {"passed": True}),
        )
        if rng.random() < 0.7:
            t += timedelta(minutes=rng.uniform(10, 90))
            with clock.at(t):
                actions.name_department(
                    complaint, actor=office_staff, department=rng.choice(departments)
                )
        for move, actor, extra in steps:
            t += timedelta(hours=rng.uniform(0.3, 20))
            if t > until:
                return
            with clock.at(t):
                case = move(case, actor=actor, **extra)
        t += timedelta(hours=rng.uniform(1, 30))
        if t > until or case.state != State.FOLLOW_UP or rng.random() < 0.15:
            return
        contact = complaint.enterprise.contacts.first()
        with clock.at(t):
            actions.rate_complaint(
                complaint,
                actor=contact.user if contact else None,
                rating=rng.choices([5, 4, 3, 2], weights=[12, 6, 2, 1])[0],
                solved=rng.random() < 0.93,
                comment=rng.choice(["", "办得快", "还需跟进"]),
            )
        summary.rated += 1

    # Complaints filed by the enterprises across the year.
    for _n in range(max(10, len(made) + 10)):
        enterprise, user = rng.choice(made)
        at = start + timedelta(days=rng.uniform(31, 364), hours=rng.uniform(1, 8))
        if at > until:
            continue
        matter, office_name, tried = rng.choice(MATTERS)
        with clock.at(at):
            complaint = actions.submit_complaint(
                enterprise, actions.Matter(matter, office_name, tried), actor=user
            )
        summary.complaints += 1
        work(at, complaint)

    # Monthly enterprise service days, each with a few issues; some become complaints.
    for month in range(12):
        day_at = start + timedelta(days=30 * month + 35)
        if day_at > until or not parks:
            break
        park = rng.choice(parks)
        with clock.at(day_at):
            day = actions.hold_service_day(
                actor=office_staff,
                on=timezone.localtime(day_at).date(),
                unit=park,
                host=rng.choice(departments),
                theme="企业服务日",
            )
        summary.service_days += 1
        here = [m for m in made if m[0].unit_id == park.pk] or made
        for _i in range(rng.randint(2, 4)):
            enterprise, _user = rng.choice(here)
            with clock.at(day_at):
                issue = actions.record_issue(
                    day, actor=office_staff, enterprise=enterprise, issue=rng.choice(ISSUES)
                )
            if rng.random() < 0.4:
                later = day_at + timedelta(hours=rng.uniform(2, 48))
                with clock.at(later):
                    complaint = actions.issue_to_complaint(issue, actor=office_staff)
                summary.complaints += 1
                work(later, complaint)

    # 包联: each park paired with an agency, visited every other month or so; the first
    # park's pairing handed over to another agency halfway (the first one ended).
    for index, park in enumerate(parks):
        with clock.at(start):
            try:
                pairing = actions.pair(
                    actor=office_staff,
                    agency=rng.choice(departments),
                    unit=park,
                    since=timezone.localtime(start).date(),
                )
            except Refusal:
                continue
        summary.pairings += 1
        visited = [e for e, _u in made if e.unit_id == park.pk]
        for visit in range(6):
            at = start + timedelta(days=60 * visit + rng.uniform(5, 50))
            if at > until:
                break
            others = [d for d in [*departments, office] if d.pk != pairing.agency_id]
            if index == 0 and visit == 3 and others:
                with clock.at(at):
                    day = timezone.localtime(at).date()
                    actions.end_pairing(pairing, actor=office_staff, on=day)
                    pairing = actions.pair(
                        actor=office_staff, agency=others[0], unit=park, since=day
                    )
                summary.pairings += 1
            with clock.at(at):
                actions.log_visit(
                    pairing,
                    actor=office_staff,
                    on=timezone.localtime(at).date(),
                    visitors=f"{pairing.agency.name}包联干部",
                    enterprises=rng.sample(visited, min(len(visited), 2)),
                    notes="走访了解企业经营情况",
                    issues_found=rng.choice(ISSUES) if rng.random() < 0.5 else "",
                )
            summary.visits += 1
    return summary
