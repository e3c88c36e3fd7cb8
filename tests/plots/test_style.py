"""Architecture colours and markers: fixed for the house architectures, extended for a study's
external models so that figures can draw them beside the others."""

from __future__ import annotations

from vaecausal.plots.style import ARCHITECTURE_LABELS, architecture_markers, architecture_palette


def test_external_models_get_their_own_colour_and_marker_and_the_house_ones_keep_theirs():
    house = architecture_palette()
    extended = architecture_palette(["residual", "VAE", "pythae_beta"])
    assert set(extended) == set(ARCHITECTURE_LABELS.values()) | {"residual", "pythae_beta"}
    assert all(extended[label] == colour for label, colour in house.items())
    assert len(set(extended.values())) == len(extended)
    markers = architecture_markers(["residual", "pythae_beta"])
    assert markers["residual"] != markers["pythae_beta"]
    assert {k: markers[k] for k in architecture_markers()} == architecture_markers()
