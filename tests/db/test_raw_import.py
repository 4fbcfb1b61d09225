"""Raw-row import: exports of one row per interaction, aggregated through a mapping."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlmodel import select

from lab import db
from lab.cli.observations import import_command
from lab.models import Metric, Observation, Pilot
from lab.pilots import audit, lifecycle, plans, registry
from lab.pilots.observations import ObservationError
from lab.pilots.observations.mapping import MappingError, load, parse
from lab.pilots.observations.raw import import_raw
from tests.factories import ACTOR, start_pilot

EXAMPLES = Path(__file__).resolve().parents[2] / "experiments" / "mappings"
PLANS = EXAMPLES.parent


def start_example(session, name: str) -> None:
    """Register and start one of the shipped experiments."""
    spec = plans.load(PLANS / f"{name}.toml")
    registry.register(session, spec=spec, actor=ACTOR)
    session.commit()
    lifecycle.start(session, pilot_key=spec.pilot.key, actor=ACTOR)
    session.commit()


def stored(engine) -> dict[tuple, Observation]:
    """Return the stored observations by (metric, arm, phase, period)."""
    with db.reading(engine) as session:
        found = session.exec(select(Observation, Metric.key)
                             .join(Metric, Metric.id == Observation.metric_id))
        return {(key, o.arm, o.phase, o.period.isoformat()): o for o, key in found}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refusal(engine, mapping, *paths) -> str:
    with pytest.raises(ObservationError) as caught:
        import_raw(engine, mapping=mapping, sources=list(paths), actor=ACTOR)
    return str(caught.value)


def test_ticketing_export_becomes_weekly_means(engine, session):
    start_example(session, "x-care-1h")
    results = import_raw(engine, mapping=load(EXAMPLES / "ticketing.toml"),
                         sources=[EXAMPLES / "tickets.csv"], actor=ACTOR)
    assert sum(result.inserted for result in results) == 8
    rows = stored(engine)
    # Week of 2026-06-01, one-hour desk, channel x: T-1001 (35 min), T-1002 (43 min),
    # T-1007 (40 min, Sunday 23:50: still that week); T-1005 is e-mail, left out.
    replies = rows["reply-minutes", "pilot", "during", "2026-06-01"]
    assert (replies.n, replies.mean) == (3, pytest.approx(118 / 3))
    assert replies.sd == pytest.approx(math.sqrt(((35 - 118 / 3) ** 2 + (43 - 118 / 3) ** 2
                                                  + (40 - 118 / 3) ** 2) / 2))
    # Standard queue: T-1006 has no reply yet (blank = "skip"), but its cost counts.
    assert rows["reply-minutes", "control", "during", "2026-06-01"].n == 2
    cost = rows["cost-per-contact", "control", "during", "2026-06-01"]
    assert (cost.n, cost.mean) == (3, pytest.approx((9.90 + 10.40 + 11.00) / 3))
    # T-1010 is in the vip queue, which the mapping skips.
    assert rows["cost-per-contact", "pilot", "during", "2026-06-08"].n == 1


def test_social_listening_export_becomes_a_rate(engine, session):
    start_example(session, "linkedin-wealth")
    import_raw(engine, mapping=load(EXAMPLES / "social-listening.toml"),
               sources=[EXAMPLES / "mentions.csv"], actor=ACTOR)
    rows = stored(engine)
    advised = rows["unfollows", "pilot", "during", "2026-09-07"]
    # M-7 at 22:30 UTC on Sunday 13 September is 00:30 on Monday 14 in Amsterdam.
    assert (advised.events, advised.exposure) == (1, pytest.approx((1200 + 800) / 1000))
    assert rows["unfollows", "pilot", "during", "2026-09-14"].exposure == \
        pytest.approx((640 + 1500) / 1000)
    holdout = rows["unfollows", "control", "during", "2026-09-07"]
    assert (holdout.events, holdout.exposure) == (1, pytest.approx(3.05))


def test_survey_export_fills_both_phases_of_a_diff_in_diff(engine, session):
    start_example(session, "community-support")
    import_raw(engine, mapping=load(EXAMPLES / "survey.toml"),
               sources=[EXAMPLES / "answers.csv"], actor=ACTOR)
    rows = stored(engine)
    assert {key[1:] for key in rows} == {
        ("pilot", "before", "2026-03-23"), ("control", "before", "2026-03-23"),
        ("pilot", "before", "2026-03-30"), ("control", "before", "2026-03-30"),
        ("pilot", "during", "2026-04-06"), ("control", "during", "2026-04-06")}
    # R-3 left CSAT blank (skipped); R-8 owns a doorbell (skipped).
    assert rows["csat", "pilot", "before", "2026-03-23"].n == 1
    assert rows["csat", "pilot", "during", "2026-04-06"].mean == pytest.approx(4.5)


SHARE = """
pilot = "x-care-1h"
arm = { column = "desk", values = { "fast" = "pilot", "usual" = "control" } }

