"""Requirements: declared once, at the scenario that checks them; the catalogue is built from code.

A scenario declares what it checks with the ``requirement`` decorator::

    @requirement("MIM1-ENT-001", clause="5.6.1", level="MUST",
                 title="Create Entity answers 201 Created with a Location header")
    def test_create_answers_201(...): ...

The MIM and the spec follow from the id's prefix unless given. The catalogue
(``mimcheck requirements``) lists every requirement with the pytest node ids of its cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from conformance.capabilities import CAPABILITIES

Level = Literal["MUST", "SHOULD", "MAY"]
LEVELS: tuple[str, ...] = ("MUST", "SHOULD", "MAY")

SPEC_NGSILD = "ETSI GS CIM 009 V1.8.1"
SPEC_NGSILD_19 = "ETSI GS CIM 009 V1.9.1"
SPEC_SDM = "Smart Data Models"
SPEC_TMF620 = "TMF620 Product Catalog Management v4.0.0"
SPEC_TMF622 = "TMF622 Product Ordering Management v4.0.0"
SPEC_TMF629 = "TMF629 Customer Management v4.0.0"
SPEC_TMF632 = "TMF632 Party Management v4.0.0"
SPEC_TMF637 = "TMF637 Product Inventory Management v4.0.0"
SPEC_TMF638 = "TMF638 Service Inventory Management v4.0.0"
SPEC_TMF639 = "TMF639 Resource Inventory Management v4.0.0"
SPEC_TMF641 = "TMF641 Service Ordering Management v4.0.0"
SPEC_TMF633 = "TMF633 Service Catalog Management v4.0.0"
SPEC_TMF634 = "TMF634 Resource Catalog Management v4.0.0"
SPEC_TMF652 = "TMF652 Resource Ordering Management v4.0.0"
SPEC_TMF670 = "TMF670 Payment Methods v4.0.0"
SPEC_TMF676 = "TMF676 Payment Management v4.0.0"

DEFAULT_SPEC: dict[str, str] = {"mim1": SPEC_NGSILD, "mim2": SPEC_SDM, "mim3": SPEC_TMF620}

SPEC_LINKS: dict[str, str] = {
    SPEC_NGSILD: "https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/01.08.01_60/gs_CIM009v010801p.pdf",
    SPEC_NGSILD_19: "https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/01.09.01_60/gs_CIM009v010901p.pdf",
    SPEC_SDM: "https://smartdatamodels.org/",
    SPEC_TMF620: "https://www.tmforum.org/oda/open-apis/directory/product-catalog-management-api-TMF620/v4.0",
    SPEC_TMF622: "https://www.tmforum.org/oda/open-apis/directory/product-ordering-management-api-TMF622/v4.0",
    SPEC_TMF629: "https://www.tmforum.org/oda/open-apis/directory/customer-management-api-TMF629/v4.0",
    SPEC_TMF632: "https://www.tmforum.org/oda/open-apis/directory/party-management-api-TMF632/v4.0",
    SPEC_TMF637: "https://www.tmforum.org/oda/open-apis/directory/product-inventory-management-api-TMF637/v4.0",
    SPEC_TMF638: "https://www.tmforum.org/oda/open-apis/directory/service-inventory-management-api-TMF638/v4.0",
    SPEC_TMF639: "https://www.tmforum.org/oda/open-apis/directory/resource-inventory-management-api-TMF639/v4.0",
    SPEC_TMF641: "https://www.tmforum.org/oda/open-apis/directory/service-ordering-management-api-TMF641/v4.0",
    SPEC_TMF633: "https://www.tmforum.org/oda/open-apis/directory/service-catalog-management-api-TMF633/v4.0",
    SPEC_TMF634: "https://www.tmforum.org/oda/open-apis/directory/resource-catalog-management-api-TMF634/v4.0",
    SPEC_TMF652: "https://www.tmforum.org/oda/open-apis/directory/resource-ordering-management-api-TMF652/v4.0",
    SPEC_TMF670: "https://www.tmforum.org/oda/open-apis/directory/payment-methods-api-TMF670/v4.0",
    SPEC_TMF676: "https://www.tmforum.org/oda/open-apis/directory/payment-management-api-TMF676/v4.0",
}

# Areas group requirements in reports (Allure feature). The id's middle segment names the area.
AREAS: dict[str, str] = {
    "ENT": "Entities",
    "ATTR": "Attributes",
    "QRY": "Query",
    "GEO": "Geo-query",
    "BATCH": "Batch operations",
    "CTX": "JSON-LD @context",
    "TEN": "Multi-tenancy",
    "DISC": "Discovery",
    "ERR": "Errors",
    "SUB": "Subscriptions",
    "NTF": "Notifications",
    "CSR": "Context source registrations",
    "TEMP": "Temporal API",
    "LNK": "Linked entity retrieval",
    "DST": "Distributed operations",
    "EMAP": "Entity maps",
    "SDM": "Smart Data Models",
    "CAT": "Product catalog (TMF620)",
    "ORD": "Product ordering (TMF622)",
    "PTY": "Party (TMF632)",
    "CUS": "Customer (TMF629)",
    "INV": "Inventories (TMF637/638/639)",
    "SOR": "Service ordering (TMF641)",
    "SCA": "Service catalog (TMF633)",
    "RCA": "Resource catalog (TMF634)",
    "ROR": "Resource ordering (TMF652)",
    "PMT": "Payment methods (TMF670)",
    "PAY": "Payment management (TMF676)",
    "RSP": "TM Forum responses: swagger response schemas and href integrity (MIM3)",
    "HUB": "TM Forum event hubs and listeners (TMF630 notifications, MIM3)",
    "V5": "TM Forum Open APIs v5 (OpenAPI 3; MIM3)",
}

ID_PATTERN = re.compile(r"^MIM([123])-([A-Z][A-Z0-9]*)-(\d{3})$")


class RequirementError(ValueError):
    """A requirement declaration is malformed; raised at import time of the scenario module."""


@dataclass(frozen=True)
class Requirement:
    id: str
    mim: str
    spec: str
    clause: str
    level: str
    capability: str | None
    title: str

    @property
    def area(self) -> str:
        match = ID_PATTERN.match(self.id)
        assert match is not None
        return AREAS[match.group(2)]

    @property
    def spec_link(self) -> str:
        return SPEC_LINKS.get(self.spec, "")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mim": self.mim,
            "area": self.area,
            "spec": self.spec,
            "clause": self.clause,
            "level": self.level,
            "capability": self.capability,
            "title": self.title,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Requirement:
        return cls(
            id=data["id"],
            mim=data["mim"],
            spec=data["spec"],
            clause=data["clause"],
            level=data["level"],
            capability=data.get("capability"),
            title=data["title"],
        )


def declare(
    id: str,
    *,
    clause: str,
    level: Level,
    title: str,
    capability: str | None = None,
    spec: str | None = None,
) -> Requirement:
    """Validate one declaration and return it."""
    match = ID_PATTERN.match(id)
    if match is None:
        raise RequirementError(f"requirement id {id!r} must look like MIM1-ENT-001")
    mim = f"mim{match.group(1)}"
    if match.group(2) not in AREAS:
        raise RequirementError(f"requirement {id}: unknown area {match.group(2)!r}; add it to AREAS")
    if level not in LEVELS:
        raise RequirementError(f"requirement {id}: level must be one of {LEVELS}, not {level!r}")
    if capability is not None and capability not in CAPABILITIES:
        raise RequirementError(f"requirement {id}: unknown capability {capability!r}")
    if not clause or not title:
        raise RequirementError(f"requirement {id}: clause and title are required")
    return Requirement(
        id=id,
        mim=mim,
        spec=spec or DEFAULT_SPEC[mim],
        clause=clause,
        level=level,
        capability=capability,
        title=title,
    )


def requirement(id: str, **meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the scenario below checks this requirement (declared here and nowhere else)."""
    req = declare(id, **meta)
    return pytest.mark.requirement(req)


