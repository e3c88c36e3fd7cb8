"""Hook points chosen by name or pattern, in the order they run, and the ones patching cannot
use refused by name."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.adapters.foreign import residual_vae
from vaecausal.adapters.factory import hook_point_listing
from vaecausal.adapters.hook_points import (
    leaf_layers,
    match_hook_points,
    order_of_calls,
    pattern_regex,
)
from vaecausal.adapters.module import ModuleAdapter


def test_default_hook_points_are_each_sides_layers_in_the_order_they_run():
    model = ModuleAdapter(residual_vae())
    assert model.encoder_hooks == (
        "stem", "block.inner", "block.outer", "down", "fc", "mean", "logvar",
    )  # fmt: skip
    assert model.decoder_hooks == ("expand", "decoder_block.inner", "decoder_block.outer", "out")


def test_patterns_choose_hook_points_and_keep_the_order_they_run():
    model = ModuleAdapter(residual_vae(), encoder_hooks=["fc", "block.*", "stem"])
    assert model.encoder_hooks == ("stem", "block.inner", "block.outer", "fc")


def test_a_star_matches_one_dotted_level_and_two_stars_any_depth():
    outer = nn.Sequential()
    outer.add_module("enc", nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU())))
    assert match_hook_points(outer, ["enc.*"], "encoder") == ["enc.0", "enc.1"]
    assert match_hook_points(outer, ["enc.**"], "encoder") == ["enc.0", "enc.1", "enc.1.0"]
    assert match_hook_points(outer, ["enc.[!0]"], "encoder") == ["enc.1"]
    assert match_hook_points(outer, ["enc.?.?"], "encoder") == ["enc.1.0"]
    assert pattern_regex("a.b").fullmatch("a.b") and not pattern_regex("a.b").fullmatch("axb")


def test_the_candidate_hook_points_are_listed_with_their_units_and_the_chosen_marked():
    model = ModuleAdapter(residual_vae(), encoder_hooks=["fc", "stem"])
    lines = hook_point_listing(model, (1, 64, 64))
    assert "encoder hook points (* chosen: 2); name, output per image, units:" in lines
    assert "  * stem  (8, 16, 16)  8" in lines and "    block.inner  (8, 16, 16)  8" in lines
    assert "  * expand  (2048,)  2048" in lines  # the decoder's defaults


def test_leaf_layers_are_the_modules_holding_parameters():
    assert leaf_layers(nn.Sequential(nn.Linear(2, 2), nn.ReLU())) == ["0"]


def test_a_pattern_that_matches_nothing_names_the_submodules_there_are():
    with pytest.raises(
        ValueError, match="'conv9' matches no submodule of Sequential; its .*: 0, 1"
    ):
        match_hook_points(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), ["conv9"], "encoder")


class SharedActivation(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.act = nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.b(self.act(self.a(x))))


def test_a_module_that_runs_twice_is_refused_as_a_hook_point():
    model = SharedActivation()
    with pytest.raises(ValueError, match="'act' runs 2 times per encoder pass"):
        order_of_calls(model, ["a", "act"], lambda: model(torch.zeros(1, 2)), "encoder")
