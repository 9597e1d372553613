"""The reliability campaign's figures, and its ``--long`` mode (docs/reliability.md).

A pytest plugin, named in pyproject's ``addopts``, so that ``--long`` is known
before any conftest is read. A campaign test asks ``campaign.size(short, long)``
how many clients, kill points or examples to use, and reports what it measured
with ``campaign.record(...)``; the figures are printed in a table at the end of
the run, and written as JSON lines to ``$DAILYPAPERS_RELIABILITY_FIGURES`` when set.
"""

import json
import os
from dataclasses import asdict, dataclass

import pytest

FIGURES = pytest.StashKey[list["Figure"]]()


@dataclass(frozen=True)
class Figure:
    test: str
    tried: str
    result: str


class Campaign:
    def __init__(self, test: str, long: bool, figures: list[Figure]) -> None:
        self.test = test
        self.long = long
        self._figures = figures

    def size(self, short: int, long: int) -> int:
        """``short`` in CI, ``long`` with ``pytest --long``."""
        return long if self.long else short

    def record(self, tried: str, result: str) -> None:
        """What the test did (clients, kill points, examples) and what came out of it."""
        self._figures.append(Figure(self.test, tried, result))
        print(f"{self.test}: {tried} -> {result}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        help="run the reliability campaign at its long size: more clients, kill points, examples",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[FIGURES] = []


@pytest.fixture
def campaign(request: pytest.FixtureRequest) -> Campaign:
    config = request.config
    return Campaign(request.node.name, config.getoption("--long"), config.stash[FIGURES])


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    figures = config.stash[FIGURES]
    if not figures:
        return
    terminalreporter.section("reliability figures")
    for figure in figures:
        terminalreporter.write_line(f"{figure.test}: {figure.tried} -> {figure.result}")
    if path := os.environ.get("DAILYPAPERS_RELIABILITY_FIGURES"):
        with open(path, "a", encoding="utf-8") as out:
            for figure in figures:
                out.write(json.dumps(asdict(figure)) + "\n")
