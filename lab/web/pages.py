"""Pages for people: the portfolio, hypotheses and pilots, and their charts."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from lab import db
from lab.pilots import approval, decisions, firings, initiatives, reads, stances
from lab.pilots.find import get_hypothesis
from lab.pilots.overlap import overlaps
from lab.portfolio import build, hypothesis_state, kept, recommendations
from lab.portfolio.figures import figures as programme_figures
from lab.web import chartimages, portfolio
from lab.web.export import portfolio_csv
from lab.web.forms import ActionForm, NoteForm, ObservationForm, SpendForm, UploadForm, choices
from lab.web.security import is_fresh, role_required

bp = Blueprint("pages", __name__)


def _selection() -> tuple[dict[str, str], str, bool]:
    """Read the portfolio's filters and sort order from the query string."""
    filters = {name: request.args.get(name, "") for name in portfolio.FILTERS}
    sort = request.args.get("sort", portfolio.DEFAULT_SORT)
    return filters, sort if sort in portfolio.SORTS else portfolio.DEFAULT_SORT, \
        request.args.get("order") == "desc"


def _page() -> tuple[kept.Portfolio, list, portfolio.Page, dict]:
    """Return the portfolio, the selected rows, the page asked for, and how it was chosen.

    The portfolio is the one kept for the lab's current version (`lab.portfolio.kept`),
    and so is each selection made of it.
    """
    current = kept.portfolio(db.session())
    filters, sort, descending = _selection()
    grouping = "process" if request.args.get("group") == "process" else ""
    chosen = (tuple(filters.items()), sort, descending, grouping)
    selected = current.derived(("selected", chosen), lambda: portfolio.select_rows(
        current.rows, filters, sort, descending, grouping))
    page = portfolio.page_of(selected, request.args.get("page"))
    active = {name: value for name, value in filters.items() if value}
    if grouping:
        active["group"] = grouping
    return current, selected, page, {"filters": filters, "sort": sort,
                                     "descending": descending, "grouping": grouping,
                                     "active": active, "chosen": chosen}


@bp.get("/")
@role_required("viewer")
def portfolio_page():
    """Show a page of the pilots, filtered and sorted; the tiles count every page."""
    current, selected, page, shown = _page()
    rows, currency = current.rows, lab_currency()
    return render_template(
        "portfolio.html", rows=page.rows, page=page, total=len(rows),
        options=current.derived("options", lambda: portfolio.options(rows)),
        listed=portfolio.LISTED, **shown,
        groups=portfolio.by_process(page.rows) if shown["grouping"] else [],
        currency=currency,
        headline=current.derived(("headline", shown["chosen"], currency),
                                 lambda: portfolio.headline(selected, currency)),
        rendered=portfolio.rendered(current, page.rows, currency),
        messages=portfolio.overlap_messages(page.rows),
        figures=current.derived("figures", lambda: programme_figures(rows)),
        chart_alt=portfolio.chart_alt(page.rows), version=reads.version_tag(db.session()))


def lab_currency() -> str:
    """Return the lab's one currency (LAB_CURRENCY, default EUR)."""
    return str(current_app.config.get("CURRENCY") or "EUR")


