"""Hot issues over the challenge's 4,326 public messages: ours against two simple references.

    .venv/bin/python bench/hot_issues.py [--window-days 30] [--min-size 3] [--kmeans-k 200]

Reads ``messages/public_messages.csv`` from the shared data folder (``../shared/data``
next to the repository, or ``$CIVICGRID_SHARED_DATA``); prints ``{"skipped": ...}``
and exits 0 when it is absent. The data is research-only: nothing of it is kept;
sample titles are printed at run time only.

The messages span 2017-06 → 2020-01, so ``hot_issues`` runs without ``now``: every
cluster is scored at its own peak window (see its docstring) and the ranking is
"the hottest issues of the period". Linking window 30 days, clusters of ≥ 3.

There is no ground truth; three independent analyses agree that two of the top
issues are the noise of a concrete mixing station (搅拌站) by one estate and the
bundled/forced sale of parking spaces (车位) in another. The check: both are among
our top 5 clusters, where a cluster is "about" the mixing station if ≥ half its
members mention 搅拌, and about parking sales if ≥ half mention 车位 and ≥ half
mention a sale (捆绑/销售/出售/购买/买). The same check is applied to

- reference "likes": the 5 most-liked single messages (what a portal's
  "most supported" list shows);
- reference "kmeans": TF-IDF (jieba words of title and text) + k-means, clusters
  ranked by size.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from civicgrid.triage.hot import Cluster, Item, hot_issues  # noqa: E402

_SALE = re.compile(r"捆绑|销售|出售|购买|买")


def data_dir() -> Path:
    return Path(os.environ.get("CIVICGRID_SHARED_DATA") or ROOT.parent / "shared" / "data")


def parse_time(s: str) -> datetime:
    """The file mixes ``2019/2/28 11:25:05`` and ``2019-11-13 11:20:21``."""
    return datetime.strptime(s.strip().replace("-", "/"), "%Y/%m/%d %H:%M:%S")


def load(path: Path) -> list[Item]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Item(
            id=r["id"],
            title=r["title"],
            text=r["detail"],
            at=parse_time(r["time"]),
            residents=r["user"] or None,
            likes=int(r["likes"] or 0),
        )
        for r in rows
    ]


def topics(texts: Sequence[str]) -> dict[str, bool]:
    """Which of the two known issues a group of messages is about (majority of members)."""
    n = max(len(texts), 1)
    mixing = sum("搅拌" in t for t in texts) / n >= 0.5
    parking = (
        sum("车位" in t for t in texts) / n >= 0.5
        and sum(bool(_SALE.search(t)) for t in texts) / n >= 0.5
    )
    return {"mixing_station_noise": mixing, "parking_space_sales": parking}


def check(groups: Sequence[Sequence[str]]) -> dict[str, object]:
    """Rank (1-based) of the first group about each known issue, and whether both are ≤ 5."""
    first: dict[str, int | None] = {"mixing_station_noise": None, "parking_space_sales": None}
    for rank, texts in enumerate(groups, start=1):
        for topic, hit in topics(texts).items():
            if hit and first[topic] is None:
                first[topic] = rank
        if all(first.values()):
            break
    return {
        "first_rank": first,
        "both_in_top5": all(r is not None and r <= 5 for r in first.values()),
    }


def describe(c: Cluster, by_id: dict[object, Item], rank: int) -> dict[str, object]:
    return {
        "rank": rank,
        "heat": round(c.heat, 2),
        "size": c.size,
        "parts": {
            "count": c.parts.count,
            "growth": c.parts.growth,
            "residents": c.parts.residents,
            "severity": c.parts.severity,
            "likes": c.parts.likes,
            "recent": c.parts.recent,
            "before": c.parts.before,
        },
        "label": c.label,
        "title": c.title,
        "first": c.first_at.isoformat(sep=" "),
        "last": c.last_at.isoformat(sep=" "),
        "sample_titles": [by_id[i].title for i in c.member_ids[:3]],
    }


def kmeans_reference(items: Sequence[Item], k: int, seed: int) -> tuple[list[list[int]], float]:
    """Plain TF-IDF + k-means; clusters by size, largest first."""
    import jieba
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    docs = [" ".join(jieba.lcut(f"{it.title} {it.text[:200]}", HMM=False)) for it in items]
    x = TfidfVectorizer(token_pattern=r"(?u)\b\w\w+\b", sublinear_tf=True, min_df=2).fit_transform(
        docs
    )
    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(x)
    elapsed = time.perf_counter() - started
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    return [np.flatnonzero(labels == c).tolist() for c in order], elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window-days", type=int, default=30)
    parser.add_argument("--min-size", type=int, default=3)
    parser.add_argument("--kmeans-k", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    path = data_dir() / "messages" / "public_messages.csv"
    if not path.is_file():
        print(json.dumps({"skipped": f"no {path}"}))
        return
    items = load(path)
    by_id: dict[object, Item] = {it.id: it for it in items}

    import jieba

    jieba.setLogLevel(60)
    started = time.perf_counter()
    jieba.initialize()
    jieba_load_s = time.perf_counter() - started

    started = time.perf_counter()
    clusters = hot_issues(
        items, window_days=args.window_days, min_size=args.min_size, top=len(items)
    )
    ours_s = time.perf_counter() - started
    top5 = clusters[:5]

    def texts(ids: Sequence[object]) -> list[str]:
        return [f"{by_id[i].title}{by_id[i].text}" for i in ids]

    ours_check = check([texts(c.member_ids) for c in clusters])

    by_likes = sorted(items, key=lambda it: -it.likes)
    liked = by_likes[:5]
    likes_check = check([[f"{it.title}{it.text}"] for it in by_likes])

    groups, kmeans_s = kmeans_reference(items, args.kmeans_k, args.seed)
    km_top5 = groups[:5]
    kmeans_check = check([[f"{items[i].title}{items[i].text}" for i in g] for g in groups])

    print(
        json.dumps(
            {
                "benchmark": "hot_issues",
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "items": len(items),
                "period": [
                    min(it.at for it in items).isoformat(sep=" "),
                    max(it.at for it in items).isoformat(sep=" "),
                ],
                "settings": {
                    "now": None,
                    "window_days": args.window_days,
                    "min_size": args.min_size,
                },
                "seconds": round(ours_s, 2),
                "jieba_dictionary_load_seconds": round(jieba_load_s, 2),
                "clusters_with_min_size": len(clusters),
                "items_in_those_clusters": sum(c.size for c in clusters),
                "top5": [describe(c, by_id, r) for r, c in enumerate(top5, start=1)],
                "check": ours_check,
                "reference_likes": {
                    "top5": [{"id": it.id, "likes": it.likes, "title": it.title} for it in liked],
                    "check": likes_check,
                },
                "reference_kmeans": {
                    "k": args.kmeans_k,
                    "seconds": round(kmeans_s, 2),
                    "top5": [
                        {
                            "size": len(g),
                            "sample_titles": [items[i].title for i in g[:3]],
                        }
                        for g in km_top5
                    ],
                    "check": kmeans_check,
                },
                "passes": bool(ours_check["both_in_top5"]),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
