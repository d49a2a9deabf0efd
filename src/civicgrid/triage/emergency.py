"""Emergency words: does a request's text say that someone may be in danger now?

The one place that decides it. Intake sets a new case's urgency from it (an emergency
skips the queue and runs on calendar time), and triage's reading of the case records
it beside the category.
"""

from __future__ import annotations

__all__ = ["EMERGENCY_WORDS", "is_emergency"]

#: Words that mean someone may be in danger now.
EMERGENCY_WORDS = (
    "煤气味",
    "燃气味",
    "天然气泄漏",
    "燃气泄漏",
    "煤气泄漏",
    "着火",
    "起火",
    "火灾",
    "冒烟",
    "坍塌",
    "塌了",
    "倒塌",
    "被困",
    "困在电梯",
    "电梯困人",
    "触电",
    "爆炸",
    "溺水",
    "掉进",
    "井盖丢失",
)


def is_emergency(text: str) -> bool:
    """Whether ``text`` names one of :data:`EMERGENCY_WORDS`, as written (a word split by
    a space or punctuation is not found). Give it the title and the description
    together."""
    return any(word in text for word in EMERGENCY_WORDS)
