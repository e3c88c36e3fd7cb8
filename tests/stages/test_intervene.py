"""The intervene stage's scope: the plan's pass counts are the passes the manipulations make, a
plan over the budget is refused before the oracle is trained, and analysing the active latents
alone changes no metric."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

import vaecausal.api
from tests.tiny_study import TINY
from vaecausal.config import deep_merge
from vaecausal.data.store import StorePaths
from vaecausal.interventions import mediation, patching
from vaecausal.interventions.oracle import FactorOracle, OracleSettings
from vaecausal.interventions.plan import OverBudget
from vaecausal.metrics.causal import latent_activity
from vaecausal.models.device import place_network
from vaecausal.models.network import GaussianVAE
from vaecausal.stages import intervene

QUICK = TINY["studies"]["tiny"]["overrides"]


@pytest.fixture(scope="module")
def data(tiny_dsprites):
    paths = StorePaths(tiny_dsprites)
    return np.load(paths.images), np.load(paths.factors)


def _model() -> GaussianVAE:
    torch.manual_seed(0)
    return place_network(GaussianVAE(1, 4), torch.device("cpu")).eval()


def _counting_resume(resume, counts: Counter):
    def make(model, name, base):
        inner = resume(model, name, base)

        def run(activation):
            counts[name] += activation.shape[0]
            return inner(activation)

        return run

    return make


# the default scope, and a narrowed one: the 2 latents of largest KL, 8 units per hook point,
# decoder calls of 5 codes (latents perturbed one at a time, decoder patching in groups)
SCOPES = {
    "all": {},
    "narrowed": {
        "interventions": {
            "latents": {"mode": "top_kl", "top_k": 2},
            "patching": {"max_units": 8},
            "decode_batch": {"cpu": 5},
        }
    },
}


@pytest.mark.parametrize("scope", SCOPES)
def test_the_plans_pass_counts_are_the_passes_the_manipulations_make(
    scope, data, tmp_path, monkeypatch
):
    images, factors = data
    overrides = deep_merge(QUICK, SCOPES[scope])
    model, counts = _model(), Counter()
    model.encoder.register_forward_hook(lambda _m, i, _o: counts.update(encoder=len(i[0])))
    model.decoder.register_forward_hook(lambda _m, i, _o: counts.update(decoder=len(i[0])))
    probabilities = FactorOracle.probabilities

    def counted_probabilities(self, x, *args):
        counts.update(oracle=len(x))
        return probabilities(self, x, *args)

    monkeypatch.setattr(FactorOracle, "probabilities", counted_probabilities)
    for module in (patching, mediation):
        monkeypatch.setattr(
            module, "encoder_resume", _counting_resume(module.encoder_resume, counts)
        )
    monkeypatch.setattr(
        patching, "decoder_resume", _counting_resume(patching.decoder_resume, counts)
    )
    seen: dict[str, Counter] = {}

    def log(message: str) -> None:
        for start in ("plan of", "input manipulation:", "decoder patching:", "causal mediation:"):
            if message.startswith(start):
                seen[start] = Counter(counts)

    settings = vaecausal.api.default_settings(overrides)
    vaecausal.api.analyze(model, images, factors, tmp_path, overrides=overrides, log=log)
    plan = intervene.scope(
        model,
        tmp_path / "latents.npz",
        tmp_path / "data",
        settings["interventions"],
        settings["evaluation"]["split_seed"],
        settings["metrics"]["active_kl_threshold"],
        [],
        OracleSettings(**settings["oracle"]),
    ).plan
    work = {w.name: w for w in plan.work}
    first = seen["input manipulation:"] - seen["plan of"]
    assert first["decoder"] == work["latent_perturbation"].decoder > 0
    assert first["oracle"] == work["latent_perturbation"].oracle
    assert first["encoder"] == work["input_manipulation"].encoder > 0
    patched = seen["decoder patching:"] - seen["input manipulation:"]
    assert patched["encoder"] == work["activation_patching"].encoder
    assert patched["decoder"] == work["activation_patching"].decoder
    for hook, passes in work["activation_patching"].resumed.items():
        assert patched[hook] == passes > 0, hook
    mediated = seen["causal mediation:"] - seen["decoder patching:"]
    for hook, passes in work["causal_mediation"].resumed.items():
        assert mediated[hook] == passes > 0, hook
    # the outcome is chosen on the pairs that share no image with a measuring one: at most all
    assert 0 < mediated["encoder"] <= work["causal_mediation"].encoder


def test_a_plan_over_the_budget_is_refused_before_the_oracle_with_the_settings_to_change(
    data, tmp_path
):
    images, factors = data
    logged: list[str] = []
    with pytest.raises(OverBudget, match=r"over the budget of 1e-06 min; the costliest: \w+"):
        vaecausal.api.analyze(
            _model(),
            images,
            factors,
            tmp_path,
            overrides=QUICK,
            log=logged.append,
            max_minutes=1e-6,
        )
    assert any(line.startswith("plan of the manipulations") for line in logged)
    assert not (tmp_path / "oracle.pt").exists() and not (tmp_path / "effects.npz").exists()


def test_analysing_the_active_latents_alone_changes_no_metric(data, tmp_path):
    images, factors = data
    model = _model()
    every = vaecausal.api.analyze(model, images, factors, tmp_path / "all", overrides=QUICK)
    cached = np.load(tmp_path / "all" / "latents.npz")
    kl, _ = latent_activity(cached["eval_latents"], cached["eval_logvar"], 0.0)
    threshold = float(np.median(kl))  # half the latents inactive
    only = {
        "interventions": {"latents": {"mode": "active"}},
        "metrics": {"active_kl_threshold": threshold},
    }
    reference = vaecausal.api.analyze(
        model,
        images,
        factors,
        tmp_path / "reference",
        overrides=deep_merge(QUICK, {"metrics": {"active_kl_threshold": threshold}}),
    )
    active = vaecausal.api.analyze(
        model, images, factors, tmp_path / "active", overrides=deep_merge(QUICK, only)
    )
    assert every["n_analysed"] == 4 and active["n_analysed"] == active["n_active"] == 2
    assert active["latent_selection"] == "the 2 active latents of 4"
    for key in ("ces", "specificity", "modularity", "ces_ci_low", "ces_ci_high"):
        assert active[key] == pytest.approx(reference[key], rel=1e-5), key
    inactive = [i for i in range(4) if i not in active["active_latents"]]
    assert all(active["ces_per_latent"][i] is None for i in inactive)


@pytest.mark.parametrize("mode", ["active", "top_kl"])
def test_a_model_with_no_active_latent_analysed_alone_gets_undefined_metrics(mode, data, tmp_path):
    images, factors = data
    collapsed = {
        "interventions": {"latents": {"mode": mode, "top_k": 2}},
        "metrics": {"active_kl_threshold": 1e9},  # no latent is active
    }
    metrics = vaecausal.api.analyze(
        _model(), images, factors, tmp_path, overrides=deep_merge(QUICK, collapsed)
    )
    assert metrics["n_active"] == metrics["n_analysed"] == 0
    assert metrics["ces"] is None and metrics["specificity"] is None
    assert all(v is None for v in metrics["ces_per_latent"])
