"""Every domain error is answered with the status it carries; anything else is a bug (500)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import lab
from lab import db
from lab.errors import Conflict, DomainError, NotFound
from lab.pilots import audit

# The status each error of the domain has always been answered with.
STATUSES = {
    "lab.pilots.plans.PreregistrationError": 422, "lab.pilots.registry.RegistryError": 422,
    "lab.pilots.observations.problems.ObservationError": 422,
    "lab.pilots.decisions.DecisionError": 422, "lab.accounts.AccountError": 422,
    "lab.pilots.evidence.EvidenceError": 422, "lab.web.openapi.InvalidRequest": 422,
    "lab.reports.ReportError": 422, "lab.pilots.lifecycle.TransitionError": 409,
    "lab.pilots.decisions.DecisionConflict": 409, "lab.demo.DemoError": 409,
    "lab.pilots.decisions.OwnerCannotSignOff": 403, "lab.errors.NotFound": 404,
}
# Errors that mean the code is wrong, not the request: answered 500 on purpose; and two
# that never reach a view: a bad LAB_* setting stops the app at start-up, and the
# importer's unreadable-line signal is caught inside the importer (and the raw import's
# refused-cell and not-plain signals inside the raw import); a refresh's forked worker
# that died without an answer is the machine or the code failing, a 500 too.
BUGS = {"lab.models.governance.AppendOnlyError", "lab.config.ConfigError",
        "lab.forked.ChildFailed",
        "lab.pilots.observations.lines.Unreadable",
        "lab.pilots.observations.cells.Refused", "lab.pilots.observations.plain.Declined"}


def name_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def lab_exceptions() -> set[type]:
    """Import every module of lab and return each exception class defined in it."""
    for module in pkgutil.walk_packages(lab.__path__, "lab."):
        if not module.name.startswith("lab.migrations"):  # env.py would run migrations
            importlib.import_module(module.name)
    found, todo = set(), [BaseException]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("lab."):
                found.add(sub)
    return found


def test_every_error_lab_defines_is_a_domain_error_or_a_named_bug():
    errors = lab_exceptions()
    assert {name_of(cls) for cls in errors if not issubclass(cls, DomainError)} == BUGS
    assert set(STATUSES) <= {name_of(cls) for cls in errors}


def test_each_domain_error_keeps_its_status():
    statuses = {name_of(cls): cls.status for cls in lab_exceptions()
                if name_of(cls) in STATUSES}
    assert statuses == STATUSES


class Renamed(Conflict):
    """An error no table has heard of: its status comes with it."""


def raise_error(app, cls: type, message: str):
    """Add a route to the app that raises this error, as a view would let it through."""
    def view():
        error = cls.__new__(cls, message)  # whatever its __init__ asks for
        error.problems = [("pilot.alpha", "must be below 0.5")]
        raise error
    app.add_url_rule(f"/raise/{cls.__qualname__}", f"raise_{cls.__qualname__}", view)
    return f"/raise/{cls.__qualname__}"


def test_every_domain_error_is_answered_with_its_status(app):
    errors = [cls for cls in lab_exceptions() if issubclass(cls, DomainError)] + [Renamed]
    paths = {cls: raise_error(app, cls, f"refused by {cls.__qualname__}") for cls in errors}
    client = app.test_client()
    answered = {}
    for cls, path in paths.items():
        reply = client.get(path, headers={"Accept": "application/json"})
        answered[name_of(cls)] = (reply.status_code, reply.json["message"],
                                  reply.json["problems"])
        assert client.get(path).status_code == cls.status  # the HTML page too
    assert answered == {name_of(cls): (cls.status, f"refused by {cls.__qualname__}",
                                       [{"field": "pilot.alpha", "reason": "must be below 0.5"}])
                        for cls in errors}
    assert answered[name_of(Renamed)][0] == 409


def test_a_refusal_of_the_person_is_audited_as_a_denial(app):
    from lab.pilots.decisions import OwnerCannotSignOff

    path = raise_error(app, OwnerCannotSignOff, "ana owns pilot 'x' and cannot sign off")
    assert app.test_client().get(path).status_code == 403
    with app.app_context(), db.reading(db.engine()) as session:
        [event] = audit.events(session, action="denied")
    assert event.after == {"reason": "ana owns pilot 'x' and cannot sign off"}


@pytest.mark.parametrize("cls", [LookupError, KeyError, ValueError, RuntimeError])
def test_anything_else_is_a_bug(app, cls):
    path = raise_error(app, cls, "no pilot 'x'")
    reply = app.test_client().get(path, headers={"Accept": "application/json"})
    assert reply.status_code == 500 and "no pilot" not in reply.json["message"]


def test_not_found_is_also_a_lookup_error():
    assert issubclass(NotFound, LookupError) and NotFound.status == 404
