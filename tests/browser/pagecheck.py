"""What every page test checks in the browser: no horizontal scroll at 1,024 px, nothing loaded from
outside the file, links into the run folder resolve, and the page prints on A4. A PNG of each page is
kept under reports/browser/ (git-ignored) for people to look at."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "reports" / "browser"
A4_INCHES = (8.27, 11.69)


def open_page(driver: Any, path: Path) -> None:
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def horizontal_overflow(driver: Any) -> list[str]:
    """The page's width beyond the viewport, and the elements sticking out on the right (empty when
    nothing scrolls sideways)."""
    return driver.execute_script(
        """
        var w = document.documentElement.clientWidth, out = [];
        if (document.documentElement.scrollWidth > w) out.push('page ' + document.documentElement.scrollWidth + ' > ' + w);
        document.querySelectorAll('body *').forEach(function (el) {
          var r = el.getBoundingClientRect();
          if (r.width && r.right > w + 1 && out.length < 12) out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
        });
        return out;
        """
    )


def outside_loads(driver: Any) -> list[str]:
    """Everything the page tried to load: resource timing entries (the file itself is not one) and
    Content-Security-Policy violations recorded by the listener installed before the page ran."""
    entries = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    violations = driver.execute_script("return window.__cspViolations || []")
    return list(entries) + list(violations)


def script_errors(driver: Any) -> list[str]:
    """Uncaught errors of the page's own script (recorded by the listener installed before it ran)."""
    return list(driver.execute_script("return window.__scriptErrors || []"))


def csp(driver: Any) -> str:
    return driver.execute_script(
        "var m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]');"
        "return m ? m.getAttribute('content') : ''"
    )


def local_links(driver: Any, selector: str) -> list[Path]:
    """The files the page's matching links point to (file: URLs, percent-decoded)."""
    hrefs = driver.execute_script(
        f"return Array.from(document.querySelectorAll({selector!r})).map(function (a) {{ return a.href; }})"
    )
    paths = []
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file", href
        paths.append(Path(unquote(url.path)))
    return paths


def visible_texts(driver: Any, selector: str) -> list[str]:
    return [el.text for el in driver.find_elements("css selector", selector) if el.is_displayed()]


def print_pdf(driver: Any) -> tuple[bytes, int]:
    """The page printed on A4 by Chrome (DevTools Page.printToPDF) and its page count."""
    result = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {
            "paperWidth": A4_INCHES[0],
            "paperHeight": A4_INCHES[1],
            "preferCSSPageSize": True,
            "printBackground": True,
        },
    )
    pdf = base64.b64decode(result["data"])
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    return pdf, pages


def pdf_page_size(pdf: bytes) -> tuple[float, float]:
    """The MediaBox of the first page, in points."""
    match = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert match, "no MediaBox in the PDF"
    return float(match.group(1)), float(match.group(2))


def screenshot(driver: Any, name: str, max_height: int = 6000) -> Path:
    """A PNG of the page at 1,024 px, as far down as max_height, and one of its first screen, kept
    under reports/browser/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = min(int(driver.execute_script("return document.documentElement.scrollHeight")), max_height)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1024, "height": height, "scale": 1},
        },
    )
    path = SHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    top = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})  # the first screen
    (SHOTS / f"{name}-top.png").write_bytes(base64.b64decode(top["data"]))
    return path


def emulate_print(driver: Any, on: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print" if on else ""})
