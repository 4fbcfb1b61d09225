"""lab.pilots.observations: the CSV import checks every row, streams, and is all or nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlmodel import select

from lab import db
from lab.models import Observation
from lab.pilots import audit, lifecycle
from lab.pilots.observations import (
    ObservationError,
    import_csv,
    import_files,
    importer,
    record_observations,
)
from tests.factories import ACTOR, observation_rows, register_pilot, start_pilot, write_csv

HEADER = "pilot,metric,arm,phase,period,successes,trials,n,mean,sd,events,exposure"
GOOD = "x-care-1h,churn-90d,pilot,during,2026-01-05,40,400,,,,,"


def stored(engine) -> list[Observation]:
    with db.reading(engine) as session:
        return list(session.exec(select(Observation).order_by(Observation.id)))


def refusal(engine, text: str, **kwargs) -> ObservationError:
    with pytest.raises(ObservationError) as caught:
        import_csv(engine, source=io.StringIO(text), actor=ACTOR, **kwargs)
    return caught.value


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join((header,) + lines) + "\n"


@pytest.fixture
def running(session):
    return start_pilot(session)


def test_a_file_is_imported_row_by_row(engine, running, tmp_path):
    rows = observation_rows()
    result = import_csv(engine, source=write_csv(tmp_path / "w.csv", rows), actor=ACTOR)
    assert (result.rows, result.inserted, result.unchanged, result.corrected) == (24, 24, 0, 0)
    first = stored(engine)[0]
    assert (first.arm, first.phase, str(first.period), first.successes, first.trials,
            first.n) == ("pilot", "during", "2026-01-05", 40, 400, None)
    means = [o for o in stored(engine) if o.mean is not None]
    assert (means[0].n, means[0].mean, means[0].sd) == (300, 12.5, 3.25)


def test_reimporting_the_same_rows_changes_nothing(engine, running, tmp_path):
    path = write_csv(tmp_path / "w.csv", observation_rows())
    import_csv(engine, source=path, actor=ACTOR)
    before = [(o.id, o.successes, o.mean) for o in stored(engine)]
    result = import_csv(engine, source=path, actor=ACTOR)
    assert (result.inserted, result.unchanged, result.corrected) == (0, 24, 0)
    assert result.describe().endswith("24 rows: 0 inserted, 24 unchanged, 0 corrected")
    assert [(o.id, o.successes, o.mean) for o in stored(engine)] == before


def test_a_contradicting_row_is_refused_and_nothing_is_written(engine, running, tmp_path):
    rows = observation_rows(periods=1)
    import_csv(engine, source=write_csv(tmp_path / "a.csv", rows), actor=ACTOR)
    changed = observation_rows(periods=2)
    changed[0]["successes"] = 41
    error = refusal(engine, (write_csv(tmp_path / "b.csv", changed)).read_text())
    assert error.problems[0].line == 2 and error.problems[0].column == "successes"
    assert "contradicts the stored row (successes 40, trials 400; this row: successes 41, " \
           "trials 400)" in error.problems[0].message
    assert "--correct" in error.problems[0].message
    assert len(stored(engine)) == 6  # the new period of b.csv did not go in


def test_correct_replaces_the_row_and_audits_before_and_after(engine, running, tmp_path):
    import_csv(engine, source=write_csv(tmp_path / "a.csv", observation_rows()), actor=ACTOR)
    changed = observation_rows()
    changed[2]["mean"], changed[2]["sd"] = 13.0, 3.5
    result = import_csv(engine, source=write_csv(tmp_path / "b.csv", changed), actor=ACTOR,
                        correct=True)
    assert (result.inserted, result.unchanged, result.corrected) == (0, 23, 1)
    assert [(o.mean, o.sd) for o in stored(engine) if o.mean is not None][0] == (13.0, 3.5)
    with db.reading(engine) as session:
        [event] = audit.events(session, action="correct")
    assert event.object_key == "x-care-1h/cost-per-contact/pilot/during/2026-01-05"
    assert event.before == {"n": 300, "mean": 12.5, "sd": 3.25}
    assert event.after == {"n": 300, "mean": 13.0, "sd": 3.5}
    assert event.actor == ACTOR


def test_the_import_itself_is_audited(engine, running, tmp_path):
    import_csv(engine, source=write_csv(tmp_path / "a.csv", observation_rows()), actor=ACTOR)
    with db.reading(engine) as session:
        [event] = audit.events(session, action="import")
    assert event.after["inserted"] == 24 and event.object_key.endswith("a.csv")


@pytest.mark.parametrize(("row", "column", "message"), [
    ("nobody,churn-90d,pilot,during,2026-01-05,1,2,,,,,", "pilot", "no pilot 'nobody'"),
    ("x-care-1h,nps,pilot,during,2026-01-05,1,2,,,,,", "metric",
     "pilot 'x-care-1h' has no metric 'nps' (it has churn-90d, complaints, cost-per-contact)"),
    ("x-care-1h,churn-90d,treatment,during,2026-01-05,1,2,,,,,", "arm",
     "must be pilot or control, not 'treatment'"),
    ("x-care-1h,churn-90d,pilot,after,2026-01-05,1,2,,,,,", "phase",
     "must be before or during, not 'after'"),
    ("x-care-1h,churn-90d,pilot,before,2026-01-05,1,2,,,,,", "phase",
     "pilot 'x-care-1h' has a holdout design: it has no before phase"),
    ("x-care-1h,churn-90d,pilot,during,05/01/2026,1,2,,,,,", "period",
     "must be an ISO date (YYYY-MM-DD), not '05/01/2026'"),
    ("x-care-1h,churn-90d,pilot,during,2026-02-30,1,2,,,,,", "period",
     "must be an ISO date (YYYY-MM-DD), not '2026-02-30'"),
    ("x-care-1h,churn-90d,pilot,during,2026-01-05,,400,,,,,", "successes",
     "missing: proportion metric 'churn-90d' needs successes"),
    ("x-care-1h,churn-90d,pilot,during,2026-01-05,12.5,400,,,,,", "successes",
     "must be a whole number, not '12.5'"),
    ("x-care-1h,churn-90d,pilot,during,2026-01-05,-1,400,,,,,", "successes",
     "must be at least 0, not -1"),
    ("x-care-1h,churn-90d,pilot,during,2026-01-05,401,400,,,,,", "successes",
     "401 successes exceed 400 trials"),
    ("x-care-1h,churn-90d,pilot,during,2026-01-05,1,400,,,,3,", "events",
     "must be blank: metric 'churn-90d' is a proportion"),
    ("x-care-1h,cost-per-contact,pilot,during,2026-01-05,,,0,12,3,,", "n",
     "must be at least 1, not 0"),
    ("x-care-1h,cost-per-contact,pilot,during,2026-01-05,,,10,12,-3,,", "sd",
     "must be at least 0, not -3"),
    ("x-care-1h,cost-per-contact,pilot,during,2026-01-05,,,10,nan,3,,", "mean",
     "must be a finite number, not 'nan'"),
    ("x-care-1h,cost-per-contact,pilot,during,2026-01-05,,,10,inf,3,,", "mean",
     "must be a finite number, not 'inf'"),
    ("x-care-1h,cost-per-contact,pilot,during,2026-01-05,,,10,twelve,3,,", "mean",
     "must be a number, not 'twelve'"),
    ("x-care-1h,complaints,pilot,during,2026-01-05,,,,,,-2,100", "events",
     "must be at least 0, not -2"),
    ("x-care-1h,complaints,pilot,during,2026-01-05,,,,,,2,0", "events",
     "2 events with 0 exposure: a period without exposure has no events"),
    ("x-care-1h,complaints,pilot,during,2026-01-05,,,,,,0,-1", "exposure",
     "must be at least 0, not -1"),
    ("x-care-1h,complaints,pilot,during,2026-01-05,,,,,,2.5,10", "events",
     "must be a whole number, not '2.5'"),
    ("x-care-1h,complaints,pilot,during,2026-01-05,,,,,,99999999999999999999,10", "events",
     "must be at most"),
    ("x-care-1h,churn-90d,pilot,during,2026-01-05,1,2", "",
     "has 7 fields but the header has 12"),
])
def test_each_bad_row_is_refused_with_line_column_and_reason(engine, running, row, column,
                                                              message):
    error = refusal(engine, csv_text(GOOD, row))
    assert [(p.line, p.column) for p in error.problems] == [(3, column)]
    assert message in error.problems[0].message
    assert f"upload: line 3{', column ' + column if column else ''}: {message}" in str(error)
    assert stored(engine) == []


def test_rows_for_a_draft_or_closed_pilot_are_refused(engine, session):
    register_pilot(session)
    error = refusal(engine, csv_text(GOOD))
    assert error.problems[0].message == ("pilot 'x-care-1h' is draft: metrics are logged "
                                         "only while it runs (start it first)")
    pilot = lifecycle.start(session, pilot_key="x-care-1h", actor=ACTOR)
    lifecycle.transition(session, pilot=pilot, to="withdrawn", actor=ACTOR)
    session.commit()
    assert "is withdrawn: metrics are logged only while it runs (it is closed)" in str(
        refusal(engine, csv_text(GOOD)))


def test_a_baseline_pilot_has_no_control_rows(engine, session):
    start_pilot(session, pilot={"design": "baseline"})
    error = refusal(engine, csv_text(GOOD.replace(",pilot,", ",control,")))
    assert error.problems[0].message == ("pilot 'x-care-1h' has a baseline design: it has "
                                         "no control arm")


def test_diff_in_diff_takes_before_and_during(engine, session):
    start_pilot(session, pilot={"design": "diff-in-diff"})
    rows = observation_rows(phase="before", start=date(2025, 12, 1)) + observation_rows()
    assert import_csv(engine, source=io.StringIO(_csv(rows)), actor=ACTOR).inserted == 48


def test_duplicate_keys_within_the_file_are_refused(engine, running):
    error = refusal(engine, csv_text(GOOD, GOOD.replace(",40,", ",41,")))
    assert [(p.line, p.message) for p in error.problems] == [
        (3, "repeats the key (pilot, metric, arm, phase, period) of line 2")]
    assert stored(engine) == []


@pytest.mark.parametrize(("header", "column", "message"), [
    (HEADER + ",comment", "comment", "unknown column"),
    (HEADER.replace("period", "week"), "week", "unknown column"),
    (HEADER + ",trials", "trials", "column appears twice in the header"),
])
def test_header_problems_are_refused(engine, running, header, column, message):
    error = refusal(engine, csv_text(GOOD + ",", header=header))
    assert any(p.line == 1 and p.column == column and message in p.message
               for p in error.problems), error.problems


def test_a_required_column_missing_from_the_header(engine, running):
    error = refusal(engine, csv_text("x-care-1h,churn-90d,during,2026-01-05,1,2",
                                     header="pilot,metric,phase,period,successes,trials"))
    assert (1, "arm", "column missing from the header") in error.problems


def test_a_value_column_missing_from_the_header(engine, running):
    text = csv_text("x-care-1h,churn-90d,pilot,2026-01-05,1,2",
                    "x-care-1h,complaints,pilot,2026-01-05,3,4",
                    header="pilot,metric,arm,period,successes,trials")
    error = refusal(engine, text)
    assert [(p.line, p.column) for p in error.problems] == [
        (3, "events"), (3, "exposure"), (3, "successes"), (3, "trials")]
    assert "column missing from the header: rate metric 'complaints' needs it" in str(error)


def test_phase_defaults_to_during_and_extra_blank_columns_are_fine(engine, running):
    text = csv_text("x-care-1h,churn-90d,pilot,2026-01-05,40,400,,",
                    header=" Pilot ,Metric,ARM,period,successes,trials,n,exposure")
    assert import_csv(engine, source=io.StringIO(text), actor=ACTOR).inserted == 1
    assert stored(engine)[0].phase == "during"


def test_all_problems_are_reported_up_to_the_limit(engine, running):
    bad = [f"x-care-1h,churn-90d,pilot,during,2026-01-05,{i},x,,,,," for i in range(80)]
    error = refusal(engine, csv_text(*bad))
    assert len(error.problems) == 50 and error.truncated
    assert [p.line for p in error.problems] == list(range(2, 52))
    assert str(error).endswith("upload: stopped looking after 50 problems")


def test_empty_unreadable_and_missing_files_are_refused(engine, running, tmp_path):
    assert "empty: a CSV file needs a header line and rows" in str(refusal(engine, ""))
    assert "not readable as CSV" in str(refusal(engine, csv_text('x-care-1h,"churn')))
    latin = tmp_path / "latin.csv"
    latin.write_bytes((csv_text(GOOD) + "x-care-1h,caf\xe9\n").encode("latin-1"))
    with pytest.raises(ObservationError, match="not UTF-8 text"):
        import_csv(engine, source=latin, actor=ACTOR)
    with pytest.raises(ObservationError, match="nope.csv: cannot be read"):
        import_csv(engine, source=tmp_path / "nope.csv", actor=ACTOR)


def test_a_byte_order_mark_is_ignored(engine, running, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(GOOD).encode())
    assert import_csv(engine, source=path, actor=ACTOR).inserted == 1


def test_several_files_are_all_or_nothing(engine, running, tmp_path):
    good = write_csv(tmp_path / "good.csv", observation_rows())
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(GOOD.replace("2026-01-05", "2026-13-05")))
    with pytest.raises(ObservationError) as caught:
        import_files(engine, sources=[good, bad], actor=ACTOR)
    assert f"{bad}: line 2, column period" in str(caught.value)
    assert stored(engine) == []
    other = write_csv(tmp_path / "other.csv", observation_rows(start=_week(8)))
    results = import_files(engine, sources=[good, other], actor=ACTOR)
    assert [r.inserted for r in results] == [24, 24]


def test_a_key_repeated_across_files_names_the_other_file(engine, running, tmp_path):
    a = write_csv(tmp_path / "a.csv", observation_rows(periods=1))
    import_csv(engine, source=a, actor=ACTOR)
    b = write_csv(tmp_path / "b.csv", observation_rows(periods=1))
    with pytest.raises(ObservationError) as caught:
        import_files(engine, sources=[a, b], actor=ACTOR)
    assert f"{b}: line 2: repeats the key (pilot, metric, arm, phase, period) of {a} " \
           "line 2" in str(caught.value)


class TestStreaming:
    """Chunks of 5 rows: behaviour must not depend on where chunks fall."""

    @pytest.fixture(autouse=True)
    def small_chunks(self, monkeypatch):
        monkeypatch.setattr(importer, "CHUNK_ROWS", 5)

    def test_rows_go_in_chunk_by_chunk(self, engine, running, tmp_path):
        path = write_csv(tmp_path / "a.csv", observation_rows(periods=10))
        assert import_csv(engine, source=path, actor=ACTOR).inserted == 60
        again = import_csv(engine, source=path, actor=ACTOR)
        assert (again.inserted, again.unchanged) == (0, 60)

    def test_a_late_problem_rolls_back_earlier_chunks(self, engine, running, tmp_path):
        rows = observation_rows(periods=10)
        rows[-1]["exposure"] = -1
        with pytest.raises(ObservationError, match="line 61, column exposure"):
            import_csv(engine, source=write_csv(tmp_path / "a.csv", rows), actor=ACTOR)
        assert stored(engine) == []

    def test_a_repeat_in_a_later_chunk_is_found(self, engine, running, tmp_path):
        rows = observation_rows(periods=10)
        rows.append(dict(rows[0]))
        with pytest.raises(ObservationError) as caught:
            import_csv(engine, source=write_csv(tmp_path / "a.csv", rows), actor=ACTOR)
        assert [(p.line, p.message) for p in caught.value.problems] == [
            (62, "repeats the key (pilot, metric, arm, phase, period) of an earlier row of "
                 "this import")]

    def test_a_repeat_of_a_stored_row_in_a_later_chunk_is_found(self, engine, running,
                                                                 tmp_path):
        rows = observation_rows(periods=2)
        import_csv(engine, source=write_csv(tmp_path / "a.csv", rows), actor=ACTOR)
        with pytest.raises(ObservationError) as caught:
            import_csv(engine, source=write_csv(tmp_path / "b.csv", rows + [rows[0]]),
                       actor=ACTOR)
        assert [(p.line, p.message) for p in caught.value.problems] == [
            (14, "repeats the key (pilot, metric, arm, phase, period) of line 2")]

    def test_new_unchanged_and_corrected_rows_mixed(self, engine, running, tmp_path):
        rows = observation_rows(periods=4)
        import_csv(engine, source=write_csv(tmp_path / "a.csv", rows[:12]), actor=ACTOR)
        rows[10]["events"] = 99
        result = import_csv(engine, source=write_csv(tmp_path / "b.csv", rows), actor=ACTOR,
                            correct=True)
        assert (result.inserted, result.unchanged, result.corrected) == (12, 11, 1)


def test_progress_reports_every_byte(engine, running, tmp_path):
    path = write_csv(tmp_path / "a.csv", observation_rows(periods=10))
    seen = []
    import_csv(engine, source=path, actor=ACTOR, progress=seen.append)
    assert sum(seen) == path.stat().st_size


def test_record_observations_checks_rows_like_the_csv(engine, running):
    rows = observation_rows(periods=1)
    with db.writing(engine) as session:
        result = record_observations(session, rows=rows, actor=ACTOR, source="form")
    assert result.inserted == 6
    bad = [{**rows[0], "period": "2026-02-02", "successes": 500}]
    with pytest.raises(ObservationError) as caught, db.writing(engine) as session:
        record_observations(session, rows=bad, actor=ACTOR)
    assert str(caught.value) == "request: line 1, column successes: 500 successes exceed " \
                                "400 trials"
    with db.writing(engine) as session:
        again = record_observations(session, rows=rows, actor=ACTOR)
    assert again.unchanged == 6 and len(stored(engine)) == 6


def test_record_observations_refuses_unknown_fields_and_floats_for_counts(engine, running):
    row = {"pilot": "x-care-1h", "metric": "churn-90d", "arm": "pilot",
           "period": "2026-01-05", "successes": 40.0, "trials": 400, "colour": "red"}
    with pytest.raises(ObservationError) as caught, db.writing(engine) as session:
        record_observations(session, rows=[row], actor=ACTOR)
    assert caught.value.problems[0][:2] == (1, "colour")


def _week(weeks: int):
    from datetime import date, timedelta

    return date(2026, 1, 5) + timedelta(weeks=weeks)


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    import csv

    from tests.factories import CSV_COLUMNS

    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
