"""The cost plan: its time is its passes times their timed seconds, and a budget refuses it with
the settings that shrink the costliest manipulations."""

from __future__ import annotations

import pytest

from vaecausal.interventions import plan
from vaecausal.interventions.manipulations import MANIPULATIONS
from vaecausal.interventions.manipulations.base import Manipulation, Output
from vaecausal.interventions.plan import (
    CostPlan,
    OverBudget,
    PassSeconds,
    check_budget,
    workloads,
)
from vaecausal.interventions.workload import Design, Workload

SETTINGS = {
    "latent_values": [-1.0, 0.0, 1.0],
    "input_pairs": 8,
    "patching": {"n_pairs": 2},
    "mediation": {"n_pairs": 2},
    "code_swaps": 3,
}


def _design(discrete: bool = False, analysed: int = 4, decode_batch: int = 128) -> Design:
    return Design(
        n_eval=10,
        n_latents=4,
        decode_batch=decode_batch,
        analysed=analysed,
        analysed_active=analysed,
        families=2,
        treatments=3,
        discrete=discrete,
        hook_units={"enc": 6, "dec": 100},
        patched_units={"enc": 6, "dec": 5},
        encoder_hooks=("enc",),
        latent_selection="all 4 latents",
    )


@pytest.mark.parametrize("discrete", [False, True])
def test_the_plan_sums_the_workloads_the_registrys_entries_declare(discrete, monkeypatch):
    """The plan holds each entry's declared passes, for the entries that run on the model; a
    registered manipulation with a workload enters it, one without stays out."""
    design = _design(discrete)
    expected = [m.name for m in MANIPULATIONS if discrete or not m.discrete_only]
    assert [w.name for w in workloads(design, SETTINGS)] == expected
    counted = Manipulation(
        "counted",
        lambda context: Output(),
        shrinks="fewer counts",
        workload=lambda d, s: Workload("as the function spells it", decoder=9),
    )
    unplanned = Manipulation("unplanned", lambda context: Output())
    monkeypatch.setattr(plan, "MANIPULATIONS", (*MANIPULATIONS, counted, unplanned))
    work = workloads(design, SETTINGS)
    assert [w.name for w in work] == [*expected, "counted"] and work[-1].decoder == 9
    # a budget refusal names what shrinks an entry registered after import
    seconds = PassSeconds(encoder=0.0, decoder=60.0, oracle=0.0, resumed={"enc": 0.0})
    with pytest.raises(OverBudget, match="counted .*: fewer counts"):
        check_budget(CostPlan(design, work[-1:], seconds), 1.0)


def test_the_passes_follow_the_documented_counts():
    work = {w.name: w for w in workloads(_design(), SETTINGS)}
    assert work["latent_perturbation"].decoder == 10 * (1 + 4 * 3)
    assert work["input_manipulation"].encoder == 2 * 2 * 8
    assert work["activation_patching"].resumed == {"enc": 2 * 2 * 6, "dec": 4 * 2 * 5}
    assert work["causal_mediation"].encoder == 3 * (2 * (8 - 2) + 2 * 2)
    assert work["causal_mediation"].resumed == {"enc": 3 * 2 * (2 * 6 + 2)}
    assert "code_swaps" not in work
    assert {w.name: w for w in workloads(_design(True), SETTINGS)}["code_swaps"].decoder == 10 * 13
    fewer = {w.name: w for w in workloads(_design(analysed=1), SETTINGS)}
    assert fewer["latent_perturbation"].decoder == 10 * (1 + 1 * 3)
    # 4 latents x 3 values do not fit a call of 7 with their code: 2 latents a call, 2 groups
    grouped = {w.name: w for w in workloads(_design(decode_batch=7), SETTINGS)}
    assert grouped["latent_perturbation"].decoder == 10 * (2 + 4 * 3)


def _plan() -> CostPlan:
    seconds = PassSeconds(
        encoder=0.01, decoder=0.02, oracle=0.005, resumed={"enc": 0.001, "dec": 0.5}
    )
    return CostPlan(_design(), workloads(_design(), SETTINGS), seconds, oracle_seconds=4.0)


def test_the_estimate_is_the_passes_times_their_seconds():
    plan = _plan()
    work = {w.name: w for w in plan.work}
    assert plan.seconds.of(work["activation_patching"]) == pytest.approx(
        2 * 2 * 2 * 0.01 + 2 * 5 * 0.02 + 24 * 0.001 + 40 * 0.5
    )
    assert plan.total_seconds == pytest.approx(4.0 + sum(plan.seconds.of(w) for w in plan.work))
    lines = "\n".join(plan.lines())
    assert "dec (5 of 100 units)" in lines and "enc (6 units)" in lines
    assert "oracle training" in lines and "estimated total" in lines


def test_a_budget_refuses_an_estimate_over_it_naming_the_costliest_and_their_settings():
    plan = _plan()
    check_budget(plan, None)
    check_budget(plan, plan.total_seconds / 60 + 0.01)
    with pytest.raises(OverBudget, match="the costliest: activation_patching .*max_units"):
        check_budget(plan, 0.1)
    for manipulation in MANIPULATIONS:  # each entry names what shrinks it, for this advice
        assert manipulation.shrinks, manipulation.name


def test_a_manipulation_timed_per_code_is_its_fixed_cost_plus_its_codes(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(plan.time, "perf_counter", lambda: clock[0])

    def run(codes: int) -> None:  # 5 s whatever the codes, 2 s a code
        clock[0] += 5.0 + 2.0 * codes

    assert plan.seconds_per_code(run, 3) == (5.0, 2.0)
    seconds = PassSeconds(1.0, 1.0, 1.0, {}, per_code={"latent_perturbation": (5.0, 2.0)})
    work = workloads(_design(), SETTINGS)[0]
    assert work.name == "latent_perturbation" and seconds.of(work) == 5.0 + 10 * 2.0
