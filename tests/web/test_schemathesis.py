"""Schemathesis against the generated OpenAPI document, in process.

For every operation, positive cases (on a real pilot and on random keys) and negative
cases: no 5xx, invalid input rejected with a 4xx, statuses, content types and bodies as
the document says. Bounded to a few examples each, derandomized so a run repeats.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from lab import accounts
from lab.web import (
    programmeapi,  # noqa: F401 - declares its operations on the API's
    standbyapi,  # noqa: F401 - and so does this one
)
from lab.web.api import api, bp
from tests.web.conftest import write

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
OPERATIONS = [f"{operation.method} {bp.url_prefix}"
              + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", operation.rule)
              for operation in api.operations]
EXAMPLES = 5


@pytest.fixture
def admin_token(app) -> str:
    """An admin's API token: admin includes every role, so no operation is off limits."""
    def create(session):
        user = accounts.add_user(session, email="admin@lab.example", password="x" * 12,
                                 role="admin", actor="test")
        return accounts.create_token(session, user=user, name="schemathesis")[1]
    return write(app, create)


def run(strategy, headers: dict) -> None:
    """Call the app with every case the strategy draws and validate each answer."""
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def test_every_operation_in_the_document_is_tested(client):
    document = client.get("/api/v1/openapi.json").json
    listed = {f"{method.upper()} {path}" for path, item in document["paths"].items()
              for method in item}
    assert listed == set(OPERATIONS)


@pytest.mark.slow
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_keeps_its_document(app, running, admin_token, label):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_label(label)
    headers = {"Authorization": f"Bearer {admin_token}"}
    if "{key}" in label:
        run(operation.as_strategy(path_parameters={"key": running}), headers)
    run(operation.as_strategy(), headers)
    run(operation.as_strategy(GenerationMode.NEGATIVE), headers)
