"""First-level category of a citizen's request from its Chinese text.

Why this design: requests are short-to-medium Chinese texts, a district has a few thousand
labelled ones at most, the server is CPU-only and offline, and a prediction must take about a
millisecond. A linear model over sparse n-gram features is the strongest thing that fits those
constraints; on the benchmark data (``bench/classify.py``) it beats a plain TF-IDF + LinearSVC
baseline by weighting the features the way NB-SVM does (Wang & Manning, 2012).

The model, in order:

1. Two TF-IDF blocks (sublinear tf, l2-normalised): character uni- and bigrams of the whole
   text, NFKC-normalised and lower-cased, and the same of the *head* (the title if there is
   one, else the first characters of the text), because the first words of a request usually
   name its subject. An optional third block holds the jieba words of the text (``tokens``:
   dictionary shipped with jieba, nothing downloaded, numbers folded into placeholders).
2. One binary linear SVM per class on features scaled by that class's log-count ratio
   (the NB-SVM trick: features typical of a class weigh more for that class).
3. A multinomial logistic regression over the per-class scores, fitted on out-of-fold scores,
   which turns them into calibrated probabilities (and re-balances the classes).

All weights are folded into one dense ``features × classes`` matrix, so a prediction is a sparse
lookup and a small matrix product.

Why characters rather than words by default: on the benchmark's train + dev messages (5-fold
cross-validation, test never used) character bigrams scored as well as jieba words (macro-F1
0.9218 against 0.9205), and words added on top gained 0.001-0.004 depending on the folds,
within the spread between folds, while jieba took two thirds of a prediction's time (2.2 ms a
message with words, 0.6 ms without). Version-1 models, saved before this change, have the
word block and still load.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from civicgrid.triage.text import char_ngrams, cut, normalise

__all__ = [
    "Evaluation",
    "Prediction",
    "TextClassifier",
    "Typical",
    "tokens",
    "train_with_holdout",
]

# 2: ``word_weight`` added (version-1 models always had the word block, at weight 1).
# 3: ``typical`` added (older models take every message as familiar).
FORMAT_VERSION = 3
#: A message counts as familiar unless it has less evidence, or a smaller known share,
#: than all but this share of held-out training messages (see ``TextClassifier.fit``).
TYPICAL_QUANTILE = 0.05

_WORDLIKE = re.compile(r"\w")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def tokens(text: str) -> list[str]:
    """jieba words of ``text``, normalised, without punctuation; numbers become placeholders.

    Exact numbers (house numbers, amounts, dates) say nothing about a request's category and
    would only add rare features, so short ones become ``<num>`` and long ones (phone numbers,
    ids) ``<longnum>``.
    """
    out: list[str] = []
    for word in cut(normalise(text), hmm=True):
        word = word.strip()
        if not word or not _WORDLIKE.search(word):
            continue
        if _NUMBER.match(word):
            word = "<num>" if len(word) < 5 else "<longnum>"
        out.append(word)
    return out


# --------------------------------------------------------------------------- TF-IDF blocks


class _Tfidf:
    """A minimal TF-IDF vectoriser over token lists, with sklearn's smooth idf and sublinear tf.

    Written out (instead of sklearn's TfidfVectorizer) so that one message is vectorised with a
    dict lookup and no per-call validation overhead, and so that a model serialises to plain
    arrays and JSON, without pickle.
    """

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = idf

    @classmethod
    def fit(cls, docs: Sequence[list[str]], min_df: int) -> _Tfidf:
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(doc))
        terms = sorted(t for t, c in df.items() if c >= min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
        return cls({t: i for i, t in enumerate(terms)}, idf)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def row(self, doc: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and l2-normalised values of one document."""
        counts = Counter(t for t in doc if t in self.vocabulary)
        if not counts:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        idx = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[idx]
        values /= np.sqrt(values @ values)
        return idx, values


@dataclass
class _Docs:
    """The token views of a batch of messages: ``views[block][message]``."""

    views: list[list[list[str]]]

    def __len__(self) -> int:
        return len(self.views[0])

    def subset(self, idx: Sequence[int]) -> _Docs:
        return _Docs([[view[i] for i in idx] for view in self.views])


# --------------------------------------------------------------------------- results


@dataclass
class Prediction:
    """The most likely label, its probability, and all labels by decreasing probability.

    ``familiar``: the message is like those the model learned from (enough character
    pairs it knows, and not mostly unknown ones); a confident reading of an unfamiliar
    message is not one to act on alone.
    """

    label: str
    confidence: float
    ranked: list[tuple[str, float]]
    familiar: bool = True


@dataclass(frozen=True)
class Typical:
    """What a familiar message has at least, from held-out training messages: known
    character pairs of the body (evidence) and their share of the body's pairs."""

    min_evidence: float
    min_known: float


@dataclass
class Evaluation:
    """Scores of a classifier on labelled messages; ``dataclasses.asdict`` gives plain JSON."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion_labels: list[str]
    confusion: list[list[int]]
    ms_per_message: float
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- the classifier


class TextClassifier:
    """NB-SVM over characters of the text and of its head, with calibrated probabilities.

    ``head_chars`` characters of the text stand for the title when there is none (in the
    benchmark data two messages in three only have the joined text, which starts with the
    title). ``word_weight`` > 0 adds a block of jieba words. ``min_df`` applies only when there
    are enough messages for it to matter.
    """

    def __init__(
        self,
        *,
        head_chars: int = 25,
        head_weight: float = 0.7,
        word_weight: float = 0.0,
        body_char_weight: float = 1.0,
        min_df: int = 3,
        c: float = 0.3,
        alpha: float = 0.5,
        calibration_folds: int = 5,
        seed: int = 0,
    ) -> None:
        if word_weight <= 0 and body_char_weight <= 0:
            raise ValueError("the body needs words or characters (word_weight, body_char_weight)")
        self.head_chars = head_chars
        self.head_weight = head_weight
        self.word_weight = word_weight
        self.body_char_weight = body_char_weight
        self.min_df = min_df
        self.c = c
        self.alpha = alpha
        self.calibration_folds = calibration_folds
        self.seed = seed
        self._labels: list[str] = []
        self._blocks: list[_Tfidf] = []
        self._weights = np.zeros((0, 0))
        self._bias = np.zeros(0)
        self._meta_coef: np.ndarray | None = None
        self._meta_bias: np.ndarray | None = None
        self._typical: Typical | None = None

    # ---------------------------------------------------------------- features

    @property
    def labels(self) -> list[str]:
        """The classes, in the order of the model's columns."""
        return list(self._labels)

    def _head(self, text: str, title: str) -> str:
        return normalise(title or text)[: self.head_chars]

    def _docs(self, texts: Sequence[str], titles: Sequence[str] | None) -> _Docs:
        if titles is None:
            titles = [""] * len(texts)
        if len(titles) != len(texts):
            raise ValueError("titles and texts differ in length")
        per_message = [self._views(text, title) for text, title in zip(texts, titles, strict=True)]
        return _Docs([list(view) for view in zip(*per_message, strict=True)])

    def _views(self, text: str, title: str) -> list[list[str]]:
        """The token lists of one message, one per feature block (see ``_block_weights``)."""
        body = text if not title or title in text[: len(title) + 5] else f"{title}\n{text}"
        views = []
        if self.word_weight > 0:
            views.append(tokens(body))
        # Character uni- and bigrams, spaces kept (they separate Latin words).
        views.append(char_ngrams(self._head(text, title), 1, 2))
        if self.body_char_weight > 0:
            views.append(char_ngrams(normalise(body), 1, 2))
        return views

    def _block_weights(self) -> list[float]:
        """Weights of the blocks: body words (if any), head characters, body characters (if any)."""
        weights = [self.word_weight] if self.word_weight > 0 else []
        weights.append(self.head_weight)
        if self.body_char_weight > 0:
            weights.append(self.body_char_weight)
        return weights

    def _matrix(self, blocks: list[_Tfidf], docs: _Docs) -> Any:
        """The sparse feature matrix of ``docs`` (blocks side by side, head block weighted)."""
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        weights = self._block_weights()
        for i in range(len(docs)):
            offset, count = 0, 0
            for block, view, weight in zip(blocks, docs.views, weights, strict=True):
                doc = view[i]
                idx, val = block.row(doc)
                indices.append(idx + offset)
                data.append(val * weight)
                offset += len(block)
                count += len(idx)
            indptr.append(indptr[-1] + count)
        width = sum(len(b) for b in blocks)
        return csr_matrix(
            (
                np.concatenate(data) if data else np.empty(0),
                np.concatenate(indices) if indices else np.empty(0, dtype=np.int64),
                np.array(indptr),
            ),
            shape=(len(docs), width),
        )

    # ---------------------------------------------------------------- training

    def _fit_scores(
        self, docs: _Docs, y: np.ndarray, n_classes: int
    ) -> tuple[list[_Tfidf], np.ndarray, np.ndarray]:
        """Vectorisers, folded weights (features × classes) and biases of the NB-SVM."""
        from scipy.sparse import csr_matrix
        from sklearn.svm import LinearSVC

        n = len(y)
        min_df = self.min_df if n >= 200 else 1
        blocks = [_Tfidf.fit(view, min_df) for view in docs.views]
        x = self._matrix(blocks, docs).tocsr()
        present = (x > 0).astype(np.float64).tocsr()
        # How many messages of each class have each feature, all classes in one product
        # (a row selection of ``present`` per class cost more than the class's SVM).
        one_hot = csr_matrix(
            (np.ones(n), (y, np.arange(n))), shape=(n_classes, n), dtype=np.float64
        )
        in_class = np.asarray((one_hot @ present).todense())
        in_all = np.asarray(present.sum(axis=0)).ravel()
        weights = np.zeros((x.shape[1], n_classes))
        bias = np.full(n_classes, -1.0)
        for k in range(n_classes):
            mine = y == k
            if not mine.any():
                continue  # a class absent from this fold: it just never wins
            if mine.all():
                bias[k] = 1.0
                continue
            # Log-count ratio of binarised features, in this class against the others.
            pos = in_class[k] + self.alpha
            neg = (in_all - in_class[k]) + self.alpha
            ratio = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
            scaled = x.copy()  # each column times its ratio, on the stored values only
            scaled.data *= ratio[scaled.indices]
            svm = LinearSVC(C=self.c, class_weight="balanced", random_state=self.seed)
            svm.fit(scaled, mine.astype(int))
            weights[:, k] = svm.coef_.ravel() * ratio
            bias[k] = float(svm.intercept_[0])
        return blocks, weights, bias

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        titles: Sequence[str] | None = None,
    ) -> TextClassifier:
        """Learn from labelled messages; ``titles`` (if any) are weighed as the head."""
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError("need at least two different labels to learn from")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[label] for label in labels])
        docs = self._docs(texts, titles)
        self._labels = classes
        # One BLAS thread: the dense products here are small, and OpenBLAS's threads
        # waiting for a core on a busy machine made a fit two to three times slower (the
        # calibration's logistic regression above all: 9 of 15 s for 756 messages).
        with threadpool_limits(limits=1, user_api="blas"):
            self._blocks, weights, self._bias = self._fit_scores(docs, y, len(classes))
            # Saved as float32 (half the size); rounded here too, so that the model in
            # memory and the one loaded back from ``to_bytes`` give exactly the same
            # probabilities.
            self._weights = weights.astype(np.float32).astype(np.float64)
            self._fit_calibration(docs, y, len(classes))
        return self

    def _fit_calibration(self, docs: _Docs, y: np.ndarray, n_classes: int) -> None:
        """Logistic regression over out-of-fold class scores, if each class has two examples;
        and what a familiar message has (``Typical``), from the same held-out messages.

        Below that, probabilities are a softmax of the raw scores (scaled as SVM margins
        usually need), which keeps the ranking and sums to one but is not calibrated, and
        every message counts as familiar.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        self._meta_coef = self._meta_bias = None
        self._typical = None
        smallest = int(np.bincount(y, minlength=n_classes).min())
        folds = min(self.calibration_folds, smallest)
        if folds < 2:
            return
        oof = np.zeros((len(y), n_classes))
        evidence = np.zeros(len(y))
        known = np.zeros(len(y))
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
        for train, held in splitter.split(np.zeros(len(y)), y):
            blocks, weights, bias = self._fit_scores(docs.subset(train), y[train], n_classes)
            oof[held] = self._matrix(blocks, docs.subset(held)) @ weights + bias
            if self.body_char_weight > 0:
                for i in held.tolist():
                    evidence[i], known[i] = _familiarity(blocks[-1], docs.views[-1][i])
        if self.body_char_weight > 0:
            self._typical = Typical(
                float(np.quantile(evidence, TYPICAL_QUANTILE)),
                float(np.quantile(known, TYPICAL_QUANTILE)),
            )
        meta = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
        meta.fit(oof, y)
        if len(meta.classes_) != n_classes:
            return
        coef, intercept = meta.coef_, meta.intercept_
        if n_classes == 2:  # sklearn keeps one row for two classes; make it a softmax pair
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self._meta_coef = coef.T.copy()
        self._meta_bias = intercept.copy()

    # ---------------------------------------------------------------- prediction

    def _probabilities(self, scores: np.ndarray) -> np.ndarray:
        if self._meta_coef is not None and self._meta_bias is not None:
            logits = scores @ self._meta_coef + self._meta_bias
        else:
            logits = scores * 3.0
        logits = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=-1, keepdims=True)

    def _scores_one(self, views: list[list[str]]) -> np.ndarray:
        scores = self._bias.copy()
        offset = 0
        for block, doc, weight in zip(self._blocks, views, self._block_weights(), strict=True):
            idx, val = block.row(doc)
            if len(idx):
                scores += (val * weight) @ self._weights[idx + offset]
            offset += len(block)
        return scores

    def _familiar(self, views: list[list[str]]) -> bool:
        if self._typical is None or self.body_char_weight <= 0:
            return True
        evidence, known = _familiarity(self._blocks[-1], views[-1])
        return evidence >= self._typical.min_evidence and known >= self._typical.min_known

    def _prediction(self, p: np.ndarray, familiar: bool = True) -> Prediction:
        order = np.argsort(-p, kind="stable")
        ranked = [(self._labels[i], float(p[i])) for i in order]
        return Prediction(
            label=ranked[0][0], confidence=ranked[0][1], ranked=ranked, familiar=familiar
        )

    @property
    def typical(self) -> Typical | None:
        """What a familiar message has at least (None: every message is familiar)."""
        return self._typical

    def _check_fitted(self) -> None:
        if not self._labels:
            raise RuntimeError("the classifier is not fitted")

    def predict(self, text: str, title: str = "") -> Prediction:
        """The category of one message (about a millisecond, mostly jieba)."""
        self._check_fitted()
        views = self._views(text, title)
        return self._prediction(self._probabilities(self._scores_one(views)), self._familiar(views))

    def predict_many(
        self, texts: Sequence[str], titles: Sequence[str] | None = None
    ) -> list[Prediction]:
        """The categories of many messages, vectorised as one sparse matrix."""
        self._check_fitted()
        if not texts:
            return []
        docs = self._docs(texts, titles)
        scores = self._matrix(self._blocks, docs) @ self._weights + self._bias
        per_message = zip(*docs.views, strict=True)
        return [
            self._prediction(p, self._familiar(list(views)))
            for p, views in zip(self._probabilities(np.asarray(scores)), per_message, strict=True)
        ]

    # ---------------------------------------------------------------- evaluation

    def evaluate(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        titles: Sequence[str] | None = None,
    ) -> Evaluation:
        """Accuracy, macro-F1, per-class scores and confusion on labelled messages.

        Messages are predicted one at a time, as the product does, so ``ms_per_message`` is
        the mean single-message latency. Labels unknown to the model count as errors.
        """
        self._check_fitted()
        if titles is None:
            titles = [""] * len(texts)
        predicted: list[str] = []
        started = time.perf_counter()
        for text, title in zip(texts, titles, strict=True):
            predicted.append(self.predict(text, title).label)
        elapsed = time.perf_counter() - started
        result = score(list(labels), predicted, order=self._labels)
        result.ms_per_message = elapsed / len(texts) * 1000 if texts else 0.0
        return result

    # ---------------------------------------------------------------- persistence

    def to_bytes(self) -> bytes:
        """The fitted model as an ``.npz`` archive: arrays plus a JSON header, no pickle."""
        self._check_fitted()
        header = {
            "format": FORMAT_VERSION,
            "labels": self._labels,
            "params": {
                "head_chars": self.head_chars,
                "head_weight": self.head_weight,
                "word_weight": self.word_weight,
                "body_char_weight": self.body_char_weight,
                "min_df": self.min_df,
                "c": self.c,
                "alpha": self.alpha,
                "calibration_folds": self.calibration_folds,
                "seed": self.seed,
            },
            "vocabularies": [
                sorted(b.vocabulary, key=b.vocabulary.__getitem__) for b in self._blocks
            ],
            "calibrated": self._meta_coef is not None,
            "typical": None if self._typical is None else dataclasses.asdict(self._typical),
        }
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), np.uint8),
            "weights": self._weights.astype(np.float32),
            "bias": self._bias,
        }
        for i, block in enumerate(self._blocks):
            arrays[f"idf{i}"] = block.idf
        if self._meta_coef is not None and self._meta_bias is not None:
            arrays["meta_coef"] = self._meta_coef
            arrays["meta_bias"] = self._meta_bias
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """A model saved by ``to_bytes``."""
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            header = json.loads(archive["header"].tobytes().decode())
            version = header.get("format")
            if version not in (1, 2, FORMAT_VERSION):
                raise ValueError(f"unsupported text model format {version!r}")
            params = dict(header["params"])
            if version == 1:
                params["word_weight"] = 1.0
            model = cls(**params)
            model._labels = list(header["labels"])
            model._blocks = [
                _Tfidf({t: i for i, t in enumerate(vocab)}, archive[f"idf{n}"])
                for n, vocab in enumerate(header["vocabularies"])
            ]
            model._weights = archive["weights"].astype(np.float64)
            model._bias = archive["bias"]
            if header["calibrated"]:
                model._meta_coef = archive["meta_coef"]
                model._meta_bias = archive["meta_bias"]
            if header.get("typical"):
                model._typical = Typical(**header["typical"])
        return model


def _familiarity(block: _Tfidf, body: list[str]) -> tuple[int, float]:
    """(evidence, known share) of a message's body view: how many of its distinct
    character pairs the model knows, and what share of them that is."""
    pairs = {token for token in body if len(token) == 2}
    evidence = sum(1 for pair in pairs if pair in block.vocabulary)
    return evidence, evidence / len(pairs) if pairs else 0.0


# --------------------------------------------------------------------------- scoring


def score(truth: Sequence[str], predicted: Sequence[str], order: Sequence[str] = ()) -> Evaluation:
    """Accuracy, macro-F1 (over the labels that occur in ``truth``), per class, confusion.

    Written out rather than taken from sklearn so the numbers are plain floats and the
    definition is visible: a class's F1 is 0 when it is never predicted correctly.
    """
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    labels = list(order) + sorted((set(truth) | set(predicted)) - set(order))
    at = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        matrix[at[t], at[p]] += 1
    per_class: dict[str, dict[str, float]] = {}
    f1s = []
    for i, label in enumerate(labels):
        support = int(matrix[i].sum())
        hits = int(matrix[i, i])
        called = int(matrix[:, i].sum())
        precision = hits / called if called else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if support:
            per_class[label] = {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "support": support,
            }
            f1s.append(f1)
    n = len(truth)
    return Evaluation(
        n=n,
        accuracy=float(np.trace(matrix)) / n if n else 0.0,
        macro_f1=float(np.mean(f1s)) if f1s else 0.0,
        per_class=per_class,
        confusion_labels=labels,
        confusion=matrix.tolist(),
        ms_per_message=0.0,
    )


def _stratified_holdout(
    labels: Sequence[str], holdout: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices (rest, held out): ``holdout`` of each class, never its last example.

    Classes with a single example stay in training (they cannot be both learned and tested).
    """
    rng = np.random.default_rng(seed)
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    rest: list[int] = []
    held: list[int] = []
    for members in by_class.values():
        members = [members[i] for i in rng.permutation(len(members))]
        k = min(len(members) - 1, max(1, round(len(members) * holdout))) if holdout > 0 else 0
        held.extend(members[:k])
        rest.extend(members[k:])
    return sorted(rest), sorted(held)


