"""The lab team's forms: register a plan, start a pilot, log metrics, add notes and spend."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError

from lab import db
from lab.delimiters import first_line, semicolon_problem
from lab.kinds import VALUE_NAMES
from lab.pilots import approval, evidence, lifecycle, reads, registry
from lab.pilots.find import find_pilot, get_hypothesis
from lab.pilots.observations import ObservationError, import_csv, record_observations
from lab.pilots.observations.problems import Problem
from lab.pilots.plans import PreregistrationError, parse
from lab.web import planner, registration
from lab.web.errors import problems_of
from lab.web.forms import (
    NoteForm,
    ObservationForm,
    SpendForm,
    UploadForm,
    place_problems,
    values,
)
from lab.web.pages import render_pilot
from lab.web.queries import writing
from lab.web.schemas import NoteIn, SpendIn
from lab.web.security import role_required
from lab.words import money

bp = Blueprint("team", __name__)


def _register_form():
    """Prefill the registration form: a draft to edit, a hypothesis to test, or blank."""
    session = db.session()
    if request.args.get("pilot"):
        found = reads.pilot_row(session, request.args["pilot"]).pilot
        return registration.new_form(registration.form_data(found.plan))
    if request.args.get("hypothesis"):
        found = get_hypothesis(session, request.args["hypothesis"])
        return registration.new_form(registration.hypothesis_data(found))
    return registration.new_form({"hypothesis": {"owner": current_user.email}})


def _taken(form: registration.RegistrationForm, key: str) -> list[dict[str, str]]:
    """Refuse to overwrite another pilot by reusing its key by accident."""
    if find_pilot(db.session(), key) is None or form.editing.data == key:
        return []
    return [{"field": "pilot.key", "reason": f"pilot '{key}' already exists: open it and "
                                              "choose 'Edit plan' to change its draft"}]


@bp.route("/register", methods=["GET", "POST"])
@role_required("member")
def register():
    """Show the plan form, or register the plan (a new draft, or an edited one)."""
    if request.method != "POST":
        return render_template("register.html", form=_register_form(), problems=[])
    form = registration.new_form()
    plan, positions = registration.to_plan(form)
    if request.form.get("action") == "plan":
        return _plan_sample(form, plan, positions)
    try:
        _, not_toml = registration.standby_part(form)
        if not_toml:
            raise PreregistrationError("form", [("standby", not_toml)])
        spec = parse(plan, "form")
        problems = _taken(form, spec.pilot.key)
        if not problems:
            with writing() as write:
                result = registry.register(write, spec=spec, actor=current_user.email,
                                           source="form")
    except (PreregistrationError, registry.RegistryError) as error:
        problems = problems_of(error)
    if problems:
        unplaced = place_problems(form, registration.to_rows(problems, plan, positions))
        return render_template("register.html", form=form, problems=unplaced,
                               count=len(problems)), 422
    _report_registration(result)
    return redirect(url_for("pages.pilot", key=spec.pilot.key))


def _plan_sample(form, plan, positions):
    """Fill in the planned sample from the plan as typed; save nothing."""
    sample, problems, said = planner.planned_sample(plan)
    if sample is None:
        unplaced = place_problems(form, problems)
        return render_template("register.html", form=form, problems=unplaced,
                               count=len(problems), planning=True), 422
    form.pilot.planned_sample.data = str(sample)
    flash(said, "info")
    return render_template("register.html", form=form, problems=[])


def _report_registration(result: registry.SyncResult) -> None:
    """Tell what registering did, including new catalogue entries and overlaps."""
    done = ("Registered" if result.created else "Updated" if result.updated else "Unchanged")
    flash(f"{done}: {', '.join(result.created + result.updated + result.unchanged)}.",
          "success")
    for name, added in (("channel", result.new_channels), ("segment", result.new_segments)):
        for entry in added:
            flash(f"New {name} '{entry}' added to the catalogue: check it is not a typo.",
                  "warning")
    for warning in result.warnings:
        flash(warning, "warning")


@bp.post("/pilots/<key>/start")
@role_required("member")
def start(key: str):
    """Start a draft pilot: its plan is locked from now on."""
    try:
        with writing() as write:
            lifecycle.start(write, pilot_key=key, actor=current_user.email,
                            approval_required=current_app.config["APPROVAL"])
    except (lifecycle.TransitionError, approval.NotApproved) as error:
        flash(str(error), "error")
        return render_pilot(key, 409)
    flash(f"Pilot {key} is running: its plan is locked and metrics can be logged.",
          "success")
    return redirect(url_for("pages.pilot", key=key))


@bp.post("/pilots/<key>/observations")
@role_required("member")
def log_observation(key: str):
    """Log one observation, checked exactly as a CSV row would be."""
    form = ObservationForm()
    names = ("metric", "arm", "phase", "period") + VALUE_NAMES
    row = {"pilot": key, **{name: (form[name].data or "").strip() for name in names}}
    try:
        with writing() as write:
            result = record_observations(write, rows=[row], actor=current_user.email,
                                         correct=form.correct.data, source="form")
    except ObservationError as error:
        unplaced = place_problems(form, [{"field": p.column, "reason": p.message}
                                         for p in error.problems])
        for message in unplaced:
            flash(message, "error")
        return render_pilot(key, 422, observation_form=form, open_form="observation")
    done = "logged" if result.inserted else "corrected" if result.corrected else \
        "unchanged (the same value was logged before)"
    flash(f"Observation {done}.", "success")
    return redirect(url_for("pages.pilot", key=key, _anchor="log"))


class _Upload(io.TextIOWrapper):
    """An uploaded file read as UTF-8 text, keeping its file name for the messages."""

    def __init__(self, storage):
        super().__init__(storage.stream, encoding="utf-8-sig", newline="")
        self._name = storage.filename or "upload"

    @property
    def name(self) -> str:
        """Return the uploaded file's name."""
        return self._name


