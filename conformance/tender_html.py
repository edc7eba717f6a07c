"""tender.html: the tender check as one self-contained page (no script, no external asset). In each
bid's table the clauses not met come first, then those not evidenced, then those met."""

from __future__ import annotations

import html
from typing import Any

from conformance.tender import Tender

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1b1b1b}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top;overflow-wrap:break-word}th{background:#f3f3f3}.met{color:#0a6b2d}
.not-met,.REJECTED{color:#b00020;font-weight:bold}.not-evidenced{color:#a35a00;font-weight:bold}
.ACCEPTED{color:#0a6b2d;font-weight:bold}.small{font-size:.8rem;color:#555}code{font-size:.8rem}
@page{size:A4;margin:14mm 12mm}@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}
h2{break-after:avoid}tr{break-inside:avoid}}
"""

_ANSWER_ORDER = {"not met": 0, "not evidenced": 1, "met": 2}


def _bid(o: Any) -> str:
    e = html.escape
    head = f"<h2>{e(o.bid)}: <span class='{o.status}'>{o.status}</span></h2>"
    cert = o.admitted.cert
    facts = f"<p class='small'>package {e(o.package)}"
    if cert is not None:
        signed = f"signed by {o.admitted.fingerprint}" if o.admitted.signed else "unsigned (digests verified)"
        facts += (
            f"; product {e(o.admitted.product)}; run {e(cert.run_id)} finished {e(cert.finished)}; "
            f"verdict {e(str(cert.verdict))}; suite {e(str(cert.suite.get('version', '')))}; {e(signed)}"
        )
    facts += "</p>"
    reasons = "".join(f"<li>{e(r)}</li>" for r in o.reasons)
    reasons_html = f"<ul>{reasons}</ul>" if reasons else ""
    if not o.clauses:
        return head + facts + reasons_html
    ordered = sorted(o.clauses, key=lambda c: _ANSWER_ORDER.get(c.answer, 1))  # stable: tender order within
    rows = "".join(
        f"<tr><td>{e(c.clause.label)}</td><td>{'mandatory' if c.clause.mandatory else 'desired'}</td>"
        f"<td class='answer {c.answer.replace(' ', '-')}'>{e(c.answer)}</td><td>{e(c.why)}</td>"
        f"<td><code>{e(', '.join(c.requirements))}</code></td></tr>"
        for c in ordered
    )
    table = (
        "<table class='bid'><tr><th>Clause</th><th></th><th>Answer</th><th>Why</th><th>Requirements</th></tr>"
        f"{rows}</table>"
    )
    return head + facts + reasons_html + table


def render_tender_html(tender: Tender, outcomes: list[Any]) -> str:
    e = html.escape
    accepted = [o.bid for o in outcomes if o.accepted]
    summary = (
        f"{len(accepted)} of {len(outcomes)} bid(s) meet every mandatory clause: {', '.join(accepted)}"
        if accepted
        else f"none of the {len(outcomes)} bid(s) meets every mandatory clause"
    )
    heads = "".join(f"<th>{e(o.bid)}<br><span class='{o.status}'>{o.status}</span></th>" for o in outcomes)
    rows = []
    for n, clause in enumerate(tender.clauses):
        cells = []
        for o in outcomes:
            if not o.clauses:
                cells.append("<td>&mdash;</td>")
            else:
                answer = o.clauses[n].answer
                cells.append(f"<td class='{answer.replace(' ', '-')}'>{e(answer)}</td>")
        kind = "mandatory" if clause.mandatory else "desired"
        rows.append(f"<tr><td>{e(clause.label)}</td><td>{kind}</td>{''.join(cells)}</tr>")
    clauses = f"<table><tr><th>Clause</th><th></th>{heads}</tr>{''.join(rows)}</table>"
    partial = (
        "<p><b>Partial (narrowed) runs are accepted: a rehearsal, not an award.</b></p>"
        if tender.accept_partial_runs
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Tender check: {e(tender.name)}</title><style>{_CSS}</style></head><body>
<h1>Tender check: {e(tender.name)}</h1>
<p>{e(tender.reference)} Checked as of {tender.as_of.isoformat()}. {e(summary)}.</p>{partial}
<h2>Clauses and bids</h2>{clauses}
{"".join(_bid(o) for o in outcomes)}
</body></html>
"""
