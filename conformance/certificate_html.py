"""certificate.html: a self-contained page (no scripts, no external assets, nothing that calls home)
rendered from the Certificate record. It decides nothing: every verdict on it comes from the record."""

from __future__ import annotations

import html

from conformance.records import Certificate, RequirementResult
from conformance.verdicts import RunVerdict, Verdict

MIM_TITLES = {
    "mim1": "MIM1 Context Information Management (NGSI-LD)",
    "mim2": "MIM2 Common Data Models (Smart Data Models)",
    "mim3": "MIM3 Contracts / Marketplace (TM Forum Open APIs)",
}

HEADLINE_CLASS = {
    RunVerdict.CONFORMANT: "PASS",
    RunVerdict.NOT_CONFORMANT: "FAIL",
    RunVerdict.INCOMPLETE: "INCONCLUSIVE",
    RunVerdict.PARTIAL: "INCONCLUSIVE",
    RunVerdict.NOTHING_CERTIFIED: "NOT_APPLICABLE",
}

HEADLINE_TEXT = {
    RunVerdict.CONFORMANT: "Every applicable MUST requirement passed and nothing was inconclusive.",
    RunVerdict.NOT_CONFORMANT: "At least one MUST requirement failed.",
    RunVerdict.INCOMPLETE: "No MUST requirement failed, but some applicable requirements could not be checked "
    "or did not run.",
    RunVerdict.PARTIAL: "The run was narrowed to a subset of the cases: it certifies nothing.",
    RunVerdict.NOTHING_CERTIFIED: "No requirement was applicable: declare the product's capabilities and "
    "base URLs in its target profile.",
}

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;
color:#1b1b1b}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem;table-layout:auto}th,td{border:1px solid #ccc;
padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f3f3f3}
.v{font-weight:bold;white-space:nowrap}.PASS{color:#0a6b2d}.FAIL{color:#b00020}.NOT_APPLICABLE{color:#666}
.INCONCLUSIVE,.WARNING{color:#a35a00}.big{font-size:1.4rem;padding:.6rem 1rem;border:2px solid currentColor;
display:inline-block;margin:1rem 0 .3rem}.small{font-size:.8rem;color:#555}.id{white-space:nowrap}
code{font-size:.8rem;word-break:break-all}ul{margin:.3rem 0}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
"""

_ORDER = {"FAIL": 0, "WARNING": 1, "INCONCLUSIVE": 2, "PASS": 3, "NOT_APPLICABLE": 4}


def _shown(r: RequirementResult) -> str:
    return "WARNING" if r.warning else str(r.verdict)


def _requirement_rows(cert: Certificate) -> str:
    e = html.escape
    rows = []
    for r in sorted(cert.requirements, key=lambda r: (_ORDER[_shown(r)], r.id)):
        req = r.requirement
        shown = _shown(r)
        label = "FAIL (warning)" if r.warning else shown
        rows.append(
            f"<tr><td class='id'>{e(req.id)}</td><td>{e(req.title)}</td><td>{e(req.spec)} &sect;{e(req.clause)}</td>"
            f"<td>{e(req.level)}</td><td class='v {shown}'>{e(label)}</td><td>{len(r.cases)}</td></tr>"
        )
        if r.verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE) and r.reasons:
            reasons = "<br>".join(e(x) for x in r.reasons[:5])
            rows.append(f"<tr><td></td><td colspan='5' class='small'>{reasons}</td></tr>")
    return "".join(rows)


def _list_section(title: str, items: list[str]) -> str:
    if not items:
        return ""
    return f"<h2>{html.escape(title)}</h2><ul>{''.join(f'<li>{x}</li>' for x in items)}</ul>"


def _signer(cert: Certificate) -> str:
    if not cert.signer:
        return "not signed (<code>mimcheck verify</code> checks its digests only)"
    return (
        f"{html.escape(cert.signer.get('algorithm', ''))} key <code>{html.escape(cert.signer.get('fingerprint', ''))}"
        "</code> (<code>mimcheck verify</code> checks the signature)"
    )


def _models_section(cert: Certificate) -> str:
    """The Smart Data Models the MIM2 cases checked against (absent from a run without MIM2)."""
    if not cert.models:
        return ""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(str(m.get('name', '')))}</td><td>{e(str(m.get('schemaVersion', '')))}</td>"
        f"<td>{e(str(m.get('source', '')))}{'' if m.get('bundled', True) else ' (added)'}</td>"
        f"<td><code>{e(str(m.get('commit') or '-'))}</code></td><td><code>{e(str(m.get('sha256', '')))}</code></td></tr>"
        for m in cert.models
    )
    return (
        "<h2>Smart Data Models checked against</h2>"
        "<table><tr><th>Model</th><th>$schemaVersion</th><th>Source</th><th>Commit</th><th>Schema sha256</th></tr>"
        f"{rows}</table>"
    )


def render_html(cert: Certificate) -> str:
    e = html.escape
    target = cert.target
    rows_mim = "".join(
        f"<tr><td>{e(MIM_TITLES.get(mim, mim))}</td><td class='v {m.verdict}'>{e(str(m.verdict))}</td>"
        f"<td>{m.passed}</td><td>{m.failed - m.warnings}</td><td>{m.warnings}</td><td>{m.not_applicable}</td>"
        f"<td>{m.inconclusive}</td></tr>"
        for mim, m in cert.mims.items()
    )
    causes = [
        f"<b>{e(c.cause)}</b> &mdash; {len(c.cases)} case(s) of {len(c.requirements)} requirement(s): "
        f"<span class='small'>{e(', '.join(c.requirements[:12]))}{' ...' if len(c.requirements) > 12 else ''}</span>"
        for c in cert.root_causes
    ]
    failed = [f"<b>{e(r.id)}</b> ({e(r.requirement.level)}) {e(r.requirement.title)}" for r in cert.failed]
    warnings = [f"<b>{e(r.id)}</b> (SHOULD) {e(r.requirement.title)}" for r in cert.warnings]
    not_run = [e(x) for x in cert.not_run]
    caps = ", ".join(e(c) for c in cert.declared_capabilities) or "none"
    urls = "<br>".join(f"{e(k)}: {e(v)}" for k, v in sorted(target["base_urls"].items()))
    specs = "<br>".join(f"{e(k)}: {e(v)}" for k, v in cert.spec_versions.items())
    state = []
    if cert.interrupted:
        state.append("<b>interrupted</b>")
    if cert.narrowed:
        state.append(f"<b>narrowed by {e(cert.narrowed)}</b>")
    counts = cert.cases
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>MIM conformance certificate: {e(target["name"])}</title><style>{_CSS}</style></head>
<body>
<h1>OASC MIM conformance certificate</h1>
<div class="small">{e(cert.suite["name"])} {e(cert.suite["version"])} &middot; run {e(cert.run_id)}</div>
<div class="big v {HEADLINE_CLASS[cert.verdict]}">{e(str(cert.verdict))}</div>
<div class="small">{e(HEADLINE_TEXT[cert.verdict])}</div>
<h2>Product under test</h2>
<table>
<tr><th>Product</th><td>{e(target["name"])}</td></tr>
<tr><th>Vendor</th><td>{e(target["vendor"])}</td></tr>
<tr><th>Version</th><td>{e(target["version"])}</td></tr>
<tr><th>Endpoints</th><td>{urls}</td></tr>
<tr><th>Declared capabilities</th><td>{caps}</td></tr>
<tr><th>Specifications</th><td>{specs}</td></tr>
<tr><th>Run</th><td>{e(cert.started)} &ndash; {e(cert.finished)}: {counts.get("total", 0)} test cases run,
{counts.get("not_run", 0)} not run {" ".join(state)}</td></tr>
<tr><th>Evidence digest</th><td><code>sha256:{e(cert.evidence_digest)}</code></td></tr>
<tr><th>Catalogue digest</th><td><code>sha256:{e(cert.catalogue_digest)}</code></td></tr>
<tr><th>Signed by</th><td>{_signer(cert)}</td></tr>
</table>
{_list_section("Root causes of inconclusive cases", causes)}
{_list_section("Failed requirements", failed)}
{_list_section("Warnings (failed SHOULD requirements; they do not block the verdict)", warnings)}
{_list_section("Requirements not run (the run was narrowed)", not_run)}
<h2>Verdict per MIM (requirements)</h2>
<table><tr><th>MIM</th><th>Verdict</th><th>Pass</th><th>Fail</th><th>Warnings</th><th>Not applicable</th>
<th>Inconclusive</th></tr>
{rows_mim}</table>
{_models_section(cert)}
<h2>Requirements</h2>
<table><tr><th>Id</th><th>Requirement</th><th>Specification</th><th>Level</th><th>Verdict</th><th>Cases</th></tr>
{_requirement_rows(cert)}</table>
<p class="small">A requirement passes when every one of its test cases passes. A failed MUST blocks the
certificate; a failed SHOULD is a warning; MAY requirements are informative. NOT_APPLICABLE: the product does not
declare the capability. INCONCLUSIVE: the requirement could not be checked (see the root causes). The evidence of
every HTTP exchange is kept beside this certificate, under <code>evidence/</code>, and its digest is given above.</p>
</body></html>
"""