@bp.route("/observations/upload", methods=["GET", "POST"])
@role_required("member")
def upload():
    """Show the CSV upload form, or import the file: all rows, or none."""
    form, pilot_key = UploadForm(), request.args.get("pilot", "")
    if request.method != "POST":
        return render_template("upload.html", form=form, pilot_key=pilot_key, problems=[])
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        form.file.errors = ["choose a CSV file to upload"]
        return render_template("upload.html", form=form, pilot_key=pilot_key,
                               problems=[]), 422
    hint = semicolon_problem(first_line(storage.stream.read(4096)))
    storage.stream.seek(0)
    if hint:
        return render_template("upload.html", form=form, pilot_key=pilot_key,
                               problems=[Problem(1, "", hint)], source=storage.filename), 422
    try:
        result = import_csv(db.engine(), source=_Upload(storage), actor=current_user.email,
                            correct=form.correct.data)
    except ObservationError as error:
        problems = [problem._replace(message=problem.message.replace(
            "(lab import --correct)", "(tick 'Rows that differ … are corrections' below)"))
            for problem in error.problems]
        return render_template("upload.html", form=form, pilot_key=pilot_key,
                               problems=problems, truncated=error.truncated,
                               source=error.source), 422
    flash(f"Imported {result.describe()}.", "success")
    target = url_for("pages.pilot", key=pilot_key) if pilot_key else url_for(
        "pages.portfolio_page")
    return redirect(target)


def _evidence(key: str, form, model, add, label: str):
    """Validate a note or spend form with the API's model, then record it."""
    try:
        entry = model.model_validate(values(form, *model.model_fields))
        with writing() as write:
            add(write, pilot_key=key, actor=current_user.email, **entry.model_dump())
    except (ValidationError, evidence.EvidenceError) as error:
        unplaced = place_problems(form, problems_of(error) or [
            {"field": "", "reason": str(error)}])
        for message in unplaced:
            flash(message, "error")
        return render_pilot(key, 422, **{f"{label}_form": form, "open_form": label})
    flash(f"{label.capitalize()} added.", "success")
    if label == "spend":
        _warn_overspend(key)
    return redirect(url_for("pages.pilot", key=key, _anchor=label))


def _warn_overspend(key: str) -> None:
    """Say so, where the spend is entered, when it takes the pilot past its budget."""
    detail = reads.pilot_detail(db.session(), key)
    spent, budget = sum(entry.amount for entry in detail.spend), detail.pilot.budget
    if spent > budget:
        currency = detail.pilot.currency
        flash(f"Over budget: {money(spent, currency)} spent of a {money(budget, currency)} "
              f"budget, {money(spent - budget, currency)} over. The portfolio and the "
              "decision brief now show it.", "warning")


@bp.post("/pilots/<key>/notes")
@role_required("member")
def add_note(key: str):
    """Attach a note to a pilot."""
    return _evidence(key, NoteForm(), NoteIn, evidence.add_note, "note")


@bp.post("/pilots/<key>/spend")
@role_required("member")
def add_spend(key: str):
    """Record spend against a pilot's budget."""
    return _evidence(key, SpendForm(), SpendIn, evidence.add_spend, "spend")
