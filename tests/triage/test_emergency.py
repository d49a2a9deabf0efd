"""Emergency words: the one test intake and triage both use (no database)."""

from __future__ import annotations

import pytest

from civicgrid.triage.emergency import EMERGENCY_WORDS, is_emergency


@pytest.mark.parametrize(
    "text",
    [
        "三号楼楼道里有很浓的煤气味，快来人！",
        "燃气泄漏 小区东门",
        "2单元电梯困人，里面有老人",
        "路边井盖丢失，晚上有人掉进去了",
        "厨房起火了",
    ],
)
def test_a_danger_now_is_an_emergency(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize(
    "text",
    ["路灯晚上不亮", "楼上噪音太大睡不着", "电梯经常坏，希望维修", "", "着，火"],
)
def test_other_requests_are_not(text: str) -> None:
    assert not is_emergency(text)


def test_every_word_alone_is_enough() -> None:
    assert all(is_emergency(f"你好，{word}。") for word in EMERGENCY_WORDS)
