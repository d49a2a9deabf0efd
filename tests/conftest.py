from __future__ import annotations

import pytest

from tests.factories import TreeFixture, make_tree


@pytest.fixture
def tree(db) -> TreeFixture:  # type: ignore[no-untyped-def]
    """A district with two streets, each with two communities of 2×2 square grids."""
    return make_tree()


@pytest.fixture(autouse=True)
def fresh_locator():  # type: ignore[no-untyped-def]
    """Each test rolls its database back; the process-wide locator must not outlive it."""
    from civicgrid.geo.locator import invalidate_locator

    invalidate_locator()
    yield
    invalidate_locator()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Real hashing costs ~0.3 s a password; tests make dozens of accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Photos stored by a test go to its own folder, never var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
