"""`mimcheck matrix PACKAGE...`: the certification matrix of several products.

Products are columns, requirements rows (grouped by MIM and area); a cell is the product's verdict
on the requirement (PASS, FAIL, NOT_APPLICABLE, INCONCLUSIVE, WARNING for a failed SHOULD; NOT_RUN
when a narrowed run left it out; ABSENT when the product's suite version does not know it) with links
to that product's evidence. Only verified packages are admitted; any other stays a column that says
why it was rejected. Writes matrix.html (self-contained) and matrix.json, and each admitted run,
unpacked, under products/<name>/ so that the links work offline.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import SUITE_NAME, __version__
from conformance.admission import Admitted, admit, slug
from conformance.records import Certificate, RequirementResult
from conformance.runcontext import usage

CELLS = ("PASS", "FAIL", "WARNING", "INCONCLUSIVE", "NOT_APPLICABLE", "NOT_RUN", "ABSENT")
MATRIX_HTML = "matrix.html"
MATRIX_JSON = "matrix.json"


def cell_of(result: RequirementResult) -> str:
    return "WARNING" if result.warning else str(result.verdict)


@dataclass
class Column:
    """One product: admitted (``cert``) or not (``reason``: rejected package, failed run)."""

    label: str
    source: str
    cert: Certificate | None = None
    reason: str | None = None
    signed: bool = False
    fingerprint: str | None = None
    link: str | None = None  # folder of the unpacked run, relative to the matrix

    @property
    def admitted(self) -> bool:
        return self.cert is not None and self.reason is None

    def cell(self, rid: str) -> tuple[str, list[str]]:
        """The cell of requirement ``rid``: its verdict and evidence links (relative to the matrix)."""
        if not self.admitted or self.cert is None:
            return "", []
        for r in self.cert.requirements:
            if r.id == rid:
                links = [f"{self.link}/{e}" for e in r.evidence] if self.link else []
                return cell_of(r), links
        return ("NOT_RUN" if rid in self.cert.not_run else "ABSENT"), []


@dataclass
class Row:
    id: str
    mim: str
    area: str
    level: str
    capability: str | None
    title: str
    clause: str
    spec: str


@dataclass
class Matrix:
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)

    def totals(self, column: Column, mim: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(CELLS, 0)
        for row in self.rows:
            if mim is None or row.mim == mim:
                shown, _ = column.cell(row.id)
                if shown:
                    counts[shown] += 1
        return counts

    @property
    def mims(self) -> list[str]:
        return sorted({r.mim for r in self.rows})

    @property
    def capabilities(self) -> list[str]:
        return sorted({r.capability for r in self.rows if r.capability})

    def to_json(self) -> dict[str, Any]:
        products = []
        for c in self.columns:
            entry: dict[str, Any] = {
                "label": c.label,
                "source": c.source,
                "admitted": c.admitted,
                "reason": c.reason,
            }
            if c.admitted and c.cert is not None:
                entry.update(
                    product=c.cert.target.get("name"),
                    vendor=c.cert.target.get("vendor"),
                    version=c.cert.target.get("version"),
                    suite_version=c.cert.suite.get("version"),
                    run_id=c.cert.run_id,
                    finished=c.cert.finished,
                    verdict=str(c.cert.verdict),
                    narrowed=c.cert.narrowed,
                    signed=c.signed,
                    fingerprint=c.fingerprint,
                    declared_capabilities=list(c.cert.declared_capabilities),
                    folder=c.link,
                    totals=self.totals(c),
                    mims={
                        mim: {"verdict": str(m.verdict), "totals": self.totals(c, mim)}
                        for mim, m in c.cert.mims.items()
                    },
                )
            products.append(entry)
        rows = []
        for r in self.rows:
            cells = {}
            for c in self.columns:
                shown, links = c.cell(r.id)
                cells[c.label] = {"verdict": shown or None, "evidence": links}
            rows.append({**r.__dict__, "cells": cells})
        return {
            "suite": {"name": SUITE_NAME, "version": __version__},
            "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "products": products,
            "requirements": rows,
        }


def unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def build_matrix(columns: list[Column]) -> Matrix:
    """Rows are every requirement any admitted product's certificate names."""
    rows: dict[str, Row] = {}
    for c in columns:
        if not c.admitted or c.cert is None:
            continue
        for r in c.cert.requirements:
            req = r.requirement
            rows.setdefault(
                req.id,
                Row(req.id, req.mim, req.area, req.level, req.capability, req.title, req.clause, req.spec),
            )
    return Matrix(columns, sorted(rows.values(), key=lambda r: (r.mim, r.area, r.id)))


