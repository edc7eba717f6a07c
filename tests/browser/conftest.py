"""Headless Chromium for the page tests: skipped, with the reason, when Chromium, its driver or
selenium is missing. The viewport is fixed at 1,024 x 800 CSS pixels, and a listener records every
Content-Security-Policy violation and every script error from the first byte of each page on."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit"))  # handmade_certs

WIDTH, HEIGHT = 1024, 800

_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
window.__scriptErrors = [];
window.addEventListener('error', function (e) { window.__scriptErrors.push(String(e.message)); });
"""


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if names[0] == "chromium" and Path(path).is_file():
            return path
    return None


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A private temporary folder (pytest's own basetemp may be pruned by a concurrent pytest session
    on a shared machine while a slow test still reads from it)."""
    with tempfile.TemporaryDirectory(prefix="mimcheck-browser-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    chromium = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip(
            "Chromium or chromedriver is not installed (.ci/run installs Debian's chromium and chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}",
        "--allow-file-access-from-files",
    ):
        options.add_argument(arg)
    # An explicit driver path: selenium never goes looking for (or downloading) one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _CSP_LISTENER})
        yield driver
    finally:
        driver.quit()
