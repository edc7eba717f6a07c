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
