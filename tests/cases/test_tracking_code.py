"""Tracking codes: 10 characters without look-alikes, every character possible anywhere."""

from __future__ import annotations

from collections import Counter

from civicgrid.cases.models import TRACKING_ALPHABET, new_tracking_code


def test_a_tracking_code_is_ten_characters_without_look_alikes() -> None:
    codes = [new_tracking_code() for _ in range(3000)]
    assert all(len(code) == 10 and set(code) <= set(TRACKING_ALPHABET) for code in codes)
    assert not set("01OIL") & set(TRACKING_ALPHABET)
    assert len(set(codes)) == len(codes)


def test_every_character_comes_up_in_every_place_about_equally() -> None:
    """31 characters, 3,100 codes: about 100 of each in each place (a code built from
    the wrong end of the number, or from too few random bits, fails here)."""
    codes = [new_tracking_code() for _ in range(3100)]
    for place in range(10):
        counts = Counter(code[place] for code in codes)
        assert set(counts) == set(TRACKING_ALPHABET), place
        assert min(counts.values()) > 40 and max(counts.values()) < 170, (place, counts)
