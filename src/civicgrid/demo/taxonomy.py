"""A realistic municipal category tree for the demo district (written for civicgrid,
not copied from any data set): three levels, each leaf with its tier, departments
and whether a grid may handle it itself."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from civicgrid.cases.models import Category, DeadlinePolicy, Tier, TierRule, Urgency
from civicgrid.org.models import Unit, UnitKind

M, N, MID, J = Tier.MICRO, Tier.MINOR, Tier.MODERATE, Tier.MAJOR

# level 1 → level 2 → [(level 3, tier, departments, grid may self-handle, questions)]
Leaf = tuple[str, str, tuple[str, ...], bool]
TAXONOMY: dict[str, dict[str, list[Leaf]]] = {
    "住房与物业": {
        "物业服务": [
            ("物业服务质量差", N, ("区物业管理服务中心",), False),
            ("物业费收取争议", N, ("区物业管理服务中心",), False),
            ("电梯故障停运", MID, ("区市场监督管理局", "区物业管理服务中心"), False),
            ("小区门禁损坏", M, ("区物业管理服务中心",), True),
        ],
        "房屋质量": [
            ("房屋漏水渗水", N, ("区住房和城乡建设局",), False),
            ("外墙脱落", MID, ("区住房和城乡建设局", "区房屋安全管理中心"), False),
            ("危房险房", J, ("区房屋安全管理中心", "区应急管理局"), False),
        ],
        "公共设施": [
            ("楼道杂物堆放", M, (), True),
            ("楼道灯损坏", M, ("区物业管理服务中心",), True),
            ("小区绿化损毁", M, ("区园林绿化局",), True),
        ],
    },
    "噪声扰民": {
        "生活噪声": [
            ("邻里噪声", N, (), False),
            ("广场舞噪声", N, ("区城市管理局",), False),
        ],
        "经营噪声": [
            ("商铺噪声", MID, ("区生态环境分局", "区城市管理局"), False),
            ("餐饮油烟噪声", MID, ("区生态环境分局", "区市场监督管理局"), False),
        ],
        "施工噪声": [
            ("夜间施工噪声", MID, ("区生态环境分局", "区住房和城乡建设局"), False),
            ("搅拌站噪声", MID, ("区生态环境分局",), False),
        ],
    },
    "环境卫生": {
        "垃圾清运": [
            ("生活垃圾未清运", M, ("区环境卫生管理中心",), True),
            ("建筑垃圾乱倒", N, ("区城市管理局",), False),
            ("垃圾分类问题", M, ("区环境卫生管理中心",), True),
        ],
        "污染": [
            ("河道污染", MID, ("区生态环境分局", "区河道管理所"), False),
            ("废气排放", MID, ("区生态环境分局",), False),
            ("污水外溢", N, ("区排水管理中心",), False),
        ],
        "市容": [
            ("占道经营", N, ("区城市管理局",), False),
            ("违规广告牌", N, ("区城市管理局",), False),
            ("犬只扰民", M, ("区公安分局",), True),
        ],
    },
    "道路交通": {
        "道路设施": [
            ("路面破损坑洼", N, ("区市政设施管理中心",), False),
            ("井盖缺失破损", MID, ("区市政设施管理中心",), False),
            ("路灯不亮", M, ("区市政设施管理中心",), True),
        ],
        "交通秩序": [
            ("违章停车", N, ("公安分局交通警察大队",), False),
            ("交通信号灯故障", MID, ("公安分局交通警察大队",), False),
            ("公交线路站点", MID, ("区交通运输局", "区公交集团"), False),
        ],
    },
    "水电气暖": {
        "供水": [
            ("停水", MID, ("区供水有限公司",), False),
            ("水质问题", MID, ("区供水有限公司", "区卫生监督所"), False),
        ],
        "供电": [("停电", MID, ("国网区供电公司",), False)],
        "燃气": [
            ("燃气泄漏", J, ("区燃气有限公司", "区消防救援大队", "区应急管理局"), False),
            ("燃气开户与维修", N, ("区燃气有限公司",), False),
        ],
        "供暖": [("供暖不热", MID, ("区热力有限公司",), False)],
    },
    "市场监管与消费": {
        "消费维权": [
            ("预付卡退费", MID, ("区市场监督管理局",), False),
            ("商品质量问题", N, ("区市场监督管理局",), False),
        ],
        "食品安全": [
            ("食品安全问题", MID, ("区市场监督管理局",), False),
            ("无证经营", N, ("区市场监督管理局",), False),
        ],
    },
    "劳动与社会保障": {
        "劳动关系": [
            ("拖欠工资", MID, ("区劳动保障监察大队",), False),
            ("劳动合同纠纷", MID, ("区劳动人事争议仲裁院",), False),
        ],
        "社会保险": [
            ("社保缴纳", N, ("区社会保险事业管理中心",), False),
            ("医保报销", N, ("区医疗保障局",), False),
        ],
        "就业": [("就业创业服务", N, ("区就业管理服务中心",), False)],
    },
    "教育": {
        "入学": [
            ("入学与学位", MID, ("区教育局",), False),
            ("校外培训退费", MID, ("区教育局", "区市场监督管理局"), False),
        ],
        "校园周边": [("校园周边安全", N, ("区教育局", "区公安分局"), False)],
    },
    "卫生健康": {
        "医疗服务": [("医疗服务投诉", MID, ("区卫生健康委员会",), False)],
        "公共卫生": [
            ("病媒生物防治", M, ("区疾病预防控制中心",), True),
            ("公共场所卫生", N, ("区卫生监督所",), False),
        ],
    },
    "社会治安": {
        "治安": [
            ("治安隐患", MID, ("区公安分局",), False),
            ("电信诈骗", MID, ("区公安分局",), False),
        ],
        "矛盾纠纷": [("邻里纠纷调解", N, ("区司法局",), False)],
    },
    "安全生产与应急": {
        "安全隐患": [
            ("消防通道堵塞", N, ("区消防救援大队",), False),
            ("电动车违规充电", M, ("区消防救援大队",), True),
            ("危化品隐患", J, ("区应急管理局",), False),
        ],
        "自然灾害": [
            ("积水内涝", MID, ("区排水管理中心", "区防汛抗旱指挥部办公室"), False),
            ("树木倒伏", N, ("区园林绿化局",), False),
        ],
    },
    "民政与社会事务": {
        "社会救助": [
            ("低保救助", N, ("区民政局",), False),
            ("养老服务", N, ("区民政局",), False),
        ],
        "残疾人服务": [("残疾人帮扶", N, ("区残疾人联合会",), False)],
    },
}

# Urgency overrides of the tier table: an emergency in these goes to the district.
EMERGENCY_TO_DISTRICT = ("燃气泄漏", "危房险房", "危化品隐患", "积水内涝")

QUESTIONS = {
    "停水": [
        {
            "code": "scope",
            "label": "停水范围",
            "datatype": "singlevaluelist",
            "required": True,
            "values": [
                {"key": "home", "name": "仅我家"},
                {"key": "building", "name": "整栋楼"},
                {"key": "area", "name": "整个小区或片区"},
            ],
        },
        {"code": "since", "label": "开始时间", "datatype": "datetime", "required": False},
    ],
    "违章停车": [
        {"code": "plate", "label": "车牌号", "datatype": "string", "required": False},
    ],
}

H = timedelta(hours=1)
# The district default (working time), per urgency: acknowledge, check in, resolve, follow up.
DEFAULT_POLICIES = {
    Urgency.NORMAL: (2 * H, 4 * H, 5 * 8 * H, 3 * 8 * H, True),
    Urgency.URGENT: (H / 2, H, 8 * H, 2 * 8 * H, True),
    Urgency.EMERGENCY: (H / 4, H / 2, 4 * H, 24 * H, False),
}


@transaction.atomic
def seed_taxonomy() -> int:
    """Create the demo categories, default deadline policies and tier rules."""
    departments = {u.name: u for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    count = 0
    for i, (l1, level2) in enumerate(TAXONOMY.items(), start=1):
        top = Category.objects.create(code=f"{i:02d}", name=l1, default_tier=Tier.MINOR)
        count += 1
        for j, (l2, leaves) in enumerate(level2.items(), start=1):
            mid = Category.objects.create(
                code=f"{i:02d}{j:02d}", name=l2, parent=top, default_tier=Tier.MINOR
            )
            count += 1
            for k, (l3, tier, depts, self_handle) in enumerate(leaves, start=1):
                leaf = Category.objects.create(
                    code=f"{i:02d}{j:02d}{k:02d}",
                    name=l3,
                    parent=mid,
                    default_tier=tier,
                    grid_may_self_handle=self_handle,
                    questions=QUESTIONS.get(l3, []),
                )
                leaf.departments.set([departments[d] for d in depts if d in departments])
                count += 1
                if l3 in EMERGENCY_TO_DISTRICT:
                    TierRule.objects.create(category=leaf, urgency=Urgency.EMERGENCY, tier=J)
    for urgency, (ack, check_in, resolve, follow_up, working) in DEFAULT_POLICIES.items():
        DeadlinePolicy.objects.create(
            category=None,
            urgency=urgency,
            acknowledge=ack,
            check_in=check_in,
            resolve=resolve,
            follow_up=follow_up,
            working_time=working,
        )
    # Dangerous buildings take longer to resolve, but must be acknowledged fast.
    danger = Category.objects.get(name="危房险房")
    DeadlinePolicy.objects.create(
        category=danger,
        urgency=Urgency.NORMAL,
        acknowledge=H,
        check_in=2 * H,
        resolve=10 * 8 * H,
        follow_up=3 * 8 * H,
    )
    return count