[time]
column = "created"

[[metrics]]
metric = "churn-90d"
share = { minutes = ["created", "replied"], at_most = 60 }
blank = "fail"
"""


def test_share_of_replies_within_an_hour(engine, session, tmp_path):
    start_pilot(session)
    path = write(tmp_path / "t.csv", "created,replied,desk\n"
                 "2026-01-05T09:00:00,2026-01-05T09:59:00,fast\n"
                 "2026-01-05T09:00:00,2026-01-05T10:00:00,fast\n"
                 "2026-01-06T09:00:00,2026-01-06T10:00:01,fast\n"
                 "2026-01-07T09:00:00,,fast\n"
                 "2026-01-07T09:00:00,2026-01-07T09:30:00Z,usual\n")
    import_raw(engine, mapping=parse(SHARE), sources=[path], actor=ACTOR)
    rows = stored(engine)
    fast = rows["churn-90d", "pilot", "during", "2026-01-05"]
    # 60 minutes exactly meets "at most 60"; one second more does not; no reply fails.
    assert (fast.successes, fast.trials) == (2, 4)
    assert (rows["churn-90d", "control", "during", "2026-01-05"].successes) == 1


def test_a_reply_across_the_clock_change_counts_real_minutes(engine, session, tmp_path):
    start_pilot(session, pilot={"start": "2026-03-23", "end": "2026-06-14"})
    text = SHARE.replace('column = "created"', 'column = "created"\ntimezone = "Europe/Paris"')
    # Clocks go forward at 02:00 on 29 March 2026: 01:30 to 03:20 is 50 minutes.
    path = write(tmp_path / "t.csv", "created,replied,desk\n"
                 "2026-03-29T01:30:00,2026-03-29T03:20:00,fast\n")
    import_raw(engine, mapping=parse(text), sources=[path], actor=ACTOR)
    assert stored(engine)["churn-90d", "pilot", "during", "2026-03-23"].successes == 1


def test_files_are_aggregated_together_and_audited_with_the_mapping_hash(engine, session,
                                                                           tmp_path):
    start_pilot(session)
    header = "created,replied,desk\n"
    one = write(tmp_path / "a.csv", header + "2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n")
    two = write(tmp_path / "b.csv", header + "2026-01-06T09:00:00,2026-01-06T12:00:00,fast\n")
    mapping = parse(SHARE, "share.toml")
    results = import_raw(engine, mapping=mapping, sources=[one, two], actor=ACTOR)
    # b.csv's row went into the week a.csv opened: both files are reported.
    assert [(r.source, r.raw_rows, r.rows) for r in results] == [(str(one), 1, 1),
                                                                  (str(two), 1, 0)]
    row = stored(engine)["churn-90d", "pilot", "during", "2026-01-05"]
    assert (row.successes, row.trials) == (1, 2)
    with db.reading(engine) as reading:
        event = audit.events(reading, action="import")[-1]
    assert event.after["mapping_sha256"] == mapping.sha256
    assert (event.after["mapping"], event.after["raw_rows"]) == ("share.toml", 2)
    assert "09:10" not in str(event.after)  # no raw row is kept


def test_problems_are_named_by_file_line_and_column_and_nothing_is_stored(engine, session,
                                                                           tmp_path):
    start_pilot(session)
    good = write(tmp_path / "good.csv", "created,replied,desk\n"
                 "2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n")
    bad = write(tmp_path / "bad.csv", "created,replied,desk\n"
                "2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n"
                "yesterday,2026-01-05T09:10:00,fast\n"
                "2026-01-05T09:00:00,2026-01-05T09:10:00,vip\n"
                "2026-01-05T09:00:00,soon,usual\n"
                "2026-01-05T09:00:00,fast\n")
    message = refusal(engine, parse(SHARE), good, bad)
    assert message.splitlines() == [
        f"{bad}: line 3, column created: must be an ISO 8601 time such as "
        "2026-01-05T09:30:00, not 'yesterday'",
        f"{bad}: line 4, column desk: 'vip' is not a arm the mapping knows (fast, usual; "
        "set others = \"skip\" to leave such rows out)",
        f"{bad}: line 5, column replied: must be an ISO 8601 time such as "
        "2026-01-05T09:30:00, not 'soon'",
        f"{bad}: line 6: has 2 fields but the header has 3"]
    assert stored(engine) == {}


def test_a_missing_column_and_a_wrong_pilot_or_kind_are_refused(engine, session, tmp_path):
    start_pilot(session)
    path = write(tmp_path / "t.csv", "created,desk\n2026-01-05T09:00:00,fast\n")
    assert refusal(engine, parse(SHARE), path) == \
        f"{path}: line 1, column replied: column the mapping reads is missing from the header"
    path = write(tmp_path / "t.csv", "created,replied,desk\n"
                 "2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n")
    twice = write(tmp_path / "twice.csv", path.read_text() + path.read_text().split("\n", 1)[1])
    assert refusal(engine, parse(SHARE.replace('"x-care-1h"', '"nope"')), twice) == \
        f"{twice}: line 2, column pilot: no pilot 'nope'"  # once, at its first line
    wrong_kind = SHARE.replace('"churn-90d"', '"cost-per-contact"')
    assert refusal(engine, parse(wrong_kind), path) == (
        f"{path}: line 2, column metric: metric 'cost-per-contact' of pilot 'x-care-1h' is "
        "a mean, but the mapping computes a proportion")


def test_an_aggregate_contradicting_a_stored_row_names_its_first_raw_line(engine, session,
                                                                           tmp_path):
    start_pilot(session)
    header = "created,replied,desk\n"
    first = write(tmp_path / "a.csv", header + "2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n")
    import_raw(engine, mapping=parse(SHARE), sources=[first], actor=ACTOR)
    more = write(tmp_path / "b.csv", header + "\n2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n"
                 "2026-01-06T09:00:00,2026-01-06T09:10:00,fast\n")
    message = refusal(engine, parse(SHARE), more)
    assert message.startswith(f"{more}: line 3, column successes: contradicts the stored row")
    import_raw(engine, mapping=parse(SHARE), sources=[more], actor=ACTOR, correct=True)
    assert stored(engine)["churn-90d", "pilot", "during", "2026-01-05"].trials == 2


@pytest.mark.parametrize(("text", "expected"), [
    ("pilot = 1", "pilot"),
    (SHARE.replace("at_most = 60", "equals = \"x\""),
     "metrics[#1].share: minutes are compared with numeric bounds"),
    (SHARE.replace('"pilot"', '"treatment"'), "arm.values must map to pilot or control"),
    (SHARE.replace('column = "created"', 'column = "created"\ntimezone = "Mars/Olympus"'),
     "timezone 'Mars/Olympus' is not an IANA time zone name"),
    (SHARE.replace('blank = "fail"', 'blank = "fail"\nexposure = { rows = true }'),
     "a count needs an exposure, and only a count has one"),
    (SHARE + SHARE[SHARE.index("[[metrics]]"):], "metric churn-90d is mapped twice"),
    (SHARE.replace("[time]", "[time]\ncolour = 1"), "time.colour: unknown key (not part of "
                                                    "the mapping schema)"),
    ("pilot = [", "not valid TOML"),
])
def test_a_bad_mapping_is_refused_by_key(text, expected):
    with pytest.raises(MappingError) as caught:
        parse(text, "m.toml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("m.toml: ")


def test_lab_import_with_a_mapping(runner, session, tmp_path):
    start_example(session, "x-care-1h")
    result = runner.invoke(import_command, ["--mapping", str(EXAMPLES / "ticketing.toml"),
                                            str(EXAMPLES / "tickets.csv")])
    assert result.exit_code == 0, result.output
    assert "tickets.csv: 10 raw rows into 8 rows: 8 inserted, 0 unchanged, 0 corrected" \
        in result.output
    session.rollback()
    assert session.exec(select(Pilot)).first().key == "x-care-1h"


def test_lab_import_refuses_a_bad_mapping_and_imports_nothing(runner, session, tmp_path):
    start_example(session, "x-care-1h")
    mapping = write(tmp_path / "m.toml", "pilot = 3\n")
    result = runner.invoke(import_command, ["--mapping", str(mapping),
                                            str(EXAMPLES / "tickets.csv")])
    assert result.exit_code == 1
    assert f"nothing was imported:\n{mapping}: " in result.output


def test_an_arm_the_design_lacks_is_named_by_its_column(engine, session, tmp_path):
    start_pilot(session)
    text = SHARE.replace('"usual" = "control"', '"usual" = "control"').replace(
        'pilot = "x-care-1h"', 'pilot = "x-care-1h"\nphase = "before"')
    path = write(tmp_path / "t.csv", "created,replied,desk\n"
                 "2026-01-05T09:00:00,2026-01-05T09:10:00,fast\n")
    assert refusal(engine, parse(text), path) == (
        f"{path}: line 2, column phase: pilot 'x-care-1h' has a holdout design: it has no "
        "pilot arm in the before phase")


def test_the_readme_mapping_is_valid():
    readme = (PLANS.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Raw exports through a mapping"):]
    text = section[section.index("```toml") + 7:section.index("```\n")]
    assert [rule.kind for rule in parse(text).mapping.metrics] == [
        "proportion", "mean", "rate"]


MONTHLY = """
pilot = "x-care-1h"
arm = "pilot"

