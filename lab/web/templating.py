"""Jinja filters and globals: the templates write every number and word through lab.words."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from lab import words

# Filter name → the one formatter in lab.words (the names the templates already use).
FILTERS = {
    "outcome_word": words.outcome_word, "status_word": words.status_word,
    "design_words": words.design_words, "analysis_words": words.analysis_words,
    "money": words.money, "count": words.count, "q_value": words.q_value,
    "p_text": words.p_text, "percent": words.percent, "lift": words.lift,
    "when": words.when, "day": words.day, "effect": words.effect,
    "interval": words.interval, "evidence_word": words.evidence_word,
    "guardrail_word": words.guardrail_word, "flukes": words.flukes,
    "better_when": words.better_when, "process_word": words.process_word,
    "relative": words.relative,
    "judged": words.judged_metric,
    "target_text": words.targets.target_text, "attainment_word": words.targets.attainment_word,
    "level": words.targets.level,
}


def init_app(app: Flask) -> None:
    """Give the templates their filters and the signed-in person."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["metric_name"] = words.metric_name
    app.jinja_env.globals["can"] = lambda role: (current_user.is_authenticated
                                                 and current_user.can(role))
