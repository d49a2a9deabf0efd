"""Point → grid over the demo district's 6,926 grids: our locator against a naive loop.

    .venv/bin/python bench/locate.py [--points 100000] [--naive-points 500] [--seed 1]

Builds the demo district in a throw-away SQLite database (timing the generation
too), loads the locator from it as the product does, then times

- ours, single: ``GridLocator.locate(lon, lat)`` once per point;
- ours, batch: ``GridLocator.locate_many(lons, lats)`` over all points;
- reference, naive: for each point, ``polygon.contains(point)`` over every grid
  until one holds (what one writes without a spatial index), on a subsample,
  as it is ~1,000× slower; and the same naive scan vectorised with
  ``shapely.contains_xy`` over all polygons at once, a stronger reference.

Prints one JSON object. Targets (issue #2): single ≤ 20 µs, batch ≤ 5 µs per point.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def build_demo(data_dir: Path, seed: int) -> float:
    env = {**os.environ, "CIVICGRID_DATA_DIR": str(data_dir)}
    env.pop("CIVICGRID_DATABASE_URL", None)
    civicgrid = [sys.executable, "-m", "civicgrid"]
    subprocess.run([*civicgrid, "migrate", "-v", "0"], check=True, env=env)
    started = time.perf_counter()
    subprocess.run(
        [*civicgrid, "demo", "--seed", str(seed)], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--naive-points", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        demo_s = build_demo(Path(tmp), args.seed)
        os.environ["CIVICGRID_DATA_DIR"] = tmp
        os.environ.pop("CIVICGRID_DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
        import django

        django.setup()
        import shapely

        from civicgrid.geo.locator import build_locator
        from civicgrid.geo.models import Boundary
        from civicgrid.org.models import Unit, UnitKind

        started = time.perf_counter()
        locator = build_locator()
        build_s = time.perf_counter() - started
        district = Boundary.objects.get(unit__kind=UnitKind.DISTRICT)
        n_grids = Unit.objects.filter(kind=UnitKind.GRID).count()

    rng = np.random.default_rng(args.seed)
    outline = shapely.from_geojson(json.dumps(district.geometry))
    shapely.prepare(outline)

    def uniform(n: int, inside: bool) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points uniform over the district's bounding box, inside or outside it."""
        xs, ys = [], []
        while sum(map(len, xs)) < n:
            x = district.min_lon + rng.random(2 * n) * (district.max_lon - district.min_lon)
            y = district.min_lat + rng.random(2 * n) * (district.max_lat - district.min_lat)
            keep = shapely.contains_xy(outline, x, y) == inside
            xs.append(x[keep])
            ys.append(y[keep])
        return np.concatenate(xs)[:n], np.concatenate(ys)[:n]

    # The points over the grids (inside the district), and a set outside it, which
    # go the slower way: to the nearest grid within tolerance, or unlocated.
    lons, lats = uniform(args.points, inside=True)
    out_lons, out_lats = uniform(args.points // 10, inside=False)
    lon_list, lat_list = lons.tolist(), lats.tolist()

    # Ours, one point at a time (as a request locates one case).
    started = time.perf_counter()
    singles = [locator.locate(x, y) for x, y in zip(lon_list, lat_list, strict=True)]
    single_s = time.perf_counter() - started

    started = time.perf_counter()
    outside = [
        locator.locate(x, y) for x, y in zip(out_lons.tolist(), out_lats.tolist(), strict=True)
    ]
    outside_s = time.perf_counter() - started

    # Ours, batch.
    started = time.perf_counter()
    index, _dist = locator.locate_many(lons, lats)
    batch_s = time.perf_counter() - started

    single_codes = [w.grid_code for w in singles]
    batch_codes = [locator.codes[i] if i >= 0 else None for i in index]
    agree_batch = sum(a == b for a, b in zip(single_codes, batch_codes, strict=True))

    # The naive reference, in longitude/latitude, over the same polygons.
    # Back from the locator's metric frame to longitude/latitude (an exact affine map).
    kx, ky, lon0, lat0 = locator.frame.kx, locator.frame.ky, locator.frame.lon0, locator.frame.lat0
    lonlat = shapely.transform(
        locator.polygons,
        lambda xy: np.column_stack((xy[:, 0] / kx + lon0, xy[:, 1] / ky + lat0)),
    )
    polys = list(lonlat)
    m = min(args.naive_points, args.points)
    started = time.perf_counter()
    naive = []
    for x, y in zip(lon_list[:m], lat_list[:m], strict=True):
        point = shapely.Point(x, y)
        naive.append(next((i for i, p in enumerate(polys) if p.contains(point)), -1))
    naive_s = time.perf_counter() - started

    started = time.perf_counter()
    naive_vec = []
    for x, y in zip(lon_list[:m], lat_list[:m], strict=True):
        hits = np.flatnonzero(shapely.contains_xy(lonlat, x, y))
        naive_vec.append(int(hits[0]) if len(hits) else -1)
    naive_vec_s = time.perf_counter() - started

    # Agreement: points strictly inside a grid must get the same grid from us.
    inside = [i for i in range(m) if naive[i] >= 0]
    agree_naive = sum(single_codes[i] == locator.codes[naive[i]] for i in inside)

    single_us = single_s / args.points * 1e6
    batch_us = batch_s / args.points * 1e6
    naive_us = naive_s / m * 1e6
    naive_vec_us = naive_vec_s / m * 1e6
    print(
        json.dumps(
            {
                "benchmark": "locate",
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "shapely": shapely.__version__,
                "grids": n_grids,
                "points": args.points,
                "points_are": "uniform inside the district outline",
                "located_share": round(sum(c is not None for c in single_codes) / args.points, 4),
                "outside_points": len(outside),
                "outside_snapped_to_nearest_share": round(
                    sum(w.located for w in outside) / len(outside), 4
                ),
                "ours_single_outside_us_per_point": round(outside_s / len(outside) * 1e6, 2),
                "demo_generation_s": round(demo_s, 2),
                "locator_build_s": round(build_s, 3),
                "ours_single_us_per_point": round(single_us, 2),
                "ours_batch_us_per_point": round(batch_us, 2),
                "naive_loop_us_per_point": round(naive_us, 1),
                "naive_vectorised_us_per_point": round(naive_vec_us, 1),
                "naive_points": m,
                "speedup_single_vs_naive_loop": round(naive_us / single_us, 1),
                "speedup_single_vs_naive_vectorised": round(naive_vec_us / single_us, 1),
                "speedup_batch_vs_naive_loop": round(naive_us / batch_us, 1),
                "batch_agrees_with_single": agree_batch == args.points,
                "agrees_with_naive_inside": f"{agree_naive}/{len(inside)}",
                "targets": {"single_us": 20, "batch_us": 5},
                "meets_targets": single_us <= 20 and batch_us <= 5,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
