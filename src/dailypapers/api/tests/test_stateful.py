"""Schemathesis, stateful: chains of calls along the OpenAPI links, with a token that writes.

On a populated catalog (tests/conftest.py), a scenario starts from a list or a
search and follows the links (views._links_to_the_paper) to the papers the
answers name: reading them, upvoting, withdrawing, submitting them to the
daily list; and the library's calls (collections, follows, dismissals) along the
links schemathesis infers between them. Every answer is held to its documented schema
and status codes,
with a few malformed requests mixed in; none may be a 5xx.
"""

from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st

from dailypapers.search import backends
from dailypapers.wsgi import application

from .conftest import TOPICS

pytestmark = pytest.mark.django_db

# The reader's library (issue 13), explored by a state machine of its own: sharing one
# with the papers' calls, 40 scenarios seldom reached a submission.
LIBRARY = r"^/api/(collections|me/)|/dismiss$"

# Each state machine's write operations, and the success that shows a scenario reached
# it with real data.
WRITES = {
    "papers": {
        "POST /api/papers/{arxiv_id}/upvote": 200,
        "DELETE /api/papers/{arxiv_id}/upvote": 200,
        "POST /api/daily_papers": 201,
    },
    "library": {
        "POST /api/collections": 201,
        "POST /api/me/follows": 201,
    },
}

# Queries whose best hit is a recent paper that no list has yet (tests/conftest.py).
RECENT_TOPICS = [f"recent {topic}" for topic in TOPICS]


@pytest.fixture(params=WRITES)
def workflow(request, catalog, wsgi, arxiv_stand_in):
    """A state machine, its part of the API, and what it saw: (operation, status) counts
    and failed checks."""
    whole = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    part = request.param
    if part == "library":
        # Its calls, and the lists and searches that lead to papers to put in collections.
        schema = whole.include(path_regex=LIBRARY + r"|^/api/(papers/search|daily_papers)$")
    else:
        schema = whole.exclude(path_regex=LIBRARY)

    @schema.hook
    def before_generate_query(context, strategy):
        # Random search queries seldom find anything: some ask for the catalog's
        # papers that are not on a list yet, so that submitting one can succeed.
        if context.operation.path == "/api/papers/search":
            return strategy | st.sampled_from(RECENT_TOPICS).map(lambda q: {"q": q})
        return strategy

    seen: Counter[tuple[str, int]] = Counter()
    failures: list[BaseException] = []

    auth = {"Authorization": f"Bearer {catalog.token}"}

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            case.headers = {**(case.headers or {}), **auth}

        def after_call(self, response, case):
            super().after_call(response, case)
            seen[case.operation.label, response.status_code] += 1

        # Every scenario starts from the same catalog, libraries and cached answers: an
        # upvote, a submission or a collection left by the one before would change what
        # the next one draws, and hypothesis replays a scenario expecting the same draws.
        # The engines go too: pgvector's table, made by a scenario's first search, is
        # rolled back with it.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            cache.clear()
            backends.reset()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(
                    response,
                    additional_checks=additional_checks,
                    # Given, not generated: the checks also try the call without it.
                    headers=auth,
                    # Every check but "a schema-valid request is accepted": the schema cannot
                    # say that date, week and month exclude each other, nor which papers exist.
                    excluded_checks=[schemathesis.checks.positive_data_acceptance],
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except BaseException as failure:
                failures.append(failure)
                raise

    return part, Workflow, seen, failures


def test_chains_of_calls_with_a_token_conform_to_the_schema(workflow, campaign):
    part, machine, seen, failures = workflow
    scenarios = campaign.size(40, 400)
    machine.run(
        settings=settings(
            machine.TestCase.settings,
            max_examples=scenarios,
            stateful_step_count=6,
            derandomize=True,  # the same scenarios every run: CI must not flake
        )
    )
    calls = sum(seen.values())
    server_errors = sum(n for (_, status), n in seen.items() if status >= 500)
    expected = WRITES[part]
    writes = sum(n for (label, _), n in seen.items() if label in expected)
    succeeded = {label: seen[label, status] for label, status in expected.items()}
    campaign.record(
        f"{part}: {scenarios} stateful scenarios, {calls} calls ({writes} writes: "
        + ", ".join(f"{label} {n}x {expected[label]}" for label, n in succeeded.items())
        + ")",
        f"{len(failures)} failed checks, {server_errors} 5xx",
    )
    assert failures == [] and server_errors == 0
    # The links led to real papers: every write succeeded at least once.
    assert all(succeeded.values()), seen
