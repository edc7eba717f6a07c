"""The certificate of a run: certificate.json (machine-readable) and certificate.html (for people),
plus the Allure environment and executor files."""

from __future__ import annotations

import html
import json
import platform
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from conformance import SUITE_NAME, __version__, evidence
from conformance.profiles import TargetProfile
from conformance.redaction import Redactor
from conformance.requirements import DEFAULT_SPEC
from conformance.verdicts import Verdict, combine

MIM_TITLES = {
    "mim1": "MIM1 Context Information Management (NGSI-LD)",
    "mim2": "MIM2 Common Data Models (Smart Data Models)",
    "mim3": "MIM3 Contracts / Marketplace (TM Forum Open APIs)",
}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def build_certificate(
    *,
    profile: TargetProfile,
    results: list[dict[str, Any]],
    started: float,
    finished: float,
    run_id: str,
    evidence_digest: str,
    interrupted: bool = False,
) -> dict[str, Any]:
    """The certificate document from the per-case results of a run."""
    by_req: dict[str, list[dict[str, Any]]] = defaultdict(list)
    meta: dict[str, dict[str, Any]] = {}
    for result in results:
        req = result["requirement"]
        by_req[req["id"]].append(result)
        meta[req["id"]] = req
    requirements = []
    per_mim: dict[str, list[Verdict]] = defaultdict(list)
    for req_id in sorted(by_req):
        cases = sorted(by_req[req_id], key=lambda r: r["nodeid"])
        verdict = combine(Verdict(c["verdict"]) for c in cases)
        req = meta[req_id]
        per_mim[req["mim"]].append(verdict)
        entry = {
            "id": req_id,
            "verdict": str(verdict),
            "mim": req["mim"],
            "spec": req["spec"],
            "clause": req["clause"],
            "level": req["level"],
            "capability": req["capability"],
            "title": req["title"],
            "tests": [c["nodeid"] for c in cases],
            "evidence": [c["evidence"] for c in cases if c.get("evidence")],
        }
        reasons = [f"{c['nodeid']}: {c['reason']}" for c in cases if c["verdict"] != "PASS" and c["reason"]]
        if reasons:
            entry["reasons"] = reasons[:20]
        requirements.append(entry)
    mims = {}
    for mim in sorted(per_mim):
        verdicts = per_mim[mim]
        mims[mim] = {
            "verdict": str(combine(verdicts)),
            "pass": verdicts.count(Verdict.PASS),
            "fail": verdicts.count(Verdict.FAIL),
            "not_applicable": verdicts.count(Verdict.NOT_APPLICABLE),
            "inconclusive": verdicts.count(Verdict.INCONCLUSIVE),
        }
    overall = combine(Verdict(m["verdict"]) for m in mims.values()) if mims else Verdict.INCONCLUSIVE
    if interrupted and overall == Verdict.PASS:
        overall = Verdict.INCONCLUSIVE
    return {
        "suite": {"name": SUITE_NAME, "version": __version__},
        "run_id": run_id,
        "target": profile.identity(),
        "declared_capabilities": list(profile.capabilities),
        "spec_versions": {mim: DEFAULT_SPEC[mim] for mim in sorted(per_mim)},
        "started": _iso(started),
        "finished": _iso(finished),
        "interrupted": interrupted,
        "verdict": str(overall),
        "mims": mims,
        "requirements": requirements,
        "cases": len(results),
        "evidence_digest": {"algorithm": "sha256", "value": evidence_digest},
    }


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}.v{font-weight:bold;white-space:nowrap}
.PASS{color:#0a6b2d}.FAIL{color:#b00020}.NOT_APPLICABLE{color:#666}.INCONCLUSIVE{color:#a35a00}
.big{font-size:1.4rem;padding:.6rem 1rem;border:2px solid currentColor;display:inline-block;margin:1rem 0}
.small{font-size:.8rem;color:#555}.id{white-space:nowrap}code{font-size:.8rem;word-break:break-all}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
"""


def render_html(cert: dict[str, Any]) -> str:
    """A self-contained page: no scripts, no external assets, nothing that calls home."""
    e = html.escape
    target = cert["target"]
    rows_mim = "".join(
        f"<tr><td>{e(MIM_TITLES.get(mim, mim))}</td><td class='v {m['verdict']}'>{e(m['verdict'])}</td>"
        f"<td>{m['pass']}</td><td>{m['fail']}</td><td>{m['not_applicable']}</td><td>{m['inconclusive']}</td></tr>"
        for mim, m in cert["mims"].items()
    )
    rows_req = "".join(
        f"<tr><td class='id'>{e(r['id'])}</td><td>{e(r['title'])}</td><td>{e(r['spec'])} &sect;{e(r['clause'])}</td>"
        f"<td>{e(r['level'])}</td><td class='v {r['verdict']}'>{e(r['verdict'])}</td><td>{len(r['tests'])}</td></tr>"
        + (
            f"<tr><td></td><td colspan='5' class='small'>{'<br>'.join(e(x) for x in r['reasons'][:5])}</td></tr>"
            if r.get("reasons") and r["verdict"] in ("FAIL", "INCONCLUSIVE")
            else ""
        )
        for r in cert["requirements"]
    )
    caps = ", ".join(e(c) for c in cert["declared_capabilities"]) or "none"
    urls = "<br>".join(f"{e(k)}: {e(v)}" for k, v in sorted(target["base_urls"].items()))
    headline = {"PASS": "CONFORMANT", "FAIL": "NOT CONFORMANT"}.get(cert["verdict"], cert["verdict"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>MIM conformance certificate: {e(target["name"])}</title><style>{_CSS}</style></head>
<body>
<h1>OASC MIM conformance certificate</h1>
<div class="small">{e(cert["suite"]["name"])} {e(cert["suite"]["version"])} &middot; run {e(cert["run_id"])}</div>
<div class="big v {cert["verdict"]}">{e(headline)}</div>
<h2>Product under test</h2>
<table>
<tr><th>Product</th><td>{e(target["name"])}</td></tr>
<tr><th>Vendor</th><td>{e(target["vendor"])}</td></tr>
<tr><th>Version</th><td>{e(target["version"])}</td></tr>
<tr><th>Endpoints</th><td>{urls}</td></tr>
<tr><th>Declared capabilities</th><td>{caps}</td></tr>
<tr><th>Run</th><td>{e(cert["started"])} &ndash; {e(cert["finished"])}, {cert["cases"]} test cases
{"<b>(interrupted)</b>" if cert["interrupted"] else ""}</td></tr>
<tr><th>Evidence digest</th><td><code>sha256:{e(cert["evidence_digest"]["value"])}</code></td></tr>
</table>
<h2>Verdict per MIM</h2>
<table><tr><th>MIM</th><th>Verdict</th><th>Pass</th><th>Fail</th><th>Not applicable</th><th>Inconclusive</th></tr>
{rows_mim}</table>
<h2>Requirements</h2>
<table><tr><th>Id</th><th>Requirement</th><th>Specification</th><th>Level</th><th>Verdict</th><th>Cases</th></tr>
{rows_req}</table>
<p class="small">A requirement passes when every one of its test cases passes. NOT_APPLICABLE: the product does
not declare the capability. INCONCLUSIVE: the requirement could not be checked. The evidence of every HTTP
exchange is kept beside this certificate, under <code>evidence/</code>, and its digest is given above.</p>
</body></html>
"""


def _allure_extras(out_dir: Path, profile: TargetProfile, run_id: str) -> None:
    results = out_dir / "allure-results"
    results.mkdir(parents=True, exist_ok=True)
    env = {
        "suite": f"{SUITE_NAME} {__version__}",
        "target": profile.name,
        "target.vendor": profile.vendor,
        "target.version": profile.version,
        "python": platform.python_version(),
        "capabilities": ",".join(profile.capabilities) or "none",
    }
    env.update({f"{mim}.base_url": url for mim, url in profile.base_urls.items()})
    (results / "environment.properties").write_text(
        "".join(f"{k}={v.replace(chr(10), ' ')}\n" for k, v in env.items()), encoding="utf-8"
    )
    executor = {
        "name": "mimcheck",
        "type": "mimcheck",
        "buildName": f"run {run_id}",
        "reportName": profile.name,
    }
    (results / "executor.json").write_text(json.dumps(executor), encoding="utf-8")


def write_run_outputs(
    *,
    out_dir: Path,
    profile: TargetProfile,
    results: list[dict[str, Any]],
    started: float,
    finished: float,
    run_id: str,
    redactor: Redactor,
    interrupted: bool = False,
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    _allure_extras(out_dir, profile, run_id)
    redactor.scrub_tree(out_dir)  # before the digest, so that the digest covers what is kept
    cert = build_certificate(
        profile=profile,
        results=results,
        started=started,
        finished=finished,
        run_id=run_id,
        evidence_digest=evidence.digest(out_dir),
        interrupted=interrupted,
    )
    (out_dir / "certificate.json").write_text(json.dumps(cert, indent=2), encoding="utf-8")
    (out_dir / "certificate.html").write_text(render_html(cert), encoding="utf-8")
    return cert
