"""Browser tests: Debian's Chromium driven by Playwright (no browser download)."""

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ViewportSize

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORTS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}
LANGUAGES = ("zh-hans", "en")

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# test makes between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class Browser:
    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", lambda m: self._console(page.url, m))
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))

    def _console(self, url: str, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{url}: {message.text}")

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def language(self, language: str) -> None:
        self.page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": self.base_url}]
        )

    def wait_for(self, expression: str, timeout_ms: int = 15_000) -> None:
        """Page.wait_for_function evaluates its predicate with eval inside the
        page, which the Content-Security-Policy forbids (as it should); this
        asks from outside the page instead."""
        waited = 0
        while not self.page.evaluate(expression):
            assert waited < timeout_ms, f"still false after {timeout_ms} ms: {expression}"
            self.page.wait_for_timeout(50)
            waited += 50

    def staff_sign_in(self, username: str, password: str) -> None:
        """The password, then the second factor: on a first sign-in the key the
        enrolment page shows goes into an "app" (a TOTP computed here), whose
        code confirms it; the recovery codes page leads on to where staff went."""
        page = self.page
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        self.staff_enrol()

    def staff_enrol(self) -> None:
        """From the enrolment page on: the key into an "app", its code, and on
        past the recovery codes."""
        from base64 import b32decode

        from django_otp.oath import totp

        page = self.page
        key = b32decode(page.inner_text("main p code").replace(" ", ""))
        page.fill("#id_token", f"{totp(key):06d}")
        page.click("main button[type=submit]")
        assert page.locator("ul.codes li").count() == 10
        page.click("main a.button")

    def shoot(self, name: str, prepare=None) -> None:
        """This page in both languages and both viewports. ``prepare`` brings the
        page back to the state to show (by default, reloading it)."""
        prepare = prepare or self.page.reload
        # A click that navigates returns before the new page has loaded.
        self.page.wait_for_load_state()
        for language in LANGUAGES:
            self.language(language)
            for viewport, size in VIEWPORTS.items():
                self.page.set_viewport_size(size)
                prepare()
                self.page.screenshot(
                    path=str(SHOTS / f"{name}-{language}-{viewport}.png"), full_page=True
                )
        self.language("en")
        self.page.set_viewport_size(VIEWPORTS["phone"])
        prepare()


@pytest.fixture
def browser(live_server):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # CI installs Chromium (.ci/run), so there a missing browser is a failure.
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = chromium.new_context(viewport=VIEWPORTS["phone"], locale="en-US")
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        yield Browser(context.new_page(), live_server.url)
        # Inside Playwright's sync API the test's ORM calls run in a context of
        # their own, with a database connection that the test database's
        # teardown cannot reach: PostgreSQL then refused to drop it, "being
        # accessed by other users". Closed here, in that context.
        connections.close_all()
        context.close()
        chromium.close()
