"""docs/indicators.md says what the code computes: its definitions' block is the one
``evaluation.doc`` writes from the indicators themselves."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from civicgrid.evaluation import doc
from civicgrid.evaluation import indicators as ind

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def test_the_published_definitions_are_the_code_s() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert doc.block_of(text) == doc.definitions_markdown(), (
        "docs/indicators.md is stale: run civicgrid indicators-doc docs/indicators.md"
    )
    for key in (*ind.INDICATOR_KEYS, *ind.EXCLUSION_KEYS):
        assert f"(`{key}`)" in text, key
    for indicator in ind.indicators():
        assert str(indicator.description) in text  # in Chinese, as the pages show it


def test_the_command_rewrites_a_stale_block_and_checks_a_current_one(tmp_path: Path) -> None:
    stale = tmp_path / "indicators.md"
    stale.write_text(f"# 口径\n\n{doc.BEGIN}\nold text\n{doc.END}\n\nafter\n", encoding="utf-8")
    with pytest.raises(CommandError, match="stale"):
        call_command("indicators_doc", str(stale), "--check", stdout=StringIO())
    call_command("indicators_doc", str(stale), stdout=StringIO())
    text = stale.read_text(encoding="utf-8")
    assert doc.block_of(text) == doc.definitions_markdown() and text.endswith("after\n")
    call_command("indicators_doc", str(stale), "--check", stdout=StringIO())
    missing = tmp_path / "empty.md"
    missing.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no"):
        call_command("indicators_doc", str(missing), stdout=StringIO())
