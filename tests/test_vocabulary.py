"""lab.vocabulary: every place that offers or accepts a fixed list offers exactly the enum's."""

from __future__ import annotations

import click
import pytest

from lab import vocabulary
from lab.cli.decide import decide_command
from lab.cli.plan import plan_command
from lab.cli.users import user_group
from lab.stats import moments, planning
from lab.vocabulary import values
from lab.web import checkschemas, forms, registration, schemas


def click_choices(command: click.Command, name: str) -> list[str]:
    """Return the choices a command's option or argument offers."""
    [param] = [param for param in command.params if param.name == name]
    return list(param.type.choices)


def form_choices(form: type, name: str) -> list[str]:
    """Return the values a form's select field offers, blank first if it has one."""
    return [choice.value for choice in getattr(form, name).kwargs["choices"]]


def schema_enum(model: type, name: str) -> list[str]:
    """Return the values an API model's field allows, as its JSON Schema says."""
    field = model.model_json_schema()["properties"][name]
    return next(option["enum"] for option in field.get("anyOf", [field]) if "enum" in option)


DECIDED = [str(outcome) for outcome in vocabulary.DECIDED]


@pytest.mark.parametrize(("offered", "enum"), [
    (lambda: click_choices(plan_command, "kind"), vocabulary.Kind),
    (lambda: click_choices(plan_command, "analysis"), vocabulary.Analysis),
    (lambda: click_choices(plan_command, "direction"), vocabulary.Direction),
    (lambda: click_choices(user_group.commands["add"], "role"), vocabulary.UserRole),
    (lambda: click_choices(user_group.commands["role"], "role"), vocabulary.UserRole),
    (lambda: form_choices(forms.UserForm, "role"), vocabulary.UserRole),
    (lambda: form_choices(forms.ObservationForm, "arm"), vocabulary.Arm),
    (lambda: form_choices(forms.ObservationForm, "phase"), vocabulary.Phase),
    (lambda: form_choices(forms.NoteForm, "kind"), vocabulary.NoteKind),
    (lambda: form_choices(registration.PilotForm, "analysis"), vocabulary.Analysis),
    (lambda: form_choices(registration.MetricForm, "kind")[1:], vocabulary.Kind),
    (lambda: form_choices(registration.MetricForm, "role")[1:], vocabulary.Role),
    (lambda: form_choices(registration.HypothesisForm, "process_")[1:], vocabulary.Process),
    (lambda: schema_enum(schemas.ObservationIn, "arm"), vocabulary.Arm),
    (lambda: schema_enum(schemas.ObservationIn, "phase"), vocabulary.Phase),
    (lambda: schema_enum(schemas.NoteIn, "kind"), vocabulary.NoteKind),
    (lambda: schema_enum(schemas.PilotQuery, "status"), vocabulary.Status),
    (lambda: schema_enum(checkschemas.CheckOut, "outcome"), vocabulary.Outcome),
    (lambda: schema_enum(checkschemas.TargetOut, "bound"), vocabulary.Bound),
    (lambda: schema_enum(checkschemas.TargetOut, "attainment"), vocabulary.Attainment),
    (lambda: schema_enum(schemas.NoteOut, "stance"), vocabulary.Stance),
    (lambda: schema_enum(schemas.PilotOut, "attainment"), vocabulary.Attainment),
])
def test_each_list_offered_is_the_vocabulary(offered, enum):
    assert offered() == values(enum)


def test_only_decided_outcomes_can_be_signed_off():
    assert click_choices(decide_command, "outcome") == DECIDED
    assert form_choices(forms.SignOffForm, "outcome") == DECIDED
    assert schema_enum(schemas.DecisionIn, "outcome") == DECIDED
    assert "continue" not in DECIDED


def test_the_statistics_own_copies_match_the_vocabulary():
    """lab.stats imports nothing of lab, so its lists are checked here instead."""
    assert list(moments.KINDS) == values(vocabulary.Kind)
    assert sorted(planning.INFLATION) == sorted(values(vocabulary.Analysis))
