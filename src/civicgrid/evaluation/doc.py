"""The definitions' block of docs/indicators.md, written from ``indicators`` itself, so
the published document and the code cannot drift apart: ``civicgrid indicators_doc
docs/indicators.md`` rewrites the block, and a test fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from civicgrid.evaluation import indicators as ind

BEGIN = (
    "<!-- definitions: written by `civicgrid indicators_doc docs/indicators.md` from "
    "civicgrid/evaluation/indicators.py; edit them there, not here -->"
)
END = "<!-- /definitions -->"


def _both(text: object) -> tuple[str, str]:
    """A translatable text in Chinese and in English."""
    with translation.override("zh-hans"):
        chinese = str(text)
    with translation.override("en"):
        english = str(text)
    return chinese, english


def definitions_markdown() -> str:
    """The block: attribution, every indicator, every exclusion, in both languages."""
    lines = [BEGIN, ""]
    zh, en = _both(ind.UNITS_DESCRIPTION)
    lines += ["### 归属 · Attribution", "", zh, "", f"> {en}", ""]
    for indicator in ind.indicators():
        name_zh, name_en = _both(indicator.name)
        text_zh, text_en = _both(indicator.description)
        num_zh, num_en = _both(indicator.numerator_label)
        den_zh, den_en = _both(indicator.denominator_label)
        kind = "比率 · rate" if indicator.kind == ind.RATE else "平均工作时长 · mean working hours"
        subject = "工单 · cases" if indicator.subject == ind.CASE else "吹哨任务 · whistle tasks"
        lines += [
            f"### {name_zh} · {name_en} (`{indicator.key}`)",
            "",
            f"{kind}；{subject}",
            "",
            text_zh,
            "",
            f"- 分子 numerator：{num_zh}（{num_en}）",
            f"- 分母 denominator：{den_zh}（{den_en}）",
            "",
            f"> {text_en}",
            "",
        ]
    lines += ["### 不计入任何指标的工单 · Left out of every figure", ""]
    for exclusion in ind.exclusions():
        name_zh, name_en = _both(exclusion.name)
        text_zh, text_en = _both(exclusion.description)
        lines += [
            f"- **{name_zh} · {name_en}** (`{exclusion.key}`)：{text_zh}",
            f"  > {text_en}",
        ]
    lines += ["", END]
    return "\n".join(lines)


def block_of(text: str) -> str | None:
    """The definitions' block of a document, markers included; None if it has none."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END)]


def rewrite(path: Path) -> bool:
    """Put the current block into ``path``; whether anything changed."""
    text = path.read_text(encoding="utf-8")
    old = block_of(text)
    if old is None:
        raise ValueError(f"{path} has no {BEGIN!r} … {END!r} block")
    new = definitions_markdown()
    if old == new:
        return False
    path.write_text(text.replace(old, new), encoding="utf-8")
    return True
