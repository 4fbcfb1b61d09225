"""Notes marked as supporting or contradicting the hypothesis: domain, web, API."""

from __future__ import annotations

from datetime import date

import pytest

from lab.errors import Invalid, NotFound
from lab.pilots import audit, evidence, stances
from tests.factories import ACTOR, start_pilot


@pytest.fixture
def notes(session):
    pilot = start_pilot(session)
    made = [evidence.add_note(session, pilot_key=pilot.key, kind=kind, noted_on=date(2026, 2, d),
                              source="desk", text=text, actor=ACTOR)
            for d, kind, text in ((2, "customer-voice", "Thanks for the quick answer"),
                                  (9, "frontline-voice", "Too many replies to keep up"),
                                  (16, "risk", "Weekend cover is thin"))]
    session.commit()
    return pilot, made


def test_mark_change_and_unmark_each_audited(session, notes):
    pilot, (happy, tired, _) = notes
    stances.mark(session, note_id=happy.id, stance="supports", actor=ACTOR)
    stances.mark(session, note_id=tired.id, stance="supports", actor=ACTOR)
    stances.mark(session, note_id=tired.id, stance="contradicts", actor="kim@x.example")
    assert stances.of_pilot(session, pilot.id) == {happy.id: "supports",
                                                   tired.id: "contradicts"}
    marked = stances.marked_notes(session, pilot.id)
    assert [n.text for n in marked["contradicts"]] == ["Too many replies to keep up"]
    stances.mark(session, note_id=happy.id, stance=None, actor=ACTOR)
    assert stances.of_pilot(session, pilot.id) == {tired.id: "contradicts"}
    events = audit.events(session, object_key=pilot.key, action="note.stance")
    assert [(e.before["stance"], e.after["stance"]) for e in events] == [
        (None, "supports"), (None, "supports"), ("supports", "contradicts"),
        ("supports", None)]


def test_a_bad_stance_or_note_is_refused(session, notes):
    _, (happy, *_) = notes
    with pytest.raises(Invalid) as raised:
        stances.mark(session, note_id=happy.id, stance="maybe", actor=ACTOR)
    assert raised.value.problems[0][0] == "stance"
    with pytest.raises(NotFound, match="no note 999"):
        stances.mark(session, note_id=999, stance="supports", actor=ACTOR)


def test_members_mark_on_the_pilot_page_and_the_card_lists_them(app, signed_in, people,
                                                                 notes):
    from lab.pilots import decisions
    from tests.web.conftest import csrf_token, post_form, write

    _, (happy, tired, _) = notes
    member = signed_in("member")
    assert post_form(member, f"/notes/{happy.id}/stance", {"stance": "supports"}) \
        .status_code == 302
    page = member.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "supports the hypothesis</span>" in page
    assert post_form(signed_in("viewer"), f"/notes/{tired.id}/stance",
                     {"stance": "contradicts"}).status_code == 403
    api = signed_in("analyst")
    marked = api.post(f"/api/v1/notes/{tired.id}/stance", json={"stance": "contradicts"},
                      headers={"X-CSRFToken": csrf_token(api, "/account")})
    assert marked.get_json() == {"note": tired.id, "pilot": "x-care-1h",
                                 "stance": "contradicts"}
    listed = api.get("/api/v1/pilots/x-care-1h/notes").get_json()["notes"]
    assert {note["text"]: note["stance"] for note in listed} == {
        "Thanks for the quick answer": "supports", "Too many replies to keep up": "contradicts",
        "Weekend cover is thin": None}
    bad = api.post(f"/api/v1/notes/{tired.id}/stance", json={"stance": "maybe"},
                   headers={"X-CSRFToken": csrf_token(api, "/account")})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "stance"
    write(app, lambda s: decisions.sign_off(
        s, pilot_key="x-care-1h", outcome="withdraw", rationale="staffing",
        decided_by=people["manager"], recommendation={"outcome": "continue"}))
    card = signed_in("manager").get("/learnings/x-care-1h").get_data(as_text=True)
    assert "Notes for and against" in card and "Too many replies to keep up" in card
    shown = signed_in("member").get("/api/v1/learnings/x-care-1h").get_json()
    assert (shown["supporting"], shown["contradicting"]) == (
        ["Thanks for the quick answer"], ["Too many replies to keep up"])
