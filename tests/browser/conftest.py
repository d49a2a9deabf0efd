"""Browser tests drive Debian's Chromium through Playwright (no browser download).

They skip, saying why, when no Chromium is found; with CIVICGRID_REQUIRE_BROWSER=1
(as .ci/run sets) a missing browser is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("CIVICGRID_DATA_DIR", "var")) / "screenshots"


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CIVICGRID_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        message = (
            "no Chromium found (install Debian's 'chromium' or set CIVICGRID_CHROMIUM): "
            "browser tests skipped"
        )
        if os.environ.get("CIVICGRID_REQUIRE_BROWSER") == "1":
            pytest.fail(message.replace("skipped", "required by CIVICGRID_REQUIRE_BROWSER=1"))
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((live_server.url, "data:")) else outside.append(r.url),
    )
    yield page
    context.close()
    assert not outside, f"the page asked for something beyond this server: {outside}"


REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile);
});
"""


@pytest.fixture
def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda m: (
            found.append(m.text)
            if "CSP violation" in m.text or "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: found.append(f"script error: {e}"))
    return found


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
