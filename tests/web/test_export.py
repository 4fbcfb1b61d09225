"""CSV cells a spreadsheet opens as data, never as formulas."""

from __future__ import annotations

import csv
import io

import pytest

from lab.web.export import safe_cell, to_csv


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_be_a_formula_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "written"), [
    ("plain", "plain"), ("a=b", "a=b"), (None, ""), (True, "true"), (3, "3"),
    (-0.25, "-0.25"), (float("nan"), ""),
])
def test_other_values_are_written_as_they_are(value, written):
    assert safe_cell(value) == written


def test_to_csv_defuses_every_cell_and_quotes_as_csv_needs():
    text = to_csv(["a", "b"], [["=cmd|' /C calc'!A0", 'say "hi", then go']])
    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "b"], ["'=cmd|' /C calc'!A0", 'say "hi", then go']]
