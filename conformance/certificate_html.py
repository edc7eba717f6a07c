"""certificate.html: one self-contained page rendered from the Certificate record. It decides nothing:
every verdict on it comes from the record.

Failures, warnings and inconclusive requirements come first and open; passed and not applicable ones
are collapsed. A small inline script (certificate_js) filters the rows by verdict, MIM and text; the
Content-Security-Policy forbids every load from outside the file. Each case links to its evidence file
(``evidence/<case>.json`` beside the page), each requirement names its specification and clause."""

from __future__ import annotations

import html
from urllib.parse import quote

from conformance.certificate_css import CSS
from conformance.certificate_js import SCRIPT
from conformance.records import Certificate, RequirementResult, evidence_name
from conformance.requirements import SPEC_LINKS, Requirement
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

_ORDER = {"FAIL": 0, "WARNING": 1, "INCONCLUSIVE": 2, "PASS": 3, "NOT_APPLICABLE": 4}

GROUPS = {
    "FAIL": "Failed",
    "WARNING": "Warnings (failed SHOULD)",
    "INCONCLUSIVE": "Inconclusive",
    "PASS": "Passed",
    "NOT_APPLICABLE": "Not applicable",
}

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _shown(r: RequirementResult) -> str:
    return "WARNING" if r.warning else str(r.verdict)


def row_anchor(requirement_id: str) -> str:
    return "r-" + requirement_id


def _specification(req: Requirement) -> str:
    """The specification and clause: the clause number as text, the specification linked where the
    catalogue knows its address (TM Forum API pages, the ETSI and Smart Data Models sites)."""
    e = html.escape
    name = e(req.spec)
    if req.spec_link:
        name = f"<a href='{e(req.spec_link)}' rel='noreferrer'>{name}</a>"
    return f"{name}, clause {e(req.clause)}"


def _not_applicable_why(r: RequirementResult, cert: Certificate) -> str:
    req = r.requirement
    if req.capability and req.capability not in cert.declared_capabilities:
        return f"the product does not declare the capability <code>{html.escape(req.capability)}</code>"
    if req.mim not in cert.target.get("base_urls", {}):
        return f"the target profile gives no base URL for {html.escape(req.mim.upper())}"
    return "not applicable to this product (see the reasons and the evidence)"


def _cases(r: RequirementResult) -> str:
    """The cases of a requirement, each linked to its evidence file when the run kept one."""
    e = html.escape
    kept = set(r.evidence)
    items = []
    for case in r.cases:
        path = f"evidence/{evidence_name(case)}"
        if path in kept:
            items.append(f"<li><a href='evidence/{quote(evidence_name(case))}'>{e(case)}</a></li>")
        else:
            items.append(f"<li>{e(case)}</li>")
    items += [f"<li>{e(case)} (not run)</li>" for case in r.not_run]
    if not items:
        return ""
    return f"<details class='cases'><summary>{len(items)} case(s) and evidence</summary><ul>{''.join(items)}</ul></details>"


def _requirement_row(r: RequirementResult, cert: Certificate) -> str:
    e = html.escape
    req = r.requirement
    shown = _shown(r)
    label = "FAIL (warning)" if r.warning else shown.replace("_", " ")
    lines = []
    if r.verdict == Verdict.NOT_APPLICABLE:
        lines.append(f"Not applicable: {_not_applicable_why(r, cert)}")
    if r.verdict != Verdict.PASS:
        lines += [e(x) for x in r.reasons[:5]]
        if len(r.reasons) > 5:
            lines.append(f"... and {len(r.reasons) - 5} more (see the evidence)")
        lines += [f"blocked by: {e(x)}" for x in r.blocked_by[:3]]
    why = f"<ul class='why'>{''.join(f'<li>{x}</li>' for x in lines)}</ul>" if lines else ""
    cap = f" &middot; capability <code>{e(req.capability)}</code>" if req.capability else ""
    return (
        f"<tr class='req {shown}' id='{e(row_anchor(req.id))}' data-verdict='{shown}' data-mim='{e(req.mim)}'>"
        f"<td><b>{e(req.id)}</b><br><span class='small'>{e(req.level)} &middot; {e(req.mim.upper())}</span></td>"
        f"<td>{e(req.title)}<br><span class='small'>{_specification(req)}{cap}</span>{why}{_cases(r)}</td>"
        f"<td class='v {shown}'>{e(label)}</td><td>{len(r.cases)}</td></tr>"
    )


def _requirements_section(cert: Certificate) -> str:
    """Every requirement, failures and warnings first, in one collapsible area per verdict (the
    problem areas open), with a filter by verdict, MIM and text."""
    e = html.escape
    by_group: dict[str, list[RequirementResult]] = {g: [] for g in GROUPS}
    for r in sorted(cert.requirements, key=lambda r: (_ORDER[_shown(r)], r.id)):
        by_group[_shown(r)].append(r)
    head = (
        "<colgroup><col class='c-id'><col><col class='c-v'><col class='c-n'></colgroup>"
        "<thead><tr><th>Id</th><th>Requirement, specification and clause</th><th>Verdict</th><th>Cases</th></tr></thead>"
    )
    areas = []
    for group, rows in by_group.items():
        if not rows:
            continue
        is_open = " open" if group in ("FAIL", "WARNING", "INCONCLUSIVE") else ""
        body = "".join(_requirement_row(r, cert) for r in rows)
        areas.append(
            f"<details class='grp' data-group='{group}'{is_open}><summary><span class='{group}'>{e(GROUPS[group])}"
            f"</span>: <span class='n'>{len(rows)}</span> requirement(s)</summary>"
            f"<table class='reqs'>{head}<tbody>{body}</tbody></table></details>"
        )
    verdicts = "".join(f"<option value='{g}'>{e(GROUPS[g])}</option>" for g, rows in by_group.items() if rows)
    mims = "".join(f"<option value='{e(m)}'>{e(m.upper())}</option>" for m in cert.mims)
    form = (
        "<form class='filters' id='f-form' role='search'>"
        f"<label>Verdict <select id='f-verdict'><option value=''>any</option>{verdicts}</select></label>"
        f"<label>MIM <select id='f-mim'><option value=''>all</option>{mims}</select></label>"
        "<label>Search <input type='search' id='f-text' placeholder='id, title, clause, capability, reason'></label>"
        f"<span class='small'><span id='f-count'>{len(cert.requirements)}</span> requirement(s) shown</span></form>"
    )
    return f"<h2 id='requirements'>Requirements</h2>{form}{''.join(areas)}"


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


