"""Writes the demo district into the database through the org and geo actions."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import shapely
from django.contrib.auth.hashers import make_password
from django.db import transaction

from civicgrid.cases.models import Category
from civicgrid.demo import naming
from civicgrid.demo.councils import CouncilsSummary, seed_councils
from civicgrid.demo.geography import DistrictShape, build_district, map_centre
from civicgrid.demo.phrases import TOPICS
from civicgrid.demo.taxonomy import seed_taxonomy
from civicgrid.demo.texts import training_set
from civicgrid.geo.actions import set_boundaries
from civicgrid.org.actions import UnitSpec, bulk_create_units
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User
from civicgrid.people.demo import PeopleSummary
from civicgrid.people.demo import seed as seed_people
from civicgrid.projects.demo import ProjectsSummary
from civicgrid.projects.demo import seed as seed_projects
from civicgrid.triage.models import ModelVersion

DEMO_PASSWORD = "civicgrid-demo"
DISTRICT_CODE = "330199"
DISTRICT_NAME = "青川区"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    where: str  # district, street, community, grid or urban_management
    superuser: bool = False


# The named logins of the README: the street, community and grid ones sit under the
# resident site's map centre, the department one in 区城市管理局.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "系统管理员", Role.ADMIN, "district", superuser=True),
    DemoLogin("district_dispatcher", "区指挥中心调度员", Role.DISPATCHER, "district"),
    DemoLogin("leader", "区领导", Role.LEADER, "district"),
    DemoLogin("operator", "热线接线员", Role.OPERATOR, "district"),
    DemoLogin("street_dispatcher", "街道调度员", Role.DISPATCHER, "street"),
    DemoLogin("community_handler", "社区工作者", Role.HANDLER, "community"),
    DemoLogin("grid_worker", "网格员", Role.GRID_WORKER, "grid"),
    DemoLogin("volunteer", "志愿者", Role.VOLUNTEER, "grid"),
    DemoLogin("dept_handler", "城管局处置人员", Role.HANDLER, "urban_management"),
)


@dataclass
class DemoSummary:
    units: Counter[str] = field(default_factory=Counter)
    users: int = 0
    categories: int = 0
    places: int = 0
    seconds: float = 0.0
    logins: list[tuple[DemoLogin, Unit]] = field(default_factory=list)
    classifier: int | None = None  # the id of the first classifier version
    councils: CouncilsSummary | None = None
    people: PeopleSummary | None = None
    projects: ProjectsSummary | None = None


Progress = Callable[[str], None]


def _specs(
    shape: DistrictShape, rng: random.Random
) -> tuple[list[UnitSpec], list[tuple[str, object]]]:
    """Unit specs (parents first) and (code, polygon) pairs for every unit with a shape."""
    pool = naming.NamePool(rng)
    specs = [UnitSpec(DISTRICT_CODE, DISTRICT_NAME, UnitKind.DISTRICT, None)]
    shapes: list[tuple[str, object]] = [(DISTRICT_CODE, shape.polygon)]
    n_streets = n_towns = 0
    for street in shape.streets:
        base = pool.take()
        if street.kind == "street":
            n_streets += 1
            code, name = f"{DISTRICT_CODE}{n_streets:03d}", f"{base}街道"
        else:
            n_towns += 1
            code, name = f"{DISTRICT_CODE}{100 + n_towns:03d}", f"{base}镇"
        specs.append(UnitSpec(code, name, street.kind, DISTRICT_CODE))
        shapes.append((code, street.polygon))
        numbers = Counter[str]()
        for community in street.communities:
            numbers[community.kind] += 1
            offset = {"community": 0, "village": 200, "park": 400}[community.kind]
            c_code = f"{code}{offset + numbers[community.kind]:03d}"
            c_base = pool.take()
            c_name = {
                "community": f"{c_base}社区",
                "village": f"{c_base}村",
                "park": naming.park_name(c_base, rng),
            }[community.kind]
            specs.append(UnitSpec(c_code, c_name, community.kind, code))
            shapes.append((c_code, community.polygon))
            for n, grid in enumerate(community.grids, start=1):
                g_code = f"{c_code}{n:03d}"
                specs.append(UnitSpec(g_code, f"{c_name}第{n}网格", UnitKind.GRID, c_code))
                shapes.append((g_code, grid))
    return specs, shapes


def _department_specs(scale: float) -> list[UnitSpec]:
    count = max(3, round(len(naming.DEPARTMENTS) * scale))
    names = list(naming.DEPARTMENTS)
    # Keep the department of the demo login whatever the scale.
    names.remove(naming.URBAN_MANAGEMENT)
    names.insert(0, naming.URBAN_MANAGEMENT)
    chosen = sorted(names[:count], key=naming.DEPARTMENTS.index)
    return [
        UnitSpec(f"{DISTRICT_CODE}D{i:03d}", name, UnitKind.DEPARTMENT, DISTRICT_CODE)
        for i, name in enumerate(chosen, start=1)
    ]


def _at_the_map_centre(
    units: dict[str, Unit], shapes: dict[str, object], centre: shapely.Point
) -> tuple[Unit, Unit, Unit]:
    """The street, community and grid under the resident site's map centre: a resident
    who taps the middle of the map reaches the demo logins' units, not a stranger's."""
    grids = [u for u in units.values() if u.kind == UnitKind.GRID]
    grid = min(grids, key=lambda u: shapes[u.code].distance(centre))  # type: ignore[attr-defined]
    community = next(u for u in units.values() if u.pk == grid.parent_id)
    street = next(u for u in units.values() if u.pk == community.parent_id)
    return street, community, grid


def _create_people(
    units: dict[str, Unit],
    shapes: dict[str, object],
    centre: shapely.Point,
    rng: random.Random,
    summary: DemoSummary,
    password: str,
) -> None:
    district = units[DISTRICT_CODE]
    street, community, grid = _at_the_map_centre(units, shapes, centre)
    urban = next(u for u in units.values() if u.name == naming.URBAN_MANAGEMENT)
    where = {
        "district": district,
        "street": street,
        "community": community,
        "grid": grid,
        "urban_management": urban,
    }

    users: list[User] = []
    grants: list[tuple[int, Unit, str]] = []
    for login in DEMO_LOGINS:
        users.append(
            User(
                username=login.username,
                display_name=login.display_name,
                password=password,
                is_staff=login.superuser,
                is_superuser=login.superuser,
            )
        )
        grants.append((len(users) - 1, where[login.where], login.role))
        summary.logins.append((login, where[login.where]))
    # One handler in each street, community and department; a worker in each grid.
    for unit in sorted(units.values(), key=lambda u: u.code):
        if unit.kind == UnitKind.DISTRICT:
            continue
        role = Role.GRID_WORKER if unit.kind == UnitKind.GRID else Role.HANDLER
        users.append(
            User(
                username=f"{'g' if role == Role.GRID_WORKER else 'h'}{unit.code}".lower(),
                display_name=naming.person_name(rng),
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                password=password,
            )
        )
        grants.append((len(users) - 1, unit, role))
    created = User.objects.bulk_create(users, batch_size=1000)
    Membership.objects.bulk_create(
        [Membership(user=created[i], unit=unit, role=role) for i, unit, role in grants],
        batch_size=1000,
    )
    summary.users = len(created)


ESTATE_SUFFIXES = ("花园", "小区", "家园", "苑", "新村", "公寓", "雅苑", "名城")


def _gazetteer(
    specs: list[UnitSpec],
    shapes: dict[str, object],
    units: dict[str, Unit],
    rng: random.Random,
) -> int:
    """Two estates in each community or village and a road through each, at points
    inside its grids, for residents who would rather name a place than tap a map."""
    from civicgrid.intake.models import Place

    pool = naming.NamePool(rng)
    grids_of: dict[str, list[str]] = {}
    for spec in specs:
        if spec.kind == UnitKind.GRID and spec.parent_code:
            grids_of.setdefault(spec.parent_code, []).append(spec.code)
    places = []
    for spec in specs:
        if spec.kind not in (UnitKind.COMMUNITY, UnitKind.VILLAGE):
            continue
        grids = grids_of.get(spec.code, [])
        for i, grid_code in enumerate(grids[:3]):
            point = shapes[grid_code].representative_point()  # type: ignore[attr-defined]
            if i < 2:
                name, kind = f"{pool.take()}{rng.choice(ESTATE_SUFFIXES)}", Place.Kind.ESTATE
            else:
                name, kind = f"{pool.take()}路", Place.Kind.ROAD
            places.append(
                Place(
                    name=name,
                    kind=kind,
                    lon=round(point.x, 6),
                    lat=round(point.y, 6),
                    community=units[spec.code],
                )
            )
    Place.objects.bulk_create(places, batch_size=1000)
    return len(places)


# Generated requests per category the first classifier learns from: enough for every
# register and most phrasings to occur (its held-out macro-F1 is about 1.0, and 0.99 on
# requests of another seed), few enough to train in seconds.
FIRST_CLASSIFIER_PER_CATEGORY = 12


def train_first_classifier(seed: int) -> ModelVersion:
    """The classifier a fresh demo starts with, made active: trained on generated requests
    of every leaf category, drawn with a seed of their own, so the history's requests
    (and a resident's) are new to it."""
    from civicgrid.triage.actions import train

    codes = dict(
        Category.objects.filter(children__isnull=True, active=True).values_list("name", "code")
    )
    texts, names, titles = training_set(
        f"first classifier {seed}",
        FIRST_CLASSIFIER_PER_CATEGORY,
        [name for name in codes if name in TOPICS],
    )
    return train(
        texts,
        [codes[name] for name in names],
        titles,
        source="demo: generated requests",
        activate=True,
    )


def generate_demo(
    seed: int = 1,
    scale: float = 1.0,
    progress: Progress | None = None,
    *,
    classifier: bool = True,
) -> DemoSummary:
    """Generate the demo district: units, boundaries and staff, in one transaction;
    then (``classifier``) a first classifier, active before anyone sends a request."""
    started = time.perf_counter()
    say = progress or (lambda _line: None)

    def stage(text: str) -> None:
        say(f"[{time.perf_counter() - started:5.1f} s] {text}")

    rng = random.Random(seed)
    stage("drawing streets, communities and grids")
    shape = build_district(seed, scale)
    specs, shapes = _specs(shape, rng)
    specs += _department_specs(scale)
    summary = DemoSummary()
    with transaction.atomic():
        stage(f"creating {len(specs):,} units")
        units = bulk_create_units(specs)
        summary.units = Counter(u.kind for u in units.values())
        stage(f"storing {len(shapes):,} boundaries")
        set_boundaries((units[code].pk, polygon) for code, polygon in shapes)
        stage("creating staff accounts")
        password = make_password(DEMO_PASSWORD)  # hashed once: thousands share it
        _create_people(units, dict(shapes), map_centre(shape), rng, summary, password)
        stage("naming estates and roads (the gazetteer)")
        summary.places = _gazetteer(specs, dict(shapes), units, rng)
        stage("seeding the category tree and deadline policies")
        summary.categories = seed_taxonomy()
        stage("setting up councils and their members")
        _street, community, grid = _at_the_map_centre(units, dict(shapes), map_centre(shape))
        summary.councils = seed_councils(rng, centre_community=community, password=password)
        stage("party members, volunteers and duty rosters")
        summary.people = seed_people(random.Random(seed + 18), centre_grid=grid, password=password)
        stage("projects with their monitors and observations")
        summary.projects = seed_projects(
            random.Random(seed + 19), centre_grid=grid, password=password
        )
    if classifier:
        stage(
            f"training the first classifier on {FIRST_CLASSIFIER_PER_CATEGORY} generated"
            " requests of each category"
        )
        version = train_first_classifier(seed)
        summary.classifier = version.pk
        stage(
            f"classifier v{version.pk} active: macro-F1 {version.evaluation['macro_f1']:.3f}"
            f" on its held-out fifth, {version.seconds:.1f} s"
        )
    summary.seconds = time.perf_counter() - started
    stage(
        "done: "
        + ", ".join(f"{n:,} {kind}" for kind, n in sorted(summary.units.items()))
        + f", {summary.users:,} accounts, {summary.places} places,"
        + f" {summary.categories} categories"
    )
    return summary
