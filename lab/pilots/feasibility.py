"""Whether a non-randomized design can decide, said before the pilot starts.

`lab plan --design` and the registration both ask `assess` (the planner of
`lab.stats.did_power`): the effect the design detects, its power at the minimum effect
and at twice it, and whether the parallel-trends check can see a drift that would fake
the minimum effect. A design whose power at twice the minimum effect is below 70% is
told so beforehand, with the during-periods that would reach it.

A comparison-scopes design is asked `assess_scopes` instead: placebo inference across J
comparison scopes cannot give a p-value below 1/(J + 1), so a plan whose most lenient
look reads at a smaller level cannot decide at all, whatever the data; it is told the
comparison scopes it would need. Its power depends on how well the scopes track each
other, which only their before-periods show: the reasons give the placebo runs' minimum
detectable effect once those are logged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.pilots.plans import Preregistration
from lab.stats import did_power, planning, synthetic
from lab.stats.did import DEFAULT_SERIAL_CORRELATION
from lab.words import amount

WANTED = 0.7  # the power at twice the minimum effect a design must reach


@dataclass(frozen=True)
class Periods:
    """The design a planner reads: periods, volume, noise and the assumed correlation."""

    design: str
    before: int
    during: int
    volume: float  # units (trials, customers, exposure) per arm and period
    period_sd: float = 0.0  # week-to-week sd of the gap beyond sampling
    serial_correlation: float = DEFAULT_SERIAL_CORRELATION


@dataclass(frozen=True)
class Feasibility:
    """What a design can detect, in numbers and in sentences."""

    kind: str
    minimum_effect: float
    periods: Periods
    found: did_power.DesignPower
    during_needed: int | None  # to reach WANTED at twice the minimum effect
    drift: float  # the drift per period the parallel-trends check sees
    relevant: float  # the drift per period that alone fakes the minimum effect
    before_needed: float  # to see it (NaN: more than 104)

    @property
    def reaches(self) -> bool:
        """Return whether the power at twice the minimum effect reaches 70%."""
        return self.found.power(2 * self.minimum_effect) >= WANTED

    def sentences(self) -> list[str]:
        """Say what the design can detect, and what it cannot, before it starts."""
        p, kind, delta = self.periods, self.kind, self.minimum_effect
        unit = "exposure" if kind == "rate" else "units"
        lines = [f"{p.design} with {p.before} before- and {p.during} during-periods of "
                 f"{p.volume:,.0f} {unit} per arm: detects {amount(kind, self.found.detectable)} "
                 f"with the planned power; power {self.found.power(delta):.0%} at the "
                 f"minimum effect ({amount(kind, delta)}), "
                 f"{self.found.power(2 * delta):.0%} at twice it"]
        if not self.reaches:
            more = (f"{self.during_needed} during-periods would reach it"
                    if self.during_needed else "no number of during-periods up to 104 "
                    "would: add volume or before-periods")
            lines.append(f"this design cannot reach {WANTED:.0%} power at twice the minimum "
                         f"effect; {more}")
        if self.drift > self.relevant:
            need = (f"about {int(self.before_needed)}" if math.isfinite(self.before_needed)
                    else "more than 104")
            lines.append(f"the parallel-trends check over {p.before} before-periods sees a "
                         f"drift of {amount(kind, self.drift)} per period, but "
                         f"{amount(kind, self.relevant)} per period would already create "
                         f"the minimum effect; {need} before-periods would see it")
        noise = (f"week-to-week noise of sd {p.period_sd:g} beyond sampling" if p.period_sd
                 else "periods that vary only by sampling")
        lines.append(f"assumes {noise}, with serial correlation up to "
                     f"{p.serial_correlation:g}")
        return lines


def assess(kind: str, minimum_effect: float, periods: Periods, *,
           baseline: float | None = None, sd: float | None = None, alpha: float = 0.05,
           power: float = 0.8, analysis: str = "sequential") -> Feasibility:
    """Return what a non-randomized design can detect (ValueError on impossible input)."""
    arms = 2 if periods.design == "diff-in-diff" else 1
    if not periods.volume > 0:
        raise ValueError(f"the volume per period must be greater than 0, got {periods.volume}")
    sampling = arms * planning.unit_variance(kind, baseline, sd) / periods.volume
    noise = arms * periods.period_sd**2
    arguments = (sampling, noise, periods.serial_correlation, alpha)
    found = did_power.design_power(periods.before, periods.during, *arguments, power=power,
                                   analysis=analysis)
    needed = did_power.during_periods_needed(2 * minimum_effect, WANTED, periods.before,
                                             *arguments, analysis=analysis)
    drift = float(did_power.detectable_drift(periods.before, *arguments, power)[0])
    relevant = float(did_power.relevant_drift(minimum_effect, periods.before,
                                              periods.during))
    before = float(did_power.before_periods_needed(minimum_effect, periods.during, *arguments,
                                                   power)[0])
    return Feasibility(kind, minimum_effect, periods, found, needed, drift, relevant, before)


@dataclass(frozen=True)
class ScopesFeasibility:
    """Whether placebo inference across the comparison scopes can reach the plan's level."""

    comparisons: int
    alpha: float
    analysis: str
    looks: int
    level: float  # the most lenient look's two-sided level
    minimum_p: float  # 1/(J + 1)
    needed: int  # the comparison scopes that would reach the level

    @property
    def decides(self) -> bool:
        """Return whether any look can reject: ⌊level·(J + 1)⌋ ≥ 1."""
        return self.level * (self.comparisons + 1) >= 1 - 1e-9

    def sentences(self) -> list[str]:
        """Say whether the design can decide at all, before it starts."""
        lead = (f"comparison-scopes with {self.comparisons} comparison scopes: placebo runs "
                f"reach p = 1/{self.comparisons + 1} = {self.minimum_p:.3f} at best; the "
                f"{self.analysis} analysis over {self.looks} look"
                f"{'s' if self.looks != 1 else ''} at alpha {self.alpha:g} reads its most "
                f"lenient look at level {self.level:.3f}")
        if self.decides:
            return [lead + ": it can decide, if the scopes track each other closely enough "
                    "(the placebo runs on the before-periods say how closely)"]
        return [lead + f": this design cannot show an effect whatever the data; at least "
                f"{self.needed} comparison scopes would be needed"
                + ("" if self.analysis == "fixed" else
                   f" (a fixed analysis needs {synthetic.comparisons_needed(self.alpha)})")]