def _load_section(cert: Certificate) -> str:
    """The capacity statement `mimcheck capacity --into` added (absent when none was measured)."""
    load = cert.load
    if load is None:
        return ""
    e = html.escape

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:g} ms"

    limits = load.thresholds
    held = (
        f"p95 &le; {limits['max_p95_ms']:g} ms, failures &le; {100 * limits['max_failure_ratio']:g} %"
        if {"max_p95_ms", "max_failure_ratio"} <= set(limits)
        else "-"
    )
    rps = "-" if load.throughput_rps is None else f"{load.throughput_rps:g} requests/s"
    users = "" if load.users is None else f" at {load.users} users"
    failures = "-" if load.failure_ratio is None else f"{100 * load.failure_ratio:.2f} %"
    return (
        "<h2>Load capacity</h2><table class='facts'>"
        f"<tr><th>Throughput</th><td><b>{e(rps)}</b>{e(users)}</td></tr>"
        f"<tr><th>Response time</th><td>p50 {ms(load.p50_ms)}, <b>p95 {ms(load.p95_ms)}</b>, "
        f"p99 {ms(load.p99_ms)}; failures {failures}</td></tr>"
        f"<tr><th>Thresholds held</th><td>{held}</td></tr>"
        f"<tr><th>Load profile</th><td>{e(load.profile or '-')}</td></tr>"
        f"<tr><th>Method</th><td>{e(load.method or '-')}; measured {e(load.measured or '-')}, "
        "after the run (<code>load/capacity.json</code>)</td></tr></table>"
    )


def _spec_versions(cert: Certificate) -> str:
    """Per MIM, each specification its requirements cite, linked where its address is known."""
    e = html.escape
    lines = []
    for mim, joined in cert.spec_versions.items():
        names = []
        for spec in (x.strip() for x in joined.split("; ") if x.strip()):
            link = SPEC_LINKS.get(spec) or next((u for k, u in SPEC_LINKS.items() if spec.startswith(k)), "")
            names.append(f"<a href='{e(link)}' rel='noreferrer'>{e(spec)}</a>" if link else e(spec))
        lines.append(f"<b>{e(mim.upper())}</b>: {'; '.join(names)}")
    return "<br>".join(lines)


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
    failed = [
        f"<a href='#{e(row_anchor(r.id))}'><b>{e(r.id)}</b></a> ({e(r.requirement.level)}) {e(r.requirement.title)}"
        for r in cert.failed
    ]
    warnings = [
        f"<a href='#{e(row_anchor(r.id))}'><b>{e(r.id)}</b></a> (SHOULD) {e(r.requirement.title)}"
        for r in cert.warnings
    ]
    not_run = (
        f"<h2>Requirements not run (the run was narrowed)</h2><details class='grp'><summary>{len(cert.not_run)} "
        f"requirement(s)</summary><p class='small'>{', '.join(e(x) for x in cert.not_run)}</p></details>"
        if cert.not_run
        else ""
    )
    caps = ", ".join(e(c) for c in cert.declared_capabilities) or "none"
    urls = "<br>".join(f"{e(k)}: {e(v)}" for k, v in sorted(target["base_urls"].items()))
    specs = _spec_versions(cert)
    state = []
    if cert.interrupted:
        state.append("<b>interrupted</b>")
    if cert.narrowed:
        state.append(f"<b>narrowed by {e(cert.narrowed)}</b>")
    counts = cert.cases
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>MIM conformance certificate: {e(target["name"])}</title><style>{CSS}</style></head>
<body>
<h1>OASC MIM conformance certificate</h1>
<div class="small">{e(cert.suite["name"])} {e(cert.suite["version"])} &middot; run {e(cert.run_id)}</div>
<div class="big v {HEADLINE_CLASS[cert.verdict]}">{e(str(cert.verdict))}</div>
<div class="small">{e(HEADLINE_TEXT[cert.verdict])}</div>
<h2>Product under test</h2>
<table class='facts'>
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
{not_run}
<h2>Verdict per MIM (requirements)</h2>
<table><tr><th>MIM</th><th>Verdict</th><th>Pass</th><th>Fail</th><th>Warnings</th><th>Not applicable</th>
<th>Inconclusive</th></tr>
{rows_mim}</table>
{_models_section(cert)}
{_load_section(cert)}
{_requirements_section(cert)}
<p class="small">A requirement passes when every one of its test cases passes. A failed MUST blocks the
certificate; a failed SHOULD is a warning; MAY requirements are informative. NOT_APPLICABLE: the product does not
declare the capability. INCONCLUSIVE: the requirement could not be checked (see the root causes). The evidence of
every HTTP exchange is kept beside this certificate, under <code>evidence/</code>, and its digest is given above.</p>
<script>{SCRIPT}</script>
</body></html>
"""
