"""The web app: pages for people, a JSON API for programs, sign-in and errors."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter


class RowId(IntegerConverter):
    """A row id in a URL: 1 to 2**31 - 1, so a huge number is a 404, not a crash."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def installed(app: Flask) -> bool:
    """Tell whether init_app has run on this app."""
    return "lab.web" in app.extensions


def init_app(app: Flask) -> None:
    """Install security, error handling and every blueprint on the app."""
    from lab.web import (
        admin,
        api,
        approvals,
        auth,
        backlog,
        errors,
        initiatives,
        inputs,
        learnings,
        notices,
        pages,
        programmeapi,  # noqa: F401 - declares its operations on the API's blueprint
        refusals,
        reportpages,
        security,
        signoff,
        standby,
        standbyapi,  # noqa: F401 - declares its operations on the API's blueprint
        team,
        templating,
        week,
    )

    app.url_map.converters["id"] = RowId
    security.init_app(app)
    errors.init_app(app)
    refusals.init_app(app)
    inputs.init_app(app)
    templating.init_app(app)
    notices.init_app(app)
    for blueprint in (auth.bp, pages.bp, team.bp, signoff.bp, admin.bp, api.bp,
                      reportpages.bp, week.bp, notices.bp, approvals.bp,
                      backlog.bp, learnings.bp, initiatives.bp, standby.bp):
        app.register_blueprint(blueprint)
    # The API checks CSRF itself, for cookie sessions only (see lab.web.api).
    security.csrf.exempt(api.bp)
    app.extensions["lab.web"] = True
