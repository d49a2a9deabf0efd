"""The text classifier on invented messages (no database), and once on the shared data.

Every message below is generated from made-up places and complaints; the shared challenge
data is read only by the last test, which skips when the folder is absent.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from civicgrid.triage.textmodel import (
    TextClassifier,
    score,
    tokens,
    train_with_holdout,
)

PLACES = ["翠湖小区", "金桂花园", "东风路", "新民街道", "滨江社区", "望山村"]
SUBJECTS = {
    "道路": ["路面坑洼不平", "路灯晚上不亮", "井盖缺失", "下雨后道路积水", "人行道地砖破损"],
    "教育": ["孩子入学难", "学校乱收费", "校车超载", "老师有偿补课", "幼儿园学位不足"],
    "环境": [
        "工地夜间施工噪音",
        "工厂排放刺鼻异味",
        "餐馆油烟扰民",
        "河道污水发臭",
        "垃圾堆放无人清运",
    ],
}
DETAILS = {
    "道路": ["车辆经过很危险", "老人晚上出行摔倒", "电动车骑过去容易翻车"],
    "教育": ["家长很着急", "学生家庭负担很重", "开学在即孩子没有学上"],
    "环境": ["居民无法正常休息", "窗户都不敢打开", "夏天气味更加严重"],
}
FILLERS = ["请领导尽快处理", "希望有关部门重视", "已经多次反映无人解决", "恳请给个答复"]


def messages(per_class: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """(texts, labels, titles): a title on every other message, the text always starting
    with the subject, as in real requests."""
    rng = random.Random(seed)
    texts, labels, titles = [], [], []
    for label, subjects in SUBJECTS.items():
        for i in range(per_class):
            subject = f"{rng.choice(PLACES)}{rng.choice(subjects)}"
            body = f"{rng.choice(DETAILS[label])}，{rng.choice(FILLERS)}。"
            texts.append(f"{subject}，{body}")
            titles.append(subject if i % 2 else "")
            labels.append(label)
    return texts, labels, titles


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    texts, labels, titles = messages(30, seed=1)
    return TextClassifier().fit(texts, labels, titles)


def test_learns_the_categories_of_unseen_messages(model: TextClassifier) -> None:
    texts, labels, titles = messages(10, seed=2)
    evaluation = model.evaluate(texts, labels, titles)
    assert model.labels == ["教育", "环境", "道路"]
    assert evaluation.n == 30
    assert evaluation.accuracy >= 0.9
    assert evaluation.macro_f1 >= 0.9
    assert set(evaluation.per_class) == set(SUBJECTS)


def test_predict_many_agrees_with_predict(model: TextClassifier) -> None:
    texts, _labels, titles = messages(5, seed=3)
    one_by_one = [model.predict(text, title) for text, title in zip(texts, titles, strict=True)]
    together = model.predict_many(texts, titles)
    assert [p.label for p in together] == [p.label for p in one_by_one]
    np.testing.assert_allclose(
        [p.confidence for p in together], [p.confidence for p in one_by_one], atol=1e-9
    )
    assert model.predict_many([]) == []


def test_confidence_is_a_probability_and_ranks_every_label(model: TextClassifier) -> None:
    for text in ["东风路路灯晚上不亮，请领导尽快处理。", "学校乱收费", "望山村", ""]:
        prediction = model.predict(text)
        assert 0.0 <= prediction.confidence <= 1.0
        assert [label for label, _p in prediction.ranked] != []
        assert sorted(label for label, _p in prediction.ranked) == sorted(model.labels)
        probabilities = [p for _label, p in prediction.ranked]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1.0)
        assert prediction.ranked[0] == (prediction.label, prediction.confidence)
    assert model.predict("东风路路灯晚上不亮，车辆经过很危险。").confidence > 0.5


def test_the_title_names_the_subject(model: TextClassifier) -> None:
    body = "已经多次反映无人解决，恳请给个答复。"
    assert model.predict(body, title="滨江社区幼儿园学位不足").label == "教育"
    assert model.predict(body, title="滨江社区河道污水发臭").label == "环境"


def test_a_saved_model_loads_back_with_identical_predictions(model: TextClassifier) -> None:
    loaded = TextClassifier.from_bytes(model.to_bytes())
    texts, _labels, titles = messages(5, seed=4)
    assert loaded.labels == model.labels
    for text, title in zip(texts, titles, strict=True):
        assert loaded.predict(text, title) == model.predict(text, title)


def _rewrite_header(data: bytes, change: dict[str, object], drop: str = "") -> bytes:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays["header"].tobytes().decode())
    header.update(change)
    header["params"].pop(drop, None)
    arrays["header"] = np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_a_version_1_model_with_jieba_words_still_loads() -> None:
    texts, labels, titles = messages(12, seed=5)
    words = TextClassifier(word_weight=1.0, body_char_weight=0.0).fit(texts, labels, titles)
    old = _rewrite_header(words.to_bytes(), {"format": 1}, drop="word_weight")
    loaded = TextClassifier.from_bytes(old)
    assert loaded.word_weight == 1.0
    assert loaded.body_char_weight == 0.0
    for text, title in zip(texts[:6], titles[:6], strict=True):
        assert loaded.predict(text, title) == words.predict(text, title)


def test_familiar_means_worded_like_the_training_messages(model: TextClassifier) -> None:
    """Held-out training messages set the bar (a twentieth of them fall below it); a
    message of other words, or too few of them to go by, is unfamiliar."""
    texts, _labels, titles = messages(10, seed=7)
    predictions = model.predict_many(texts, titles)
    assert sum(p.familiar for p in predictions) >= 0.9 * len(texts)
    assert model.typical is not None and 0 < model.typical.min_known <= 1
    for other in (
        "Street light broken near the east gate since Monday.",
        "路灯",
        "幼儿园的阿姨上课时玩手机，娃回家说饿了一下午",
    ):
        assert not model.predict(other).familiar, other
        assert not model.predict_many([other])[0].familiar, other
    assert model.predict("东风路路灯晚上不亮，车辆经过很危险，请领导尽快处理。").familiar


def test_a_version_2_model_takes_every_message_as_familiar(model: TextClassifier) -> None:
    loaded = TextClassifier.from_bytes(model.to_bytes())
    assert loaded.typical == model.typical
    old = TextClassifier.from_bytes(
        _rewrite_header(model.to_bytes(), {"format": 2, "typical": None})
    )
    assert old.typical is None and old.predict("Street light broken.").familiar
    tiny = TextClassifier().fit(["路灯不亮", "学校收费"], ["道路", "教育"])  # not calibrated
    assert tiny.typical is None and tiny.predict("hello").familiar


def test_an_unknown_format_is_refused(model: TextClassifier) -> None:
    future = _rewrite_header(model.to_bytes(), {"format": 99})
    with pytest.raises(ValueError, match="unsupported text model format 99"):
        TextClassifier.from_bytes(future)


def test_bad_training_input_is_refused() -> None:
    texts, labels, _titles = messages(5, seed=6)
    with pytest.raises(ValueError, match="at least two different labels"):
        TextClassifier().fit(texts[:5], labels[:5])
    with pytest.raises(ValueError, match="at least two different labels"):
        TextClassifier().fit([], [])
    with pytest.raises(ValueError, match="texts and labels differ"):
        TextClassifier().fit(texts, labels[:-1])
    with pytest.raises(ValueError, match="titles and texts differ"):
        TextClassifier().fit(texts, labels, titles=["标题"])
    with pytest.raises(ValueError, match="words or characters"):
        TextClassifier(word_weight=0.0, body_char_weight=0.0)


def test_an_unfitted_model_refuses_to_predict_or_save() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier().predict("路灯不亮")
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier().to_bytes()


def test_tokens_are_normalised_words_without_punctuation() -> None:
    words = tokens("ＡＢＣ小区１２３号楼，电话13812345678！！  路灯坏了。")
    assert words[0] == "abc"  # full-width letters to ASCII, lower case
    assert "<num>" in words  # a short number (house number) becomes a placeholder
    assert "<longnum>" in words  # a long one (phone number) another
    assert not any(ch in "".join(words) for ch in "，！。 123")
    assert "路灯" in words
    assert tokens("") == []
    assert tokens("！？。，") == []


def test_score_counts_a_never_predicted_class_as_zero() -> None:
    evaluation = score(["a", "a", "b", "c"], ["a", "a", "b", "b"], order=["a", "b", "c"])
    assert evaluation.accuracy == 0.75
    assert evaluation.per_class["a"]["f1"] == 1.0
    assert evaluation.per_class["b"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert evaluation.per_class["c"]["f1"] == 0.0
    assert evaluation.macro_f1 == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert evaluation.confusion == [[2, 0, 0], [0, 1, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="differ in length"):
        score(["a"], [])


def test_train_with_holdout_scores_a_held_out_fifth_and_keeps_every_message() -> None:
    texts, labels, titles = messages(20, seed=7)
    model, evaluation = train_with_holdout(texts, labels, titles)
    assert evaluation.extra["holdout_size"] == 12  # a fifth of each class's 20
    assert evaluation.extra["train_size"] == 48
    assert evaluation.n == 12
    assert evaluation.accuracy >= 0.9
    assert model.labels == sorted(SUBJECTS)


# --- the shared challenge data --------------------------------------------------------

DATA = Path(
    os.environ.get("CIVICGRID_SHARED_DATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)


def test_macro_f1_on_the_dev_split_of_the_challenge_data() -> None:
    """Trained on the train split only; dev was 0.904 when the defaults were chosen (the
    TF-IDF + LinearSVC reference of ``bench/classify.py`` gets 0.880 there)."""
    path = DATA / "messages" / "labelled.csv"
    if not path.is_file():
        pytest.skip(f"shared challenge data absent ({path})")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    model = TextClassifier().fit(
        [r["text"] for r in train], [r["label"] for r in train], [r["title"] for r in train]
    )
    predictions = model.predict_many([r["text"] for r in dev], [r["title"] for r in dev])
    truth = [r["label"] for r in dev]
    evaluation = score(truth, [p.label for p in predictions])
    assert len(model.labels) == 7
    assert evaluation.macro_f1 >= 0.89
    # Confidences are calibrated: on average they match the share of correct answers.
    mean_confidence = float(np.mean([p.confidence for p in predictions]))
    assert abs(mean_confidence - evaluation.accuracy) < 0.05
    # Dev messages are worded like the training ones: nearly all familiar.
    assert np.mean([p.familiar for p in predictions]) >= 0.9

    # Our own messages, worded unlike the challenge's letters (short, colloquial, newer
    # subjects): the machine would triage none of them wrongly on its own.
    with UNLIKE_TRAINING.open(encoding="utf-8") as fh:
        unlike = [json.loads(line) for line in fh]
    readings = model.predict_many([m["text"] for m in unlike])
    auto = [
        (p, m) for p, m in zip(readings, unlike, strict=True) if p.confidence >= 0.9 and p.familiar
    ]
    assert [m["text"] for p, m in auto if p.label != m["label"]] == []
    confidently_wrong = [p for p, m in zip(readings, unlike, strict=True) if p.label != m["label"]]
    assert any(p.confidence >= 0.9 for p in confidently_wrong), "without the check it would"


UNLIKE_TRAINING = Path(__file__).parent / "data" / "unlike_training.jsonl"


def test_our_messages_unlike_the_training_data_cover_every_category() -> None:
    """At least 150, written for civicgrid, across the challenge's seven categories."""
    with UNLIKE_TRAINING.open(encoding="utf-8") as fh:
        unlike = [json.loads(line) for line in fh]
    assert len(unlike) >= 150 and len({m["text"] for m in unlike}) == len(unlike)
    counts: dict[str, int] = {}
    for m in unlike:
        counts[m["label"]] = counts.get(m["label"], 0) + 1
    assert len(counts) == 7 and min(counts.values()) >= 20
    path = DATA / "messages" / "labelled.csv"
    if path.is_file():  # our own words, not rows of the shared data
        with path.open(encoding="utf-8", newline="") as fh:
            real = {r["text"] for r in csv.DictReader(fh)}
        assert not {m["text"] for m in unlike} & real