def train_with_holdout(
    texts: Sequence[str],
    labels: Sequence[str],
    titles: Sequence[str] | None = None,
    holdout: float = 0.2,
    seed: int = 0,
) -> tuple[TextClassifier, Evaluation]:
    """A model trained on all messages, with its scores on a stratified holdout.

    The holdout evaluation comes from a first model fitted without the held-out messages;
    the returned model is then refitted on everything, so no example is wasted. With an
    empty holdout (tiny data) the evaluation has ``n == 0`` and zero scores.
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    rest, held = _stratified_holdout(labels, holdout, seed)

    def pick(values: Sequence[str] | None, idx: list[int]) -> list[str] | None:
        return None if values is None else [values[i] for i in idx]

    started = time.perf_counter()
    if held and len({labels[i] for i in rest}) >= 2:
        first = TextClassifier(seed=seed).fit(
            [texts[i] for i in rest], [labels[i] for i in rest], pick(titles, rest)
        )
        evaluation = first.evaluate(
            [texts[i] for i in held], [labels[i] for i in held], pick(titles, held)
        )
    else:
        evaluation = score([], [])
    model = TextClassifier(seed=seed).fit(texts, labels, titles)
    evaluation.extra.update(
        {
            "train_size": len(rest),
            "holdout_size": len(held),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
    return model, evaluation