@bp.get("/portfolio.csv")
@role_required("analyst")
def portfolio_export():
    """Download the portfolio, as filtered, as CSV: every page."""
    filters, sort, descending = _selection()
    rows = portfolio.select_rows(kept.rows(db.session()), filters, sort, descending)
    return Response(portfolio_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="portfolio-{date.today()}.csv"'})


@bp.get("/portfolio/effects.<fmt>")
@role_required("viewer")
def portfolio_chart(fmt: str):
    """Draw the primary effects of a page of pilots (as the table shows them)."""
    *_, page, shown = _page()
    width = 6.0 if request.args.get("size") == "narrow" else 11.0
    selection = (tuple(sorted(shown["active"].items())), shown["sort"], shown["descending"],
                 page.number)
    return chartimages.portfolio(db.session(), selection, fmt, lambda: page.rows, width)


@bp.get("/hypotheses")
@role_required("viewer")
def hypotheses():
    """List the hypotheses with the state their pilots give them."""
    grouped: dict[str, list] = {}
    for row in reads.pilot_rows(db.session()):
        grouped.setdefault(row.hypothesis.key, []).append(row)
    listed = [(rows[0].hypothesis, rows, hypothesis_state(
        [row.pilot.status for row in rows])) for rows in grouped.values()]
    return render_template("hypotheses.html", hypotheses=listed)


@bp.get("/hypotheses/<key>")
@role_required("viewer")
def hypothesis(key: str):
    """Show a hypothesis and every pilot testing it."""
    session = db.session()
    found = get_hypothesis(session, key)
    rows = reads.pilot_rows(session, hypothesis_id=found.id)
    checked = recommendations(
        session, [row.pilot.key for row in rows if row.pilot.status != "draft"], full=False)
    state = hypothesis_state([row.pilot.status for row in rows])
    return render_template("hypothesis.html", hypothesis=found, rows=rows, checked=checked,
                           state=state)


@bp.get("/pilots/<key>")
@role_required("viewer")
def pilot(key: str):
    """Show a pilot: plan, team, recommendation, charts, decisions, notes and spend."""
    return render_pilot(key)


def render_pilot(key: str, status: int = 200, **shown):
    """Render the pilot page, with the forms given (carrying their problems) or fresh ones."""
    session = db.session()
    detail = reads.pilot_detail(session, key)
    row = next((found for found in build(session, full=[key]) if found.key == key), None)
    recommendation = row.recommendation if row else None
    # Past overlaps stay on record: a decided pilot's results were still exposed to them.
    warnings = [o.message for o in overlaps(session, include_drafts=True, history=True)
                if key in (o.pilot_a, o.pilot_b)]
    warnings += [clash.message for clash in initiatives.clashes(session) if clash.pilot == key]
    shown.setdefault("observation_form", ObservationForm())
    shown["observation_form"].metric.choices = choices(
        [m.key for m in detail.metrics], labels={m.key: m.label or m.key for m in detail.metrics})
    for name, form in (("note_form", NoteForm), ("spend_form", SpendForm),
                       ("upload_form", UploadForm)):
        shown.setdefault(name, form())
    return render_template(
        "pilot.html", detail=detail, pilot=detail.pilot, recommendation=recommendation,
        row=row, signed_brief=any(decision is not None and other.key == key
                                  for other, decision in detail.iterations),
        metrics_by_key={m["key"]: m for m in (recommendation or {}).get("metrics", [])},
        warnings=warnings, spent=sum(entry.amount for entry in detail.spend),
        action_form=ActionForm(), fresh=is_fresh(),
        stances=stances.of_pilot(session, detail.pilot.id),
        approval=approval.state(session, detail.pilot)
        if detail.pilot.status == "draft" and current_app.config["APPROVAL"] else None,
        version=reads.version_tag(session, detail.pilot.id),
        standby_rules=firings.rule_sentences(detail.pilot.plan),
        may_sign_off=current_user.can("manager")
        and decisions.may_sign_off(session, detail.pilot, current_user.email), **shown), status


@bp.get("/pilots/<key>/charts/<metric>/<chart>.<fmt>")
@role_required("viewer")
def pilot_chart(key: str, metric: str, chart: str, fmt: str):
    """Draw one of a pilot's metric charts: its looks or its values per period."""
    session = db.session()
    found = reads.pilot_row(session, key).pilot
    kind = next((m["kind"] for m in found.plan.get("metrics", []) if m["key"] == metric), None)
    if kind is None:
        abort(404, f"pilot '{key}' has no metric '{metric}'")
    size = chartimages.SIZES.get(request.args.get("size", "wide"), chartimages.SIZES["wide"])
    if chart == "looks":
        return chartimages.looks(session, found, metric, fmt, size)
    if chart == "periods":
        return chartimages.periods(session, found, metric, kind, fmt, size)
    abort(404, f"no chart '{chart}' (looks or periods)")
