"""`lab plan`: sample size per arm for a minimum effect, or the effect a sample can detect."""

from __future__ import annotations

import math

import click

from lab.pilots import feasibility
from lab.stats import planning
from lab.stats.did import DEFAULT_SERIAL_CORRELATION
from lab.vocabulary import Analysis, Design, Direction, Kind, values


def _probability(ctx, param, value):
    if value is not None and not 0 < value < 1:
        raise click.BadParameter("must lie between 0 and 1", ctx=ctx, param=param)
    return value


def _not_negative(ctx, param, value):
    if not (math.isfinite(value) and value >= 0):
        raise click.BadParameter("must be 0 or more", ctx=ctx, param=param)
    return value


def _positive(ctx, param, value):
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter("must be greater than 0", ctx=ctx, param=param)
    return value


@click.command("plan")
@click.option("--kind", type=click.Choice(values(Kind)), required=True, help="Metric kind.")
@click.option("--baseline", type=float, help="Control level: proportion or rate per unit.")
@click.option("--sd", type=float, callback=_positive, help="Standard deviation (mean).")
@click.option("--minimum-effect", type=float, callback=_positive,
              help="Smallest effect worth scaling, in the metric's unit.")
@click.option("--sample", type=float, callback=_positive,
              help="Sample per arm: report the minimum detectable effect instead.")
@click.option("--direction", type=click.Choice(values(Direction)),
              default=str(Direction.increase), show_default=True, help="Which way is better.")
@click.option("--alpha", type=float, default=0.05, show_default=True, callback=_probability)
@click.option("--power", type=float, default=0.8, show_default=True, callback=_probability)
@click.option("--analysis", type=click.Choice(values(Analysis)),
              default=str(Analysis.sequential), show_default=True,
              help="How the pilot will be analysed (sets the inflation).")
@click.option("--guardrails", type=click.IntRange(min=0), default=None,
              help="Number of guardrail metrics (their power is 1 − β/(G+1)).")
@click.option("--guardrail-margin", type=float, callback=_positive,
              help="Harm tolerated on each guardrail, in its unit.")
@click.option("--guardrail-sd", type=float, callback=_positive,
              help="Guardrail standard deviation (default: the primary's unit variance).")
@click.option("--weekly-volume", type=float, callback=_positive,
              help="Units entering the pilot per week, both arms together.")
@click.option("--design", type=click.Choice(values(Design)), default="holdout", show_default=True,
              help="diff-in-diff or baseline: say what the periods can detect instead.")
@click.option("--before-periods", type=click.IntRange(min=1), default=8, show_default=True,
              help="Before-periods to be logged (diff-in-diff, baseline).")
@click.option("--during-periods", type=click.IntRange(min=1),
              help="During-periods planned (diff-in-diff, baseline).")
@click.option("--period-volume", type=float, callback=_positive,
              help="Units per arm and period (diff-in-diff, baseline).")
@click.option("--period-sd", type=float, default=0.0, show_default=True, callback=_not_negative,
              help="Week-to-week sd of the gap beyond sampling (diff-in-diff, baseline).")
@click.option("--comparisons", type=click.IntRange(min=1),
              help="Comparison scopes (comparison-scopes design).")
@click.option("--serial-correlation", type=click.FloatRange(0, 1, max_open=True),
              default=DEFAULT_SERIAL_CORRELATION, show_default=True,
              help="AR(1) correlation of that noise the analysis assumes.")
def plan_command(kind, baseline, sd, minimum_effect, sample, direction, alpha, power, analysis,
                 guardrails, guardrail_margin, guardrail_sd, weekly_volume, design,
                 before_periods, during_periods, period_volume, period_sd, comparisons,
                 serial_correlation):
    """Plan a pilot: sample per arm for a minimum effect, or the effect a sample detects."""
    if design == "comparison-scopes":
        _scopes(comparisons, during_periods, alpha, analysis)
        return
    if (minimum_effect is None) == (sample is None):
        raise click.UsageError("give exactly one of --minimum-effect or --sample")
    _check_inputs(kind, baseline, sd)
    if design != "holdout":
        periods = _periods(design, before_periods, during_periods, period_volume, period_sd,
                           serial_correlation, sample)
        try:
            found = feasibility.assess(kind, minimum_effect, periods, baseline=baseline,
                                       sd=sd, alpha=alpha, power=power, analysis=analysis)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        click.echo("\n".join(_capital(line) for line in found.sentences()))
        return
    try:
        if sample is not None:
            lines = _detectable(kind, sample, baseline, sd, alpha, power, direction, analysis)
        else:
            lines = _sample(kind, minimum_effect, baseline, sd, alpha, power, direction,
                            analysis, guardrails, guardrail_margin, guardrail_sd, weekly_volume)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo("\n".join(lines))


