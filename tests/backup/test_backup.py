"""`civicgrid backup FILE` and `civicgrid restore FILE`: every table's rows and every
photo's bytes come back, on the database the suite runs on; a restore over data is
refused unless forced; a file that is not a whole backup of this kind changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from civicgrid.backup.archive import MANIFEST
from tests.processes import Scratch, drop_scratch, make_scratch

# Photos of three formats on three cases, and a text no dump may mangle.
ADD_PHOTOS = """
import io
from django.db import transaction
from civicgrid.cases.models import Case, Photo
from civicgrid.cases.photos import check_photo, stage
from tests.images import image_bytes
cases = list(Case.objects.order_by("pk")[:{n}])
for i, case in enumerate(cases):
    photos = [
        check_photo(io.BytesIO(image_bytes(fmt, size=(40 + i, 30))))
        for fmt in ("JPEG", "PNG", "WEBP")
    ]
    with transaction.atomic():  # the files move out of staging when it commits
        Photo.objects.bulk_create(stage(case, photos, added_by=None))
Case.objects.filter(pk=cases[0].pk).update(
    text='引号"\\'、反斜杠\\\\、换行\\n和表情😀：都要原样回来', title="O'Brien 路 12号"
)
"""


def populate(db: Scratch, *, history: int = 40, photo_cases: int = 3) -> None:
    """The demo district with ``history`` cases through their transitions, and photos."""
    for step in (["migrate", "-v", "0"], ["demo", "--scale", "0.05", "--history", str(history)]):
        done = db.civicgrid(*step)
        assert done.returncode == 0, done.stderr
    db.shell(ADD_PHOTOS.replace("{n}", str(photo_cases)))


def media_files(db: Scratch) -> dict[str, bytes]:
    root = db.data_dir / "media"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def two_databases(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = [make_scratch(tmp_path, "source"), make_scratch(tmp_path, "target")]
    try:
        yield made
    finally:
        for db in made:
            drop_scratch(db)


def test_a_backup_restored_elsewhere_gives_back_every_row_and_photo(
    two_databases: list[Scratch], tmp_path: Path
) -> None:
    source, target = two_databases
    populate(source)
    archive = tmp_path / "civicgrid.backup.tar"
    done = source.civicgrid("backup", str(archive))
    assert done.returncode == 0, done.stderr
    rows, photos = source.contents(), media_files(source)
    # The cases' nine photos, and the demo's own (grid calls' reports, monitors' observations).
    assert len(rows["cases_photo"]) >= 9 and len(photos) >= 9
    assert "备份已写入" in done.stdout and f"{len(photos)} 个文件" in done.stdout
    assert archive.stat().st_mode & 0o777 == 0o600  # residents' data: the owner's alone
    assert len(rows["cases_case"]) >= 40 and rows["cases_caseevent"] and rows["org_user"]

    # Into a database that has never been migrated, on another data folder.
    restored = target.civicgrid("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "已从" in restored.stdout
    assert target.contents() == rows
    assert media_files(target) == photos
    # And it goes on from there: new rows get new ids.
    target.shell("from tests.factories import UserFactory, make_tree; UserFactory(); make_tree()")


def test_restoring_over_data_is_refused_unless_forced(
    two_databases: list[Scratch], tmp_path: Path
) -> None:
    source, _target = two_databases
    populate(source, history=5, photo_cases=1)
    archive = tmp_path / "civicgrid.backup.tar"
    assert source.civicgrid("backup", str(archive)).returncode == 0
    rows, photos = source.contents(), media_files(source)
    # Work done after the backup: a person, a photo.
    source.shell(
        "from tests.factories import UserFactory; UserFactory(username='after_backup')\n"
        + ADD_PHOTOS.replace("{n}", "1")
    )
    changed, changed_photos = source.contents(), media_files(source)
    assert changed != rows and len(changed_photos) == len(photos) + 3  # three a case

    refused = source.civicgrid("restore", str(archive))
    assert refused.returncode != 0
    assert "当前数据库中已有数据（" in refused.stderr and "--force" in refused.stderr
    assert source.contents() == changed and media_files(source) == changed_photos

    forced = source.civicgrid("restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert source.contents() == rows
    assert media_files(source) == photos  # the photo stored after the backup is gone


# --- refusals that change nothing, in this process ---------------------------------------


@pytest.fixture
def empty_backup(transactional_db, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A backup of this test database as migrate left it."""
    archive = tmp_path / "empty.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    return archive


