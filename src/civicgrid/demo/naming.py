"""Names for the demo district: places, units, departments and people.

All of it is made up from common characters; any likeness to a real place is
chance. Every generator takes an explicit ``random.Random`` so a seed decides all.
"""

from __future__ import annotations

import random

# Characters that read naturally in Chinese place names.
PLACE_FIRST = (
    "东西南北青白金银云龙凤清明和安平长新古文兴华湖山江河桥塘溪林石桂柳梅兰松竹翠碧紫丰宁泰"
    "福康荣瑞祥德仁永乐嘉庆阳光月星海川岭坪望双三五九百万鹤鹿杏桃荷莲茶桑枫樟"
)
PLACE_SECOND = "湖山江河桥塘溪林湾岭坪坝园庄港浦渚洲堰埠口岗冈亭苑城门岸沙田泉源滨畈墩垟店集圩堡"

PARK_SUFFIXES = ("产业园", "科技园", "工业园", "物流园", "创意园", "智造园", "电商园", "软件园")

DEPARTMENTS = (
    "区发展和改革局",
    "区教育局",
    "区科学技术局",
    "区经济和信息化局",
    "区民族宗教事务局",
    "区公安分局",
    "区民政局",
    "区司法局",
    "区财政局",
    "区人力资源和社会保障局",
    "区自然资源和规划分局",
    "区生态环境分局",
    "区住房和城乡建设局",
    "区交通运输局",
    "区水利局",
    "区农业农村局",
    "区商务局",
    "区文化和旅游局",
    "区卫生健康委员会",
    "区退役军人事务局",
    "区应急管理局",
    "区审计局",
    "区市场监督管理局",
    "区统计局",
    "区医疗保障局",
    "区城市管理局",
    "区综合行政执法局",
    "区信访局",
    "区数据资源管理局",
    "区机关事务管理局",
    "区投资促进局",
    "区林业局",
    "区园林绿化局",
    "区体育局",
    "区人民防空办公室",
    "区档案馆",
    "区地方志办公室",
    "区气象局",
    "区税务局",
    "区消防救援大队",
    "公安分局交通警察大队",
    "区房屋安全管理中心",
    "区物业管理服务中心",
    "区房屋征收管理办公室",
    "区住房保障和房产管理局",
    "区建设工程质量安全监督站",
    "区市政设施管理中心",
    "区环境卫生管理中心",
    "区排水管理中心",
    "区道路运输管理所",
    "区疾病预防控制中心",
    "区卫生监督所",
    "区妇幼保健院",
    "区人民医院",
    "区中医院",
    "区劳动保障监察大队",
    "区劳动人事争议仲裁院",
    "区社会保险事业管理中心",
    "区就业管理服务中心",
    "区不动产登记中心",
    "区行政审批服务局",
    "区政务服务中心",
    "区12345热线服务中心",
    "区网格化服务管理中心",
    "区食品药品检验所",
    "区动物卫生监督所",
    "区农业技术推广中心",
    "区河道管理所",
    "区防汛抗旱指挥部办公室",
    "区残疾人联合会",
    "区妇女联合会",
    "共青团区委员会",
    "区总工会",
    "区红十字会",
    "区科学技术协会",
    "区工商业联合会",
    "区融媒体中心",
    "区供水有限公司",
    "区燃气有限公司",
    "国网区供电公司",
    "区热力有限公司",
    "区公交集团",
    "中国电信区分公司",
    "区邮政分公司",
    "区城市建设投资集团",
)

URBAN_MANAGEMENT = "区城市管理局"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲丹萍鹏红飞斌宇浩凯欣婷雪琳晨"
    "佳怡瑶琪嘉宁倩颖俊峰志海亮红梅兰春燕雷昊天博宏玉彬斌晓东子涵一诺思远"
)


class NamePool:
    """Unique two-character place names, drawn in a seeded order."""

    def __init__(self, rng: random.Random) -> None:
        pairs = [a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
        rng.shuffle(pairs)
        self._pairs = pairs
        self._next = 0

    def take(self) -> str:
        name = self._pairs[self._next]
        self._next += 1
        return name


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def park_name(base: str, rng: random.Random) -> str:
    return base + rng.choice(PARK_SUFFIXES)


assert len(DEPARTMENTS) == len(set(DEPARTMENTS)) == 85, len(DEPARTMENTS)
