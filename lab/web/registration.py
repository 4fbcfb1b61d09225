"""The registration form: the pre-registration TOML as a web form, field for field.

The form's structure mirrors the plan (hypothesis.*, pilot.*, pilot.team.N.*,
metrics.N.*), so the dict it builds is the one a TOML file would give, and each
problem `lab.pilots.plans.parse` or `lab.pilots.registry.register` names comes back to the
field at the same dotted path.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from lab.vocabulary import Analysis, Bound, Design, Direction, Function, Kind, Process, Role
from lab.web.forms import DATE, NUMBER, choices

METRIC_ROWS, TEAM_ROWS = 5, 6
METRIC_VALUES = ("key", "kind", "direction", "label", "minimum_effect", "margin", "baseline",
                 "least", "most")


class HypothesisForm(Form):
    key = StringField("Key", render_kw={"placeholder": "e.g. fast-social-care"})
    statement = TextAreaField("We believe that…", render_kw={"rows": 2})
    # `process` is a method of every WTForms form, so the field is process_ in Python
    # and "process" in the request and the plan.
    process_ = SelectField("Lifecycle process", name="process",
                           choices=choices(Process, ""))
    expected_benefit = StringField("Expected benefit")
    sponsors = SelectMultipleField("Sponsoring functions", choices=choices(Function),
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    owner = StringField("Owner (email)")


class TeamMemberForm(Form):
    name = StringField("Name")
    function = SelectField("Function", choices=choices(Function, ""))


class PilotForm(Form):
    key = StringField("Key", render_kw={"placeholder": "e.g. x-care-1h"})
    title = StringField("Title")
    channel = StringField("Channel", render_kw={"placeholder": "one channel, e.g. x"})
    segment = StringField("Segment", render_kw={"placeholder": "and/or one segment"})
    design = SelectField("Design", choices=choices(Design, ""))
    comparison_scopes = StringField("Comparison scopes",
                                    render_kw={"placeholder": "e.g. students, graduates"})
    analysis = SelectField("Analysis", choices=choices(Analysis),
                           default=str(Analysis.sequential))
    allocation = StringField("Allocation to the pilot arm", default="0.5", render_kw=NUMBER)
    alpha = StringField("Alpha", default="0.05", render_kw=NUMBER)
    power = StringField("Power", default="0.8", render_kw=NUMBER)
    planned_sample = StringField("Planned sample per arm", render_kw=NUMBER)
    planned_periods = StringField("Planned periods", render_kw=NUMBER)
    start = StringField("Start", render_kw=DATE)
    end = StringField("Planned end", render_kw=DATE)
    budget = StringField("Budget", default="0", render_kw=NUMBER)
    currency = StringField("Currency", default="EUR")
    parent = HiddenField()
    team = FieldList(FormField(TeamMemberForm), min_entries=TEAM_ROWS)


class MetricForm(Form):
    key = StringField("Key")
    label = StringField("Label")
    kind = SelectField("Kind", choices=choices(Kind, ""))
    role = SelectField("Role", choices=choices(Role, ""))
    direction = SelectField("Better when it", choices=choices(Direction, ""))
    minimum_effect = StringField("Minimum effect", render_kw=NUMBER)
    margin = StringField("Margin", render_kw=NUMBER)
    baseline = StringField("Baseline", render_kw=NUMBER)
    # A mean metric's own bounds, if it has them (a 0-10 score); blank for none.
    least = StringField("Lowest mean", render_kw=NUMBER)
    most = StringField("Highest mean", render_kw=NUMBER)
    # A service-level target for the pilot arm: the plan's `target = { at_least = 0.84 }`.
    target_bound = SelectField("Target", choices=choices(Bound, ""))
    target_value = StringField("Target level", render_kw=NUMBER)


STANDBY_EXAMPLE = ('[roles]\n"ana@bank.example" = "accountable"\n\n[[standby]]\n'
                   'metric = "complaints"\nabove = 0.012\naction = "pause"')
STANDBY_KEYS = ("roles", "standby")  # what the stand-by box may hold, as the TOML file has it


class RegistrationForm(FlaskForm):
    editing = HiddenField()  # the key of the draft being edited, if any
    hypothesis = FormField(HypothesisForm)
    pilot = FormField(PilotForm)
    metrics = FieldList(FormField(MetricForm), min_entries=METRIC_ROWS)
    # Roles and stand-by rules, written as in the plan file: a list of rules with a
    # condition each reads better as TOML than as rows of boxes.
    standby = TextAreaField("Roles and stand-by rules (TOML, as in the plan file)",
                            render_kw={"rows": 8, "placeholder": STANDBY_EXAMPLE})


def standby_part(form: RegistrationForm) -> tuple[dict[str, Any], str | None]:
    """Read the stand-by box: its tables for the plan, or why it is not TOML."""
    text = (form.standby.data or "").strip()
    if not text:
        return {}, None
    try:
        return tomllib.loads(text), None
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        return {}, f"not valid TOML: {error}"


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Drop blank answers, so the plan's defaults and 'missing' messages apply."""
    cleaned = {}
    for name, value in values.items():
        value = value.strip() if isinstance(value, str) else value
        if value not in ("", None, []):
            cleaned[name] = value
    return cleaned


