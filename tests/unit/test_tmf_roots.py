"""Where the suite looks for a TM Forum API: below the MIM3 base URL, and for TMF676 (whose v4
swagger's basePath is /payment/v4, without /tmf-api) also below the server root."""

from __future__ import annotations

from conformance.preflight import _tmf_urls
from conformance.tmf.api import root_candidates


def test_root_candidates() -> None:
    assert root_candidates("http://h/tmf-api/", "tmf620") == ["http://h/tmf-api/productCatalogManagement/v4"]
    assert root_candidates("http://h/tmf-api", "tmf676") == [
        "http://h/tmf-api/payment/v4",
        "http://h/payment/v4",
    ]
    # a base URL that is not .../tmf-api has nothing to fall back to
    assert root_candidates("http://h/apis", "tmf676") == ["http://h/apis/payment/v4"]


def test_preflight_probes_the_swagger_basepath_second() -> None:
    assert _tmf_urls("http://h/tmf-api", "tmf676", "/payment/v4/payment") == [
        "http://h/tmf-api/payment/v4/payment",
        "http://h/payment/v4/payment",
    ]
    assert _tmf_urls("http://h/tmf-api", "tmf633", "/serviceCatalogManagement/v4/serviceCatalog") == [
        "http://h/tmf-api/serviceCatalogManagement/v4/serviceCatalog"
    ]


class _Answer:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class _StubTmf:
    """Answers a PATCH carrying @type with `with_type`, any other with 200."""

    def __init__(self, with_type: int) -> None:
        self.with_type = with_type
        self.sent: list[dict] = []

    def patch(self, url: str, body: dict) -> _Answer:
        self.sent.append(body)
        return _Answer(self.with_type if "@type" in body else 200)


def test_tmf670_patch_falls_back_without_type() -> None:
    """TMF670 v4.0.0 exists in two files: one's PaymentMethod_Update requires @type, the other's skips
    it. A target refusing @type in a patch gets the same patch without it."""
    from conformance.mim3 import cases
    from conformance.tmf.resources import RESOURCES

    method = next(r for r in RESOURCES if r.name == "paymentMethod")
    now = {"id": "1", "@type": "Cash", "name": "n", "description": "d"}
    notes: list[str] = []
    refusing = _StubTmf(400)
    resp = cases.send_patch(refusing, method, "u", now, {"description": "e"}, note=notes.append)  # type: ignore[arg-type]
    assert resp.status_code == 200 and len(notes) == 1
    assert refusing.sent == [
        {"@type": "Cash", "name": "n", "description": "e"},
        {"name": "n", "description": "e"},
    ]
    accepting = _StubTmf(200)
    assert cases.send_patch(accepting, method, "u", now, {"description": "e"}).status_code == 200  # type: ignore[arg-type]
    assert len(accepting.sent) == 1
    # a refusal of the change itself (here: id) is not retried when nothing disputed is in the way
    order = next(r for r in RESOURCES if r.name == "resourceOrder")
    other = _StubTmf(400)
    cases.send_patch(other, order, "u", now, {"id": "x"})  # type: ignore[arg-type]
    assert len(other.sent) == 1
