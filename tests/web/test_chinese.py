"""Everything in Chinese: the admin (our apps and the third-party ones), every model's and
field's name, the API document's summaries, full-width punctuation in Chinese text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polib
import pytest
from django.contrib import admin
from django.test import Client
from django.utils import translation

from tests.factories import UserFactory

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAS_CJK = re.compile(f"[{CJK}]")
SRC = Path(__file__).resolve().parents[2] / "src" / "civicgrid"
CATALOGUE = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Primary keys keep the universal "ID" (Django names an automatic one so, untranslated).
ALLOWED_FIELD_NAMES = {"ID", "id"}
# Data formats, not prose: a JSON list is written with ASCII commas.
ALLOWED_HALF_WIDTH = {"[[category code, probability], …]", "[[tracking code, similarity], …]"}


def test_the_admin_index_names_every_app_and_model_in_chinese(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    html = client.get("/admin/").content.decode()
    apps = re.findall(r'<a href="[^"]*" class="section"[^>]*>([^<]+)</a>', html)
    models = re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]*"[^>]*>([^<]+)</a>', html)
    assert len(apps) >= 10 and len(models) >= 20, (apps, models)
    # The third-party apps under names of ours.
    assert "登录保护" in apps and "后台任务" in apps
    english = [name for name in apps + models if not HAS_CJK.search(name)]
    assert not english, f"English names on the admin index: {english}"
    assert "网格治理平台" in html and "Django" not in re.sub(r"<[^>]+>", "", html)


def test_every_field_the_admin_shows_is_named_in_chinese() -> None:
    english = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            meta = model._meta
            for field in meta.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # the other side of a relation: not a column of this model
                name = str(field.verbose_name)  # type: ignore[union-attr]
                if not HAS_CJK.search(name) and name not in ALLOWED_FIELD_NAMES:
                    english.append(f"{meta.label}.{field.name}: {name}")
    assert not english, english


def test_the_api_document_is_in_chinese(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(UserFactory())
    document = client.get("/api/openapi.json").json()
    assert HAS_CJK.search(document["info"]["title"])
    assert HAS_CJK.search(document["info"]["description"])
    english = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for key in ("summary", "description"):
                text = operation.get(key, "")
                if (key == "summary" or text) and not HAS_CJK.search(text):
                    english.append(f"{method.upper()} {path} {key}: {text}")
    assert not english, english
    # And in English for a reader who asks for it.
    english_document = client.get("/api/openapi.json", HTTP_ACCEPT_LANGUAGE="en").json()
    summaries = [
        op["summary"] for p, ops in english_document["paths"].items() for op in ops.values()
    ]
    assert "Which grid a point lies in" in summaries


HALF_WIDTH_BETWEEN_CJK = re.compile(f"[{CJK}] ?[,:;?!()] ?[{CJK}]")


def test_chinese_text_uses_full_width_punctuation() -> None:
    found = []
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete or entry.msgid in ALLOWED_HALF_WIDTH:
            continue
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if match := HALF_WIDTH_BETWEEN_CJK.search(text):
                found.append(f"django.po {entry.msgid!r}: …{match.group()}…")
    for template in sorted(SRC.rglob("templates/**/*.html")):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if match := HALF_WIDTH_BETWEEN_CJK.search(line):
                found.append(f"{template.relative_to(SRC)}:{number}: …{match.group()}…")
    assert not found, found


@pytest.mark.parametrize("sample", ["网格,社区", "问题(急)", "是否? 是", "地址: 某路"])
def test_the_punctuation_check_sees_half_width_marks(sample: str) -> None:
    assert HALF_WIDTH_BETWEEN_CJK.search(sample)


def test_the_favicon_is_ours_and_linked(db) -> None:  # type: ignore[no-untyped-def]
    icon = SRC / "web" / "static" / "civicgrid" / "img" / "favicon.svg"
    assert icon.read_text().startswith("<svg")
    for url in ("/login/", "/r/"):
        assert 'rel="icon"' in Client().get(url).content.decode()
    response = Client().get("/favicon.ico")
    assert response.status_code in (301, 302) and response["Location"].endswith("favicon.svg")


def test_the_api_document_names_no_key_twice(db) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI reads the document as YAML and stops at a key given twice (an
    ``openapi_extra`` answer under "200" beside Ninja's 200): the docs page stays blank."""
    client = Client()
    client.force_login(UserFactory())
    twice: list[str] = []

    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        twice.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(client.get("/api/openapi.json").content, object_pairs_hook=unique)
    assert not twice, twice
