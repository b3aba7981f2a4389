"""A real browser (Debian's Chromium driven by Playwright) against the whole system, started as
the end-to-end tests start it (tests/e2e/conftest.py: the Procfile's processes on a private
RabbitMQ vhost and private PostgreSQL databases).

Run with `--confcutdir=tests/browser` (scripts/test does): the top-level conftest.py patches the
test process with eventlet for the services' integration tests, and Playwright's own event loop
does not run under that patching."""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E = ROOT / "tests" / "e2e"
sys.path.insert(0, str(E2E))  # e2e_helpers: the outbox as a person reads it, captcha answers

PATCHED = "eventlet" in sys.modules and sys.modules["eventlet"].patcher.is_monkey_patched("socket")


def pytest_collection_modifyitems(config, items):
    if PATCHED:  # e.g. a bare `pytest` at the top: skipped, visibly, rather than hanging
        skip = pytest.mark.skip(reason="browser tests run with --confcutdir=tests/browser (scripts/test does)")
        for item in items:
            if Path(str(item.path)).is_relative_to(Path(__file__).parent):
                item.add_marker(skip)

from consignations_shared.testing import amqp_uri, postgres_database  # noqa: E402,F401  (fixtures)

_spec = importlib.util.spec_from_file_location("e2e_system", E2E / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
system = _e2e.system  # the session fixture of the end-to-end tests

CHROMIUM = os.environ.get("BROWSER_EXECUTABLE", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AUDITS = ROOT / "test-artifacts" / "accessibility"
# axe-core from the npm registry, installed by scripts/lib.sh ensure_chromium (locked version).
AXE = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# RGAA 4 follows WCAG 2.1 AA; best practices too. Only serious and critical problems fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


class Person:
    """One person at their own browser: a fresh context (cookies, storage), French, and
    screenshots of the pages worth looking at, numbered in the order of the scenario."""

    def __init__(self, browser, system, scenario: str):
        self.context = browser.new_context(locale="fr-FR", viewport={"width": 1200, "height": 900})
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.errors: list[str] = []
        self.system = system
        self.scenario = scenario
        self.shots = 0
        self.violations: list[str] = []

    def open(self, path: str):
        self.page.goto(self.system.url(path))
        return self.page

    def shot(self, name: str) -> None:
        """A screenshot of the page as it is, and its accessibility audit (every page worth a
        screenshot is worth auditing: no extra navigation, no extra login)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        safe = re.sub(r"[^a-z0-9-]+", "-", name.lower())
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.scenario}-{self.shots:02d}-{safe}.png"), full_page=True)
        self.audit(f"{self.scenario}-{self.shots:02d}-{safe}")

    def audit(self, name: str) -> None:
        """axe-core on the page (run through the DevTools protocol, so the page's CSP stays as
        served); its serious and critical violations are kept for close(), all of them written to
        test-artifacts/accessibility/NAME.json."""
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing: scripts/test installs axe-core (scripts/lib.sh ensure_chromium)")
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(_axe_source())
        found = self.page.evaluate(
            """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                         resultTypes: ["violations"]})).violations
                 .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary}))}))""",
            AXE_TAGS)
        AUDITS.mkdir(parents=True, exist_ok=True)
        (AUDITS / f"{name}.json").write_text(json.dumps({"url": self.page.url, "violations": found},
                                                        ensure_ascii=False, indent=1))
        for violation in found:
            if violation["impact"] in BLOCKING:
                targets = "; ".join(n["target"] for n in violation["nodes"][:5])
                self.violations.append(f'{name}: {violation["id"]} ({violation["impact"]}) {violation["help"]} — {targets}')

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"script errors in the page: {self.errors}"
        assert not self.violations, "accessibility (axe-core):\n" + "\n".join(self.violations)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def person(browser, system, request):
    people = []

    def make(scenario: str) -> Person:
        people.append(Person(browser, system, scenario))
        return people[-1]

    yield make
    for one in people:
        one.close()