def of_item(item: pytest.Item) -> Requirement | None:
    """The requirement a collected test case checks, if any."""
    marker = item.get_closest_marker("requirement")
    if marker is None or not marker.args or not isinstance(marker.args[0], Requirement):
        return None
    return marker.args[0]


def param_id(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.id if callspec is not None else None


def case_id_of(item: pytest.Item) -> str | None:
    """The stable case id of a collected test case (requirement id plus parameter id), if any."""
    req = of_item(item)
    if req is None:
        return None
    pid = param_id(item)
    return f"{req.id}[{pid}]" if pid else req.id


@dataclass
class CatalogueEntry:
    requirement: Requirement
    cases: list[str] = field(default_factory=list)  # stable case ids
    tests: list[str] = field(default_factory=list)  # pytest node ids, in the same order
    declared_at: str = ""

    def to_json(self) -> dict[str, Any]:
        data = self.requirement.to_json()
        data["cases"] = list(self.cases)
        data["tests"] = list(self.tests)
        return data


def build_catalogue(items: Iterable[pytest.Item]) -> list[CatalogueEntry]:
    """Group collected test cases by requirement; a requirement declared at two places is an error,
    and so are two cases with the same case id."""
    entries: dict[str, CatalogueEntry] = {}
    for item in items:
        req = of_item(item)
        if req is None:
            continue
        where = f"{item.module.__name__}.{getattr(item, 'originalname', item.name)}"  # type: ignore[attr-defined]
        entry = entries.get(req.id)
        if entry is None:
            entry = entries[req.id] = CatalogueEntry(requirement=req, declared_at=where)
        elif entry.declared_at != where:
            raise RequirementError(
                f"requirement {req.id} is declared twice: at {entry.declared_at} and at {where}"
            )
        case = case_id_of(item)
        assert case is not None
        if case in entry.cases:
            raise RequirementError(
                f"case id {case} is given to two test cases; make the parameter ids unique"
            )
        entry.cases.append(case)
        entry.tests.append(item.nodeid)
    return sorted(entries.values(), key=lambda e: e.requirement.id)


def _cell(text: Any) -> str:
    """A markdown table cell: pipes escaped, line breaks folded."""
    return str(text if text is not None else "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(catalogue: list[CatalogueEntry], generator: str) -> str:
    """The requirement catalogue as a markdown page (docs/requirements.md)."""
    lines = [
        "# Requirement catalogue",
        "",
        f"Generated by `mimcheck requirements --format markdown` ({generator}) from the",
        "declarations in the scenarios; do not edit by hand.",
        "",
        "| Id | MIM | Spec | Clause | Level | Capability | Title | Cases |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in catalogue:
        r = entry.requirement
        cells = [r.id, r.mim, r.spec, r.clause, r.level, r.capability or "", r.title, len(entry.cases)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    clauses = {(e.requirement.spec, e.requirement.clause) for e in catalogue}
    lines += [
        "",
        f"{len(catalogue)} requirements, {len(clauses)} distinct clauses, "
        f"{sum(len(e.cases) for e in catalogue)} test cases.",
        "",
    ]
    return "\n".join(lines)
