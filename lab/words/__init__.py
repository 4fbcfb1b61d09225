"""Every wording people read, one way everywhere: web, reports, CLI and notebooks.

- `labels`: what outcomes, statuses, designs, evidence and metrics are called;
- `numbers`: money, counts, p and q, effects, intervals, lifts, dates;
- `sentences`: how an effect is told (rose by, worth scaling, harmed);
- `reasons`: the sentences of a recommendation (why, what is still needed, how);
- `targets`: service-level targets, and whether the pilot arm meets one.
"""

from lab.words import targets  # noqa: F401
from lab.words.labels import (  # noqa: F401
    ANALYSIS_WORDS,
    DESIGN_WORDS,
    EVIDENCE_WORDS,
    GUARDRAIL_WORDS,
    MISSING,
    NOT_CHECKED,
    OUTCOME_WORDS,
    STATUS_WORDS,
    VALUE_LABELS,
    analysis_words,
    better_when,
    design_words,
    evidence_word,
    guardrail_word,
    headline,
    metric_name,
    outcome_word,
    process_word,
    status_word,
    value_label,
)
from lab.words.numbers import (  # noqa: F401
    amount,
    count,
    day,
    effect,
    effect_scale,
    interval,
    lift,
    money,
    number,
    p_text,
    p_value,
    percent,
    points,
    q_value,
    to_float,
    when,
)
from lab.words.sentences import (  # noqa: F401
    Effect,
    allowed,
    capitalised,
    change,
    flukes,
    good_word,
    harm_verb,
    judged,
    judged_metric,
    plan_awaiting,
    relative,
    standby_fired,
    standby_rule,
    worth,
)