[time]
column = "at"
period = "PERIOD"
week_start = "sunday"

[[metrics]]
metric = "cost-per-contact"
mean = { column = "cost" }
"""


@pytest.mark.parametrize(("period", "expected"), [
    ("week", ["2026-01-04", "2026-01-11"]),  # weeks start on Sunday here
    ("month", ["2026-01-01"]),
    ("day", ["2026-01-09", "2026-01-10", "2026-01-11"]),
])
def test_periods_are_days_weeks_or_months(engine, session, tmp_path, period, expected):
    start_pilot(session)
    path = write(tmp_path / "t.csv", "at,cost\n2026-01-09T10:00:00,1e9\n"
                 "2026-01-10T10:00:00,1000000001\n2026-01-11T10:00:00,1000000002.5\n")
    import_raw(engine, mapping=parse(MONTHLY.replace("PERIOD", period)), sources=[path],
               actor=ACTOR)
    rows = stored(engine)
    assert sorted(key[3] for key in rows) == expected
    if period == "month":  # the shifted sums keep a mean of large values exact
        only = rows["cost-per-contact", "pilot", "during", "2026-01-01"]
        assert (only.mean, only.sd) == (pytest.approx(1_000_000_001.1666666),
                                        pytest.approx(1.2583057, rel=1e-6))


def test_an_overlong_line_an_empty_file_and_a_bad_number_are_refused(engine, session,
                                                                       tmp_path):
    start_pilot(session)
    mapping = parse(MONTHLY.replace("PERIOD", "week"))
    long = write(tmp_path / "long.csv", "at,cost\n2026-01-09T10:00:00," + "9" * 100_001 + "\n")
    empty = write(tmp_path / "empty.csv", "")
    bad = write(tmp_path / "bad.csv", "at,cost\n2026-01-09T10:00:00,nan\n"
                "2026-01-09T10:00:00,twelve\n2026-01-09T10:00:00,\n")
    assert refusal(engine, mapping, long, empty, bad).splitlines() == [
        f"{long}: line 2: is longer than 100,000 characters; no raw export's row "
        "needs that many",
        f"{empty}: line 1: empty: a raw export needs a header line and rows",
        f"{bad}: line 2, column cost: must be a finite number, not 'nan'",
        f"{bad}: line 3, column cost: must be a number, not 'twelve'",
        f"{bad}: line 4, column cost: blank: the mapping refuses blank cells here (set "
        "blank = \"skip\" to leave such rows out)"]


def test_progress_hears_bytes_and_rows_of_each_file(engine, session):
    start_example(session, "x-care-1h")
    heard = []
    import_raw(engine, mapping=load(EXAMPLES / "ticketing.toml"),
               sources=[EXAMPLES / "tickets.csv"], actor=ACTOR,
               progress=lambda done, rows: heard.append((done, rows)))
    assert sum(rows for _, rows in heard) == 10
    assert sum(done for done, _ in heard) == (EXAMPLES / "tickets.csv").stat().st_size
