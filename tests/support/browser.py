"""Debian's Chromium driven by Playwright (no browser download: `executable_path`), with a
screenshot of every page a test visits under var/screenshots/ and a record of what must never
happen on our pages (dialogs, script errors, CSP violations)."""

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page plus everything it did that a test may want to refuse."""

    page: Page
    prefix: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shots: int = 0

    def shot(self, name: str) -> Path:
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.prefix}-{self.shots:02d}-{re.sub(r'[^a-z0-9-]+', '-', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def watch(browser: Browser, prefix: str, *, width: int = 1280) -> Watched:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    watched = Watched(context.new_page(), prefix)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    watched.page.on("dialog", on_dialog)
    watched.page.on("console", on_console)
    watched.page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    return watched


def sign_in(watched: Watched, base_url: str, token: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/app/")
    page.get_by_label("API token").fill(token)
    watched.shot("sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Projects").wait_for()
