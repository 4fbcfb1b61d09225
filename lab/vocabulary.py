"""The lab's vocabulary: every fixed list of values, declared once.

The database's CHECK constraints, the pre-registration schema, the API's schemas, the
web forms' choices, the command line's choices and the charts' colours all derive from
these enums, so a value cannot be allowed in one place and refused in another. Members
are `StrEnum`s: each compares equal to its text, so stored rows and JSON need no
conversion.
"""

from __future__ import annotations

from enum import StrEnum


class Process(StrEnum):
    """The customer-lifecycle process a hypothesis targets."""

    acquisition = "acquisition"
    onboarding = "onboarding"
    development = "development"
    retention = "retention"
    win_back = "win-back"
    service = "service"
    product_co_creation = "product-co-creation"
    voice_of_the_customer = "voice-of-the-customer"


class Function(StrEnum):
    """The functions a cross-functional lab team draws from."""

    marketing = "marketing"
    sales = "sales"
    service = "service"
    it = "it"
    compliance = "compliance"
    product = "product"
    analytics = "analytics"
    management = "management"


class Design(StrEnum):
    """How a pilot is compared: a random split, comparable scopes, or its own past."""

    holdout = "holdout"
    diff_in_diff = "diff-in-diff"
    baseline = "baseline"
    # One treated scope against 2–20 comparison scopes, weighted to match it before.
    comparison_scopes = "comparison-scopes"


class Analysis(StrEnum):
    """How often a pilot may be read and which intervals keep that honest."""

    sequential = "sequential"
    always_valid = "always-valid"
    fixed = "fixed"


class Kind(StrEnum):
    """What a metric counts: successes of trials, a mean, or events per exposure."""

    proportion = "proportion"
    mean = "mean"
    rate = "rate"


class Role(StrEnum):
    """What a metric is for in the decision."""

    primary = "primary"
    guardrail = "guardrail"
    secondary = "secondary"


class Direction(StrEnum):
    """Which way a metric is better."""

    increase = "increase"
    decrease = "decrease"


class Arm(StrEnum):
    """The two sides of a comparison."""

    pilot = "pilot"
    control = "control"


class Phase(StrEnum):
    """Before the pilot started, or during it."""

    before = "before"
    during = "during"


class Status(StrEnum):
    """Where a pilot is in its lifecycle."""

    draft = "draft"
    running = "running"
    paused = "paused"  # a stand-by measure (or a member) stopped it for now: no data
    scaled_up = "scaled_up"
    revised = "revised"
    withdrawn = "withdrawn"


class Outcome(StrEnum):
    """What the recommendation says (and, but for continue, what a decision can be)."""

    scale_up = "scale_up"
    revise = "revise"
    withdraw = "withdraw"
    continue_ = "continue"


class NoteKind(StrEnum):
    """The kinds of qualitative evidence."""

    customer_voice = "customer-voice"
    frontline_voice = "frontline-voice"
    focus_group = "focus-group"
    observation = "observation"
    risk = "risk"


class Stance(StrEnum):
    """What a note says of its pilot's hypothesis, as the team marks it."""

    supports = "supports"
    contradicts = "contradicts"


class Bound(StrEnum):
    """Which side of a service-level target the pilot arm must stay on."""

    at_least = "at_least"
    at_most = "at_most"


class Attainment(StrEnum):
    """Whether the pilot arm meets its target: its whole interval on the right side,
    the wrong side, or across the target."""

    meets = "meets"
    misses = "misses"
    unclear = "unclear"


class InitiativeStatus(StrEnum):
    """Where a social-CRM initiative outside the lab stands."""

    planned = "planned"
    running = "running"
    ended = "ended"


class UserRole(StrEnum):
    """Account roles, lowest to highest: each can do what those below it can."""

    viewer = "viewer"
    member = "member"
    analyst = "analyst"
    manager = "manager"
    admin = "admin"


class Evidence(StrEnum):
    """How strong a design's evidence is: what its comparison can rule out."""

    randomized = "randomized"  # a random split: time and selection effects cancel
    comparison = "comparison"  # against comparable scopes: time effects cancel if trends match
    before_after = "before-after"  # the pilot's own past: time effects cannot be separated


# The evidence each design gives.
EVIDENCE = {Design.holdout: Evidence.randomized, Design.diff_in_diff: Evidence.comparison,
            Design.baseline: Evidence.before_after, Design.comparison_scopes: Evidence.comparison}

class TokenScope(StrEnum):
    """What an API token may do: read only, or read and write (as its owner's role allows)."""

    read = "read"
    write = "write"


class NoticeKind(StrEnum):
    """What people can be told about by e-mail and webhook (`lab notify`)."""

    outcome_changed = "outcome_changed"  # a recommendation's outcome is not what it was
    decision_overdue = "decision_overdue"  # a decision is due and nobody has signed off
    plan_awaiting = "plan_awaiting"  # a draft's plan, as it stands, awaits a manager's approval
    digest = "digest"  # the weekly summary for managers (`lab digest`)
    standby_fired = "standby_fired"  # a pre-registered stand-by rule held at a look


class Raci(StrEnum):
    """What a person is for in a pilot (the pre-registration's `[roles]`)."""

    responsible = "responsible"  # does the work
    accountable = "accountable"  # answers for it: exactly one per pilot
    consulted = "consulted"
    informed = "informed"


class StandbyBound(StrEnum):
    """What a stand-by rule reads at a look: the pilot arm's value, or an interval bound."""

    value = "value"  # the pilot arm's own level (a share, a mean, a rate)
    lower = "lower"  # the low end of the interval of pilot minus control
    upper = "upper"  # the high end of that interval


class StandbyAction(StrEnum):
    """What a stand-by rule does when it fires."""

    alert = "alert"  # tell people: a notice, and a mark on the pages
    pause = "pause"  # move the pilot from running to paused at once
    propose_withdrawal = "propose_withdrawal"  # ask the managers to withdraw it


# The final state each decided outcome moves a pilot to.
FINAL_STATE = {Outcome.scale_up: Status.scaled_up, Outcome.revise: Status.revised,
               Outcome.withdraw: Status.withdrawn}
TERMINAL = tuple(FINAL_STATE.values())
DECIDED = tuple(FINAL_STATE)  # the outcomes a manager can sign off

# Which arms and phases each design has.
DESIGN_ARMS = {Design.holdout: (Arm.pilot, Arm.control),
               Design.diff_in_diff: (Arm.pilot, Arm.control),
               Design.baseline: (Arm.pilot,),
               Design.comparison_scopes: (Arm.pilot, Arm.control)}
DESIGN_PHASES = {Design.holdout: (Phase.during,),
                 Design.diff_in_diff: (Phase.before, Phase.during),
                 Design.baseline: (Phase.before, Phase.during),
                 Design.comparison_scopes: (Phase.before, Phase.during)}


def values(enum: type[StrEnum]) -> list[str]:
    """Return an enum's values as plain text, in declaration order."""
    return [member.value for member in enum]
