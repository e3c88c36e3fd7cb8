"""Verdict lines: a sentence's first plain word is capitalised, names keep their spelling."""

from __future__ import annotations

import pytest

from vaecausal.analysis.findings.text import sentence_start, verdict


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("no dataset has both runs.", "No dataset has both runs."),
        ("every top place is shared", "Every top place is shared"),
        ("β-VAE is below VAE in 2 of 5 datasets", "β-VAE is below VAE in 2 of 5 datasets"),
        ("beta-VAE is below VAE", "beta-VAE is below VAE"),
        ("dSprites ranks it first", "dSprites ranks it first"),
        ("dip_vae_ii is on top", "dip_vae_ii is on top"),
        ("3DShapes ranks it first", "3DShapes ranks it first"),
        ("", ""),
    ],
)
def test_only_a_plain_lowercase_first_word_is_capitalised(reason, expected):
    assert sentence_start(reason) == expected


def test_verdict_keeps_a_greek_name_at_the_start():
    line = verdict("supported", "β-VAE is significantly below VAE.")
    assert line == "**Verdict: supported.** β-VAE is significantly below VAE."
