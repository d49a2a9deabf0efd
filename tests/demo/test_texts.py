"""The demo's request texts (no database): many, varied, repeatable, well formed, and
none of them a resident's real message."""

from __future__ import annotations

import csv
import os
import random
import re
import string
from collections import Counter
from pathlib import Path

import pytest

from civicgrid.demo.phrases import BURSTS, TOPICS
from civicgrid.demo.texts import Writer, doubled, training_set


def leaves() -> set[str]:
    from civicgrid.demo.taxonomy import TAXONOMY

    return {leaf[0] for level2 in TAXONOMY.values() for ls in level2.values() for leaf in ls}


def masked(text: str, writer: Writer) -> str:
    """The text with its places and numbers blanked: what is left is the phrasing."""
    for hood in writer.neighbourhoods:
        for name in (*hood.estates, *hood.roads):
            text = text.replace(name, "#")
    return re.sub(r"\d+", "9", text)


def test_every_category_of_the_taxonomy_has_its_phrases() -> None:
    assert set(TOPICS) == leaves()
    slots: set[str] = set()
    for name, topic in TOPICS.items():
        assert len(topic.titles) >= 4 and len(topic.facts) >= 4, name
        assert len(topic.details) >= 5 and len(topic.asks) >= 4, name
        for phrase in (*topic.titles, *topic.facts, *topic.details, *topic.asks):
            slots |= {n for _t, n, _s, _c in string.Formatter().parse(phrase) if n}
    assert slots <= {
        "where", "estate", "road", "road2", "shop", "company", "school", "hospital", "b", "u",
        "f", "room", "n", "days", "months", "money", "line", "plate",
    }  # fmt: skip


def test_a_common_category_is_written_in_hundreds_of_ways() -> None:
    writer = Writer(random.Random(1))
    requests = [writer.request("楼道杂物堆放") for _ in range(600)]
    assert len({r.text for r in requests}) == 600
    # Not only other places and numbers: other words.
    assert len({masked(r.text, writer) for r in requests}) >= 300
    assert len({r.title for r in requests}) >= 100
    assert Counter(r.register for r in requests).keys() == {
        "hotline", "letter", "colloquial", "patrol", "short",
    }  # fmt: skip


def test_titles_never_say_a_word_twice() -> None:
    writer = Writer(random.Random(2))
    titles = [writer.request(name).title for name in TOPICS for _ in range(40)]
    hood = writer.neighbourhoods[0]
    for burst in BURSTS:
        anchor = hood.roads[0] if burst.place == "road" else hood.estates[0]
        titles += [writer.burst_request(burst, anchor, hood).title for _ in range(40)]
    assert [t for t in titles if doubled(t)] == []
    assert doubled("商品质量问题问题反映") == "问题问题", "the check finds what it is for"
    texts = [writer.request(name).text for name in TOPICS for _ in range(20)]
    assert not [t for t in texts if re.search("问题问题|反映反映|投诉投诉|请请|希望希望", t)]


def test_a_seed_repeats_the_texts_and_another_seed_does_not() -> None:
    def sample(seed: int) -> list[tuple[str, str]]:
        writer = Writer(random.Random(seed))
        return [(r.title, r.text) for r in (writer.request(n) for n in list(TOPICS)[:20])]

    assert sample(5) == sample(5)
    assert sample(5) != sample(6)
    assert training_set(3, 2) == training_set(3, 2)


def test_each_register_writes_as_its_channel_does() -> None:
    writer = Writer(random.Random(3))
    by_register: dict[str, list[str]] = {}
    for name in TOPICS:
        for channel in ("hotline", "web", "patrol", "api"):
            written = writer.request(name, channel=channel)
            by_register.setdefault(written.register, []).append(written.text)
    hotline = by_register["hotline"]
    assert all(t.startswith(("市民", "来电", "热线")) for t in hotline)
    # The operator writes of the caller: no first person left.
    assert not [t for t in hotline + by_register["patrol"] if "我" in t]
    assert all(("巡查" in t or "居民" in t) for t in by_register["patrol"])
    mean = {r: sum(map(len, ts)) / len(ts) for r, ts in by_register.items()}
    assert mean["letter"] > 1.5 * mean["short"]
    # Pinyin typos in some texts, not in most.
    texts = [t for ts in by_register.values() for t in ts]
    typos = [t for t in texts if re.search("以经|拉圾|部们|维休|燥声|马尚|作饭|利害", t)]
    assert 0 < len(typos) < len(texts) / 5


def test_a_burst_names_one_place_in_every_request() -> None:
    writer = Writer(random.Random(4))
    hood = writer.neighbourhoods[0]
    road = hood.roads[0]
    for _ in range(30):
        written = writer.burst_request(BURSTS[0], road, hood)
        assert road in written.title and road in written.text and written.named == road


# --- never a resident's real message ---------------------------------------------------

SHARED = Path(
    os.environ.get("CIVICGRID_SHARED_DATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)


def _normalised(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


@pytest.mark.skipif(not (SHARED / "messages").is_dir(), reason="shared data absent")
def test_no_generated_text_is_a_row_of_the_shared_data() -> None:
    real: set[str] = set()
    for name, columns in (
        ("labelled.csv", ("text", "detail")),
        ("public_messages.csv", ("detail",)),
        ("replies.csv", ("detail",)),
    ):
        with (SHARED / "messages" / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                real |= {_normalised(row[c]) for c in columns if row.get(c)}
    texts, _labels, titles = training_set(9, 40)
    writer = Writer(random.Random(9))
    hood = writer.neighbourhoods[0]
    for burst in BURSTS:
        anchor = hood.roads[0] if burst.place == "road" else hood.estates[0]
        texts += [writer.burst_request(burst, anchor, hood).text for _ in range(30)]
    assert len(real) > 5000
    generated = {_normalised(t) for t in texts}
    generated |= {_normalised(f"{a}{b}") for a, b in zip(titles, texts[: len(titles)], strict=True)}
    assert not generated & real