def to_plan(form: RegistrationForm) -> tuple[dict[str, Any], dict[str, dict[int, int]]]:
    """Build the plan dict a TOML file would give; also map list positions back to rows."""
    hypothesis = _clean(_plan_names(form.hypothesis.data))
    pilot = _clean({k: v for k, v in form.pilot.data.items() if k != "team"})
    if "comparison_scopes" in pilot:  # written comma-separated, a list in the plan
        pilot["comparison_scopes"] = [scope.strip() for scope in
                                      pilot["comparison_scopes"].split(",") if scope.strip()]
    team_rows = [(i, _clean(row)) for i, row in enumerate(form.pilot.team.data)]
    team = [(i, row) for i, row in team_rows if row]
    metric_rows = [(i, _with_target(_clean(row))) for i, row in enumerate(form.metrics.data)]
    metrics = [(i, row) for i, row in metric_rows if any(k in row for k in METRIC_VALUES)]
    if team:
        pilot["team"] = [row for _, row in team]
    plan = {"hypothesis": hypothesis, "pilot": pilot, "metrics": [row for _, row in metrics],
            **standby_part(form)[0]}
    positions = {"metrics": {n: i for n, (i, _) in enumerate(metrics)},
                 "pilot.team": {n: i for n, (i, _) in enumerate(team)}}
    return plan, positions


def _with_target(row: dict[str, Any]) -> dict[str, Any]:
    """Turn the target's two boxes into the plan's `target` table (a half-filled pair
    still goes in, so the plan's own check names what is missing)."""
    bound, value = row.pop("target_bound", None), row.pop("target_value", None)
    if bound:
        row["target"] = {bound: value if value is not None else ""}
    elif value is not None:
        row["target"] = {}  # a level without its side: refused as naming no bound
    return row


def _plan_names(values: dict[str, Any]) -> dict[str, Any]:
    return {name.rstrip("_"): value for name, value in values.items()}


def _form_names(values: dict[str, Any]) -> dict[str, Any]:
    return {("process_" if name == "process" else name): value
            for name, value in values.items()}


TARGET = re.compile(r"\.target(\.at_least|\.at_most)?$")  # shown by the level's box
METRIC_ROW = re.compile(r"metrics\.\d+")
TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def to_rows(problems: list[dict[str, str]], plan: dict[str, Any],
            positions: dict[str, dict[int, int]]) -> list[dict[str, str]]:
    """Point each problem, labelled as the plan reads it, at the form field it concerns."""
    return [{**problem, "label": problem["field"],
             "field": "standby" if _of_standby(problem) else _placed(problem, plan, positions)}
            for problem in problems]


def _placed(problem: dict[str, str], plan: dict[str, Any],
            positions: dict[str, dict[int, int]]) -> str:
    """Return the form field a plan problem is shown at: a target's at its level's box."""
    path = TARGET.sub(".target_value", form_path(problem["field"], plan, positions))
    if METRIC_ROW.fullmatch(path) and problem["reason"].startswith("target"):
        return f"{path}.target_value"  # the metric's check of its target (target_fits)
    return path