def rewritten(
    archive: Path,
    out: Path,
    manifest: Callable[[dict], None] = lambda m: None,
    member: Callable[[str, bytes], tuple[str, bytes] | None] = lambda n, d: (n, d),
) -> Path:
    """A copy of ``archive`` with its manifest and members changed."""
    with tarfile.open(archive) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(out, "w") as tar:
        for name, data in members:
            if name == MANIFEST:
                found = json.loads(data)
                manifest(found)
                changed: tuple[str, bytes] | None = (name, json.dumps(found).encode())
            else:
                changed = member(name, data)
            if changed is not None:
                info = tarfile.TarInfo(changed[0])
                info.size = len(changed[1])
                tar.addfile(info, io.BytesIO(changed[1]))
    return out


def refusal(archive: Path, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), *args, stdout=io.StringIO())
    return refused.value.args[0]


def test_files_already_stored_are_not_replaced_unless_forced(empty_backup: Path, settings) -> None:  # type: ignore[no-untyped-def]
    stray = Path(settings.MEDIA_ROOT) / "photos" / "2026" / "stray.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not from the backup")
    assert "文件存储中已有 1 个文件" in refusal(empty_backup)
    assert stray.exists()
    call_command("restore", str(empty_backup), "--force", stdout=io.StringIO())
    assert not stray.exists()


def test_what_is_not_a_whole_backup_of_this_kind_is_refused(
    empty_backup: Path, tmp_path: Path
) -> None:
    here = connection.vendor
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[here]
    dump = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[here]
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    cases: list[tuple[Path, str]] = [
        (tmp_path / "missing.tar", "不存在"),
        (text, "不是 civicgrid 的备份文件"),
        (
            rewritten(
                empty_backup,
                tmp_path / "damaged.tar",
                member=lambda n, d: (n, d[:-1] + bytes([d[-1] ^ 1])) if n == dump else (n, d),
            ),
            "备份文件已损坏",
        ),
        (
            rewritten(
                empty_backup, tmp_path / "vendor.tar", manifest=lambda m: m.update(vendor=other)
            ),
            "备份只能恢复到同一种数据库中",
        ),
        (
            rewritten(
                empty_backup,
                tmp_path / "newer.tar",
                manifest=lambda m: m["migrations"].append(["org", "9999_from_the_future"]),
            ),
            "较新版本的 civicgrid",
        ),
        (
            rewritten(
                empty_backup,
                tmp_path / "incomplete.tar",
                manifest=lambda m: m["checksums"].update({"media/photos/a.jpg": "0" * 64}),
            ),
            "备份文件不完整（缺少 media/photos/a.jpg）",
        ),
        (
            rewritten(
                empty_backup,
                tmp_path / "escape.tar",
                manifest=lambda m: m["checksums"].update({"media/../../escape.txt": "0" * 64}),
                member=lambda n, d: ("media/../../escape.txt", b"x") if n == dump else (n, d),
            ),
            "不是 civicgrid 的备份文件",
        ),
        (
            rewritten(empty_backup, tmp_path / "format.tar", manifest=lambda m: m.update(format=2)),
            "格式版本为 2",
        ),
    ]
    for archive, message in cases:
        assert message in refusal(archive, "--force"), archive.name
    assert not (tmp_path.parent / "escape.txt").exists()