def assess_scopes(comparisons: int, alpha: float = 0.05, analysis: str = "sequential",
                  looks: int = 12) -> ScopesFeasibility:
    """Return whether placebo inference across ``comparisons`` scopes can decide."""
    if not comparisons >= 1 or not looks >= 1:
        raise ValueError("comparisons and looks must be at least 1")
    level = synthetic.lenient_level(alpha, analysis, looks)
    return ScopesFeasibility(comparisons, alpha, analysis, looks, level,
                             synthetic.minimum_p(comparisons),
                             synthetic.comparisons_needed(level))


def registration_warnings(spec: Preregistration) -> list[str]:
    """Return what a non-randomized plan cannot detect, or what the check needs to know."""
    pilot, primary = spec.pilot, spec.primary
    if pilot.design.value == "holdout":
        return []
    if pilot.design.value == "comparison-scopes":
        found = assess_scopes(len(pilot.comparison_scopes), pilot.alpha,
                              pilot.analysis.value, pilot.planned_periods or pilot.weeks)
        return [] if found.decides else [f"{pilot.key}: " + found.sentences()[0]]
    during = pilot.planned_periods or pilot.weeks
    missing = [name for name, value in (
        ("pilot.before_periods", pilot.before_periods),
        ("pilot.planned_sample (units per arm over the during-periods)", pilot.planned_sample),
        (f"metrics[{primary.key}].baseline", primary.baseline
         if primary.kind.value != "mean" else None)) if value is None]
    lead = f"{pilot.key}: "
    if missing:
        hint = (" (a mean primary: run `lab plan --design` with its sd)"
                if primary.kind.value == "mean" else "")
        return [lead + f"what this {pilot.design.value} can detect is not checked: the plan "
                f"lacks {', '.join(missing)}{hint}"]
    rho = pilot.serial_correlation
    periods = Periods(pilot.design.value, pilot.before_periods, during,
                      pilot.planned_sample / during,
                      serial_correlation=DEFAULT_SERIAL_CORRELATION if rho is None else rho)
    try:
        found = assess(primary.kind.value, primary.minimum_effect, periods,
                       baseline=primary.baseline, alpha=pilot.alpha, power=pilot.power,
                       analysis=pilot.analysis.value)
    except ValueError as error:
        return [lead + f"what this {pilot.design.value} can detect is not checked: {error}"]
    if found.reaches and found.drift <= found.relevant:
        return []
    return [lead + "; ".join(found.sentences())]
