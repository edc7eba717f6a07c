"""`mimcheck tender TENDER.toml PACKAGE...`: check bids against what a city requires.

A tender file states clauses (MIMs, TM Forum APIs, NGSI-LD capabilities, Smart Data Models, minimum
suite version, maximum certificate age, load figures) under [requires] (mandatory) and [desired]
(reported, never decisive), and names each bid: the product its certificate must name and its
package. Each bid's package is verified first; a bid whose package fails verification, or whose
certificate names another product, is rejected with the reason. Each clause is then met, not met
or not evidenced, with the requirement ids behind the answer. Exit 0 when at least one bid meets
every mandatory clause, 1 when none does, 2 for a bad tender file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.admission import Admitted, admit, rejected
from conformance.runcontext import usage
from conformance.toml_files import bad_key, read_toml, table

MET, NOT_MET, NOT_EVIDENCED = "met", "not met", "not evidenced"
CLAUSE_KEYS = {
    "mims",
    "tmf_apis",
    "ngsild_capabilities",
    "smart_data_models",
    "min_suite_version",
    "max_certificate_age_days",
    "load",
}
LOAD_KEYS = {"throughput_rps", "p95_ms"}
TENDER_KEYS = {"name", "reference", "as_of", "accept_partial_runs"}
BID_KEYS = {"name", "package"}
_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")


@dataclass
class Clause:
    """One thing the tender asks: ``kind`` (mim, capability, suite-version, certificate-age, load)."""

    kind: str
    subject: str  # the MIM, the capability, the version, the days, or the load figures
    mandatory: bool
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return {
            "mim": f"{self.subject.upper()} conformant",
            "capability": f"capability {self.subject}",
            "suite-version": f"suite version >= {self.subject}",
            "certificate-age": f"certificate at most {self.subject} days old",
            "load": f"load: {self.subject}",
        }[self.kind]


@dataclass
class Bid:
    name: str
    package: str


@dataclass
class Tender:
    name: str
    clauses: list[Clause]
    bids: list[Bid]
    as_of: dt.date
    reference: str = ""
    accept_partial_runs: bool = False


_err = bad_key


def _names(source: Path, where: str, value: Any, pattern: str, what: str) -> list[str]:
    from conformance.capabilities import CAPABILITIES

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(source, where, f"expected a list of {what}")
    for v in value:
        if not re.match(pattern, v):
            raise _err(source, where, f"{v!r} is not {what}")
        if where.split(".")[-1] != "mims" and v not in CAPABILITIES:
            raise _err(source, where, f"{v!r} is not a capability this suite knows (`mimcheck capabilities`)")
    return list(value)


def _clauses(source: Path, table: str, data: Any, mandatory: bool) -> list[Clause]:
    if not isinstance(data, dict):
        raise _err(source, table, "expected a table")
    bad = sorted(set(data) - CLAUSE_KEYS)
    if bad:
        raise _err(
            source, f"{table}.{bad[0]}", f"unknown key; expected one of {', '.join(sorted(CLAUSE_KEYS))}"
        )
    out: list[Clause] = []
    patterns = (
        ("mims", r"^mim[123]$", "a MIM (mim1, mim2, mim3)", "mim"),
        ("tmf_apis", r"^tmf\d{3}$", "a TM Forum API capability (tmf620, ...)", "capability"),
        ("ngsild_capabilities", r"^ngsild-", "an NGSI-LD capability (ngsild-...)", "capability"),
        ("smart_data_models", r"^sdm-", "a Smart Data Models capability (sdm-...)", "capability"),
    )
    for key, pattern, what, kind in patterns:
        if key in data:
            for name in _names(source, f"{table}.{key}", data[key], pattern, what):
                out.append(Clause(kind, name, mandatory))
    if "min_suite_version" in data:
        v = data["min_suite_version"]
        if not isinstance(v, str) or not _VERSION.match(v):
            raise _err(source, f"{table}.min_suite_version", 'expected a version string such as "0.2.0"')
        out.append(Clause("suite-version", v, mandatory))
    if "max_certificate_age_days" in data:
        days = data["max_certificate_age_days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise _err(source, f"{table}.max_certificate_age_days", "expected a whole number of days >= 0")
        out.append(Clause("certificate-age", str(days), mandatory))
    if "load" in data:
        load = data["load"]
        if not isinstance(load, dict) or not load:
            raise _err(source, f"{table}.load", "expected a table with throughput_rps and/or p95_ms")
        bad = sorted(set(load) - LOAD_KEYS)
        if bad:
            raise _err(source, f"{table}.load.{bad[0]}", "unknown key; expected throughput_rps and p95_ms")
        figures: dict[str, float] = {}
        for k, v in load.items():
            if not isinstance(v, int | float) or isinstance(v, bool) or v <= 0:
                raise _err(source, f"{table}.load.{k}", "expected a positive number")
            figures[k] = float(v)
        subject = " at ".join(
            x
            for x in (
                f">= {figures['throughput_rps']:g} requests/s" if "throughput_rps" in figures else "",
                f"p95 <= {figures['p95_ms']:g} ms" if "p95_ms" in figures else "",
            )
            if x
        )
        out.append(Clause("load", subject, mandatory, figures))
    return out


def load_tender(path: str) -> Tender:
    """Read and check a tender file; every error is one line naming the file and the key."""
    source = Path(path)
    data = read_toml(source)
    bad = sorted(set(data) - {"tender", "requires", "desired", "bid"})
    if bad:
        raise _err(source, bad[0], "unknown table; expected [tender], [requires], [desired] and [[bid]]")
    head = table(source, data, "tender", TENDER_KEYS)
    name = head.get("name", source.stem)
    if not isinstance(name, str) or not name.strip():
        raise _err(source, "tender.name", "expected a non-empty string")
    as_of = head.get("as_of", dt.datetime.now(dt.UTC).date())
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, dt.date):
        raise _err(source, "tender.as_of", "expected a date (as_of = 2027-01-31)")
    partial = head.get("accept_partial_runs", False)
    if not isinstance(partial, bool):
        raise _err(source, "tender.accept_partial_runs", "expected true or false")
    if "requires" not in data:
        raise _err(
            source, "requires", "missing: a tender states at least one mandatory clause under [requires]"
        )
    clauses = _clauses(source, "requires", data["requires"], True)
    if not clauses:
        raise _err(source, "requires", "empty: state at least one mandatory clause")
    if "desired" in data:
        clauses += _clauses(source, "desired", data["desired"], False)
    bids_data = data.get("bid")
    if not isinstance(bids_data, list) or not bids_data:
        raise _err(source, "bid", "expected at least one [[bid]] with name and package")
    bids: list[Bid] = []
    for n, entry in enumerate(bids_data, 1):
        bad = sorted(set(entry) - BID_KEYS)
        if bad:
            raise _err(source, f"bid #{n}.{bad[0]}", "unknown key; expected name and package")
        for key in ("name", "package"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise _err(source, f"bid #{n}.{key}", "expected a non-empty string")
        bids.append(Bid(entry["name"], entry["package"]))
    for key in ("name", "package"):
        values = [getattr(b, key) if key == "name" else Path(b.package).name for b in bids]
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise _err(source, f"bid.{key}", f"{twice[0]!r} is named by two bids")
    return Tender(name, clauses, bids, as_of, str(head.get("reference", "")), partial)


def match_packages(tender: Tender, packages: list[str]) -> dict[str, str]:
    """Each PACKAGE argument to the bid naming it (by file name); a package no bid names is an error."""
    by_name = {Path(b.package).name: b.name for b in tender.bids}
    matched: dict[str, str] = {}
    for p in packages:
        bid = by_name.get(Path(p).name)
        if bid is None:
            raise usage(
                f"{p}: no [[bid]] of the tender names this package; expected one of {', '.join(sorted(by_name))}"
            )
        if bid in matched:
            raise usage(f"{p}: bid {bid!r} was given two packages ({matched[bid]} and {p})")
        matched[bid] = p
    return matched


def admit_bids(tender: Tender, packages: list[str], public_key: str | None = None) -> dict[str, Admitted]:
    matched = match_packages(tender, packages)
    result: dict[str, Admitted] = {}
    for bid in tender.bids:
        if bid.name not in matched:
            result[bid.name] = rejected(bid.package, "no package given for this bid")
            continue
        a = admit(matched[bid.name], None, public_key)
        if a.ok and a.product != bid.name:
            a.reason = f"the certificate names the product {a.product!r}, not {bid.name!r} as the bid does"
        result[bid.name] = a
    return result


def render_json(tender: Tender, outcomes: list[Any]) -> str:
    return json.dumps(
        {
            "tender": {
                "name": tender.name,
                "reference": tender.reference,
                "as_of": tender.as_of.isoformat(),
                "accept_partial_runs": tender.accept_partial_runs,
                "clauses": [
                    {"clause": c.label, "kind": c.kind, "mandatory": c.mandatory} for c in tender.clauses
                ],
            },
            "bids": [o.to_json() for o in outcomes],
            "accepted": [o.bid for o in outcomes if o.accepted],
        },
        indent=2,
    )


def cmd_tender(ns: argparse.Namespace) -> int:
    from conformance.tender_check import evaluate_bid
    from conformance.tender_html import render_tender_html

    tender = load_tender(ns.tender)
    admitted = admit_bids(tender, ns.packages, ns.key)
    outcomes = [evaluate_bid(tender, bid.name, admitted[bid.name]) for bid in tender.bids]
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tender.json").write_text(render_json(tender, outcomes) + "\n", encoding="utf-8")
    (out / "tender.html").write_text(render_tender_html(tender, outcomes), encoding="utf-8")
    for o in outcomes:
        print(f"{o.bid}: {o.status}" + (f": {o.reasons[0]}" if o.reasons else ""))
        for reason in o.reasons[1:]:
            print(f"  also: {reason}")
    print(f"tender: {out / 'tender.html'} and {out / 'tender.json'}")
    return 0 if any(o.accepted for o in outcomes) else 1


def add_tender_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tender",
        help="check bids' packages against a tender's clauses: met / not met / not evidenced, per clause",
        description="Verify each bid's package and check it against TENDER.toml (see "
        "profiles/tenders/example.toml). Exit 0 when at least one bid meets every mandatory clause, 1 "
        "when none does, 2 for a bad tender file or a package no bid names.",
    )
    parser.add_argument("tender", help="the tender file (TOML)")
    parser.add_argument(
        "packages", nargs="*", metavar="PACKAGE", help="the bids' packages (matched by file name)"
    )
    parser.add_argument(
        "--out", metavar="DIR", default="tender", help="folder for tender.html and tender.json"
    )
    parser.add_argument("--key", metavar="PUBLIC_PEM", help="admit only packages signed by this Ed25519 key")
    parser.set_defaults(func=cmd_tender)
