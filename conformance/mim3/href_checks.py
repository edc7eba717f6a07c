"""href integrity of a created TM Forum resource (v4 and v5 alike): the href in the create, retrieve and
list answers names the resource at the host and API root the client used, and following it answers the
resource. Another host is a FAIL; following the href never sends anything to a host outside the profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.recording import origin_of


def href_problem(href: Any, expected: str, base: str) -> str | None:
    """Why the href does not name the resource at `expected` (None: it does)."""
    if not isinstance(href, str) or not href:
        return f"href {href!r} is not a non-empty string"
    absolute = urljoin(base, href)
    parts, want = urlsplit(absolute), urlsplit(expected)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return f"href {href!r} is not an http(s) URI"
    if origin_of(absolute) != origin_of(expected):
        return f"href {href!r} names host {origin_of(absolute)}, not {origin_of(expected)} the client used"
    if unquote(parts.path).rstrip("/") != unquote(want.path).rstrip("/"):
        return f"href {href!r} names path {parts.path}, not {want.path} (the resource at the root the client used)"
    return None


def check_hrefs(
    get: Callable[..., requests.Response],
    created: requests.Response,
    collection: str,
    expected: str,
    identifier: str,
    name: str,
    case_evidence: CaseEvidence,
) -> None:
    """The hrefs of the created resource ``identifier`` (a ``name``) in the create answer, its retrieve at
    ``expected`` and the ``collection`` filtered on its id; then its href is followed."""
    answers = [("create", created, checks.json_object(created))]
    retrieved = get(expected)
    if retrieved.status_code == 200:
        answers.append(("retrieve", retrieved, checks.json_object(retrieved)))
    listed = get(collection, params={"id": identifier})
    if listed.status_code in (200, 206):
        mine = [i for i in checks.json_array(listed) if isinstance(i, dict) and i.get("id") == identifier]
        answers += [("list", listed, item) for item in mine]
    relative = False
    for operation, resp, body in answers:
        href = checks.member(f"{operation} answer of a {name}", body, "href")
        problem = href_problem(href, expected, resp.url or collection)
        if problem:
            checks.fail(f"the {operation} answer of a {name}: {problem}", exchange=checks.where(resp))
        relative = relative or not urlsplit(str(href)).netloc
    # the href is on the host the client used (a profile host): following it sends nothing elsewhere
    followed = get(urljoin(created.url or collection, str(answers[0][2]["href"])))
    checks.status_is(followed, 200)
    checks.equal(f"the {name} at its href: id", checks.json_object(followed).get("id"), identifier)
    case_evidence.note(
        "href given as a relative reference, resolved against the request URL"
        if relative
        else "href given as an absolute URI"
    )