def column_from(admitted: Admitted, label: str | None, link: str | None) -> Column:
    return Column(
        label=label or admitted.product or Path(admitted.source).stem,
        source=admitted.source,
        cert=admitted.cert,
        reason=admitted.reason,
        signed=admitted.signed,
        fingerprint=admitted.fingerprint,
        link=link if admitted.ok else None,
    )


def admit_columns(
    sources: Sequence[tuple[str, str | None, str | None]], out: Path, public_key: str | None = None
) -> list[Column]:
    """Admit each (package, label, failure) into ``out``/products/<label>/; labels default to product
    names. A source with a failure (a campaign run that left no package) becomes a column saying so."""
    from conformance.admission import rejected

    admitted = []
    for n, (path, label, failure) in enumerate(sources):
        if failure is not None:
            admitted.append((rejected(path, failure), label))
        else:
            admitted.append((admit(path, out / "products" / f".admit-{n}.tmp", public_key), label))
    labels = unique_labels([label or a.product or Path(a.source).stem for a, label in admitted])
    columns = []
    used: set[str] = set()
    for (a, _), label in zip(admitted, labels, strict=True):
        folder = slug(label)
        while folder in used:
            folder += "_"
        used.add(folder)
        link = None
        if a.folder is not None:
            final = out / "products" / folder
            if final.exists():
                import shutil

                shutil.rmtree(final)
            a.folder.rename(final)
            link = f"products/{folder}"
        columns.append(column_from(a, label, link))
    return columns


def write_matrix(matrix: Matrix, out: Path, title: str = "Certification matrix") -> tuple[Path, Path]:
    from conformance.matrix_html import render_matrix

    out.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out / MATRIX_HTML, out / MATRIX_JSON
    data = matrix.to_json()
    data["title"] = title
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_matrix(matrix, title), encoding="utf-8")
    return html_path, json_path


def print_summary(matrix: Matrix) -> None:
    for c in matrix.columns:
        if c.admitted and c.cert is not None:
            t = matrix.totals(c)
            print(
                f"  {c.label}: {c.cert.verdict}; {t['PASS']} pass, {t['FAIL']} fail, {t['WARNING']} warning, "
                f"{t['INCONCLUSIVE']} inconclusive, {t['NOT_APPLICABLE']} n/a"
            )
        else:
            print(f"  {c.label}: REJECTED: {c.reason}")


def cmd_matrix(ns: argparse.Namespace) -> int:
    out = Path(ns.out)
    if out.exists() and not out.is_dir():
        raise usage(f"--out {out}: exists and is not a folder")
    labels: list[str | None] = list(ns.label or [])
    if labels and len(labels) != len(ns.packages):
        raise usage(f"--label given {len(labels)} time(s) for {len(ns.packages)} package(s); give one each")
    sources = [
        (p, label, None) for p, label in zip(ns.packages, labels or [None] * len(ns.packages), strict=True)
    ]
    matrix = build_matrix(admit_columns(sources, out, ns.key))
    html_path, json_path = write_matrix(matrix, out, ns.title)
    print_summary(matrix)
    print(f"matrix: {html_path} and {json_path}")
    return 0 if all(c.admitted for c in matrix.columns) else 1


def add_matrix_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "matrix",
        help="one page comparing products: requirements as rows, products as columns (verified packages only)",
        description="Build the certification matrix from packages `mimcheck package` wrote (or sealed run "
        "folders). Exit 0 when every package was admitted, 1 when one was rejected (its column says why).",
    )
    parser.add_argument("packages", nargs="+", metavar="PACKAGE", help="packages or sealed run folders")
    parser.add_argument("--out", metavar="DIR", default="matrix", help="folder for matrix.html/.json")
    parser.add_argument(
        "--label",
        action="append",
        metavar="NAME",
        help="column name, once per package (default: product name)",
    )
    parser.add_argument("--key", metavar="PUBLIC_PEM", help="admit only runs signed by this Ed25519 key")
    parser.add_argument("--title", default="Certification matrix")
    parser.set_defaults(func=cmd_matrix)