def _of_standby(problem: dict[str, str]) -> bool:
    """Tell whether a problem concerns the stand-by box (its keys, or a key it added)."""
    where = problem["field"] or problem["reason"]
    return where.startswith(STANDBY_KEYS)


def form_path(label: str, plan: dict[str, Any], positions: dict[str, dict[int, int]]) -> str:
    """Turn 'metrics[churn-90d].margin' or 'pilot.team[#2]' into 'metrics.0.margin'."""
    parts: list[str] = []
    node: Any = plan
    for bracket, name in TOKEN.findall(label):
        if name:
            parts.append(name)
            node = node.get(name) if isinstance(node, dict) else None
            continue
        index = _index(node, bracket)
        if index is None:
            return label  # cannot be placed: it is shown at the top
        parts.append(str(positions.get(".".join(parts), {}).get(index, index)))
        node = node[index]
    return ".".join(parts)


def _index(node: Any, bracket: str) -> int | None:
    """Find the list position a label's [key], [name] or [#n] stands for."""
    if not isinstance(node, list):
        return None
    if bracket.startswith("#") and bracket[1:].isdigit():
        index = int(bracket[1:]) - 1
        return index if 0 <= index < len(node) else None
    return next((i for i, item in enumerate(node) if isinstance(item, dict)
                 and bracket in (item.get("key"), item.get("name"))), None)


def form_data(plan: dict[str, Any]) -> dict[str, Any]:
    """Turn a stored plan into the form's data, for editing a draft."""
    pilot = {name: "" if value is None else
             ", ".join(value) if isinstance(value, list) else str(value)
             for name, value in plan.get("pilot", {}).items() if name != "team"}
    pilot["team"] = list(plan.get("pilot", {}).get("team", []))
    metrics = [{name: "" if value is None else str(value) for name, value in metric.items()
                if name != "target"} | _target_boxes(metric.get("target"))
               for metric in plan.get("metrics", [])]
    return {"editing": plan.get("pilot", {}).get("key", ""),
            "hypothesis": _form_names(plan.get("hypothesis", {})), "pilot": pilot,
            "metrics": metrics, "standby": standby_text(plan)}


def standby_text(plan: dict[str, Any]) -> str:
    """Write a stored plan's roles and rules back as the TOML the box takes."""
    lines = []
    if plan.get("roles"):
        lines.append("[roles]")
        lines += [f"{_quoted(name)} = [{', '.join(map(_quoted, held))}]"
                  for name, held in plan["roles"].items()]
    for rule in plan.get("standby") or []:
        lines += ["", "[[standby]]"] if lines else ["[[standby]]"]
        for name, value in rule.items():
            if value is None or value == []:
                continue
            shown = (f"[{', '.join(map(_quoted, value))}]" if isinstance(value, list)
                     else _quoted(value) if isinstance(value, str) else repr(value))
            lines.append(f"{name} = {shown}")
    return "\n".join(lines)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hypothesis_data(hypothesis: Any) -> dict[str, Any]:
    """Turn a stored hypothesis into the form's data, for a new pilot testing it."""
    return {"hypothesis": {"key": hypothesis.key, "statement": hypothesis.statement,
                           "process_": hypothesis.process,
                           "expected_benefit": hypothesis.expected_benefit,
                           "sponsors": list(hypothesis.sponsors), "owner": hypothesis.owner}}


def new_form(data: dict[str, Any] | None = None) -> RegistrationForm:
    """Make the form, padded to its blank rows after any prefilled ones."""
    form = RegistrationForm(data=data) if data else RegistrationForm()
    wanted = max(METRIC_ROWS, len((data or {}).get("metrics", [])) + 1)
    while len(form.metrics.entries) < wanted:
        form.metrics.append_entry()
    while len(form.pilot.team.entries) < TEAM_ROWS:
        form.pilot.team.append_entry()
    return form


def _target_boxes(target: dict | None) -> dict[str, str]:
    """Return a plan's target as the form's two boxes (blank without one)."""
    if not target:
        return {}
    bound, value = next((bound, value) for bound, value in target.items()
                        if value is not None)
    return {"target_bound": bound, "target_value": f"{value:g}"}