def _scopes(comparisons, during, alpha, analysis) -> None:
    """Say whether a comparison-scopes plan can decide; refuse one that cannot (exit 1)."""
    if comparisons is None or during is None:
        raise click.UsageError("a comparison-scopes design needs --comparisons and "
                               "--during-periods")
    found = feasibility.assess_scopes(comparisons, alpha, analysis, during)
    text = "\n".join(_capital(line) for line in found.sentences())
    if not found.decides:
        raise click.ClickException(text)
    click.echo(text)


def _periods(design, before, during, volume, period_sd, rho, sample) -> feasibility.Periods:
    """Check the options a diff-in-diff or baseline plan needs and return its design."""
    if sample is not None:
        raise click.UsageError(f"a {design} is planned by its periods: give --minimum-effect, "
                               "--during-periods and --period-volume, not --sample")
    if during is None or volume is None:
        raise click.UsageError(f"a {design} needs --during-periods and --period-volume")
    return feasibility.Periods(design, before, during, volume, period_sd, rho)


def _capital(line: str) -> str:
    return line[:1].upper() + line[1:]


def _check_inputs(kind, baseline, sd) -> None:
    if kind == "mean" and sd is None:
        raise click.UsageError("--sd is required for a mean metric")
    if kind in ("proportion", "rate") and baseline is None:
        raise click.UsageError(f"--baseline is required for a {kind} metric")
    if kind == "proportion" and not 0 < baseline < 1:
        raise click.BadParameter("a proportion baseline must lie between 0 and 1",
                                 param_hint="--baseline")
    if kind == "rate" and not baseline > 0:
        raise click.BadParameter("a rate baseline must be greater than 0",
                                 param_hint="--baseline")


def _effect(kind, value) -> str:
    if kind == "proportion":
        return f"{value:.4g} ({100 * value:.2f} percentage points)"
    return f"{value:.4g}"


def _detectable(kind, sample, baseline, sd, alpha, power, direction, analysis) -> list[str]:
    inflation = planning.INFLATION[analysis]
    effective = sample / inflation
    effect = planning.minimum_detectable_effect(kind, effective, baseline=baseline, sd=sd,
                                                alpha=alpha, power=power, direction=direction)
    return [f"Kind: {kind}; alpha {alpha}, power {power}, analysis {analysis} "
            f"(x{inflation:g} sample)",
            f"Minimum detectable effect with {sample:,.0f} per arm: {_effect(kind, effect)}"]


def _sample(kind, minimum_effect, baseline, sd, alpha, power, direction, analysis, guardrails,
            margin, guardrail_sd, weekly_volume) -> list[str]:
    if guardrails and margin is None:
        raise click.UsageError("--guardrail-margin is required with --guardrails")
    count = guardrails if guardrails else (1 if margin is not None else 0)
    margins = ()
    if count:
        variance = (guardrail_sd**2 if guardrail_sd is not None
                    else planning.unit_variance(kind, baseline, sd))
        margins = tuple((variance, margin) for _ in range(count))
    result = planning.plan(kind, minimum_effect, baseline=baseline, sd=sd, alpha=alpha,
                           power=power, direction=direction, analysis=analysis,
                           guardrail_margins=margins, weekly_volume=weekly_volume)
    lines = [f"Kind: {kind}; alpha {alpha}, power {power}, minimum effect "
             f"{_effect(kind, minimum_effect)}",
             f"Fixed-horizon sample per arm: {math.ceil(result.fixed_sample):,}"]
    if result.guardrail_sample:
        each = 1 - (1 - power) / (count + 1)
        lines.append(f"Guardrails: {count} at margin {margin:g}: {result.guardrail_sample:,} "
                     f"per arm (power {each:.3f} each)")
    lines.append(f"Analysis: {analysis} (x{result.inflation:g})")
    unit = "exposure" if kind == "rate" else "units"
    lines.append(f"Planned sample per arm: {result.sample_per_arm:,} {unit}")
    if result.weeks is not None:
        lines.append(f"Weeks at {weekly_volume:,.0f} a week (both arms): {result.weeks}")
    return lines
