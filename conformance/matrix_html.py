"""matrix.html: the certification matrix as one self-contained page.

No external asset and no fetch (the Content-Security-Policy forbids both); a small inline script
filters rows by MIM, capability and verdict. Rows where some product has a FAIL, WARNING or
INCONCLUSIVE come first, in their own group. Every cell links to the product's evidence files,
which `mimcheck matrix` unpacks next to the page.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from conformance.matrix import CELLS, Column, Matrix

SHOWN = {
    "PASS": "PASS",
    "FAIL": "FAIL",
    "WARNING": "WARNING",
    "INCONCLUSIVE": "INCONCLUSIVE",
    "NOT_APPLICABLE": "N/A",
    "NOT_RUN": "not run",
    "ABSENT": "absent",
}

PROBLEMS = {"FAIL", "WARNING", "INCONCLUSIVE"}
PROBLEM_GROUP = "problems"

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}
table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .45rem;
text-align:left;vertical-align:top}th{background:#f3f3f3;position:sticky;top:0}
td.c{text-align:center;white-space:nowrap;font-weight:bold;font-size:.78rem;padding:.25rem .3rem}.PASS{color:#0a6b2d}.FAIL{color:#b00020;
background:#fde8eb}.WARNING,.INCONCLUSIVE{color:#a35a00;background:#fff4e0}.NOT_APPLICABLE,.NOT_RUN,
.ABSENT{color:#777}.rej{color:#b00020;font-weight:normal;font-size:.8rem}tr.g td{background:#eef2f7;
font-weight:bold}.small{font-size:.8rem;color:#555}a{color:inherit}form{margin:.8rem 0}
label{margin-right:1rem}table{width:100%}td,th{overflow-wrap:break-word}code{word-break:break-all}
@page{size:A4;margin:12mm}
@media print{body{margin:0;font-size:9pt}form{display:none}th{position:static}tr{break-inside:avoid}
tr.req{display:table-row!important}tr.g{display:table-row!important}a{text-decoration:none}}
"""

_SCRIPT = """
function applyFilters(){
  var mim=document.getElementById('f-mim').value, cap=document.getElementById('f-cap').value,
      ver=document.getElementById('f-ver').value;
  var rows=document.querySelectorAll('tr.req'), shown={}, count=0;
  rows.forEach(function(tr){
    var ok=(!mim||tr.dataset.mim===mim)&&(!cap||tr.dataset.cap===(cap==='-'?'':cap))&&
      (!ver||(ver==='DIFF'?tr.dataset.diff==='1':(' '+tr.dataset.verdicts+' ').indexOf(' '+ver+' ')>=0));
    tr.style.display=ok?'':'none'; if(ok){shown[tr.dataset.group]=1;count++;}
  });
  document.querySelectorAll('tr.g').forEach(function(tr){tr.style.display=shown[tr.dataset.group]?'':'none';});
  document.getElementById('count').textContent=count;
}
document.querySelectorAll('select').forEach(function(s){s.addEventListener('change',applyFilters);});
"""


def _header(c: Column) -> str:
    e = html.escape
    if not c.admitted or c.cert is None:
        return f"<th>{e(c.label)}<br><span class='rej'>REJECTED: {e(c.reason or '')}</span></th>"
    name = e(c.label)
    if c.link:
        name = f"<a href='{e(quote(c.link))}/certificate.html'>{name}</a>"
    signed = "signed" if c.signed else "unsigned"
    return (
        f"<th>{name}<br><span class='small'>{e(str(c.cert.verdict))}; suite {e(c.cert.suite.get('version', ''))}; "
        f"{signed}{'; narrowed' if c.cert.narrowed else ''}</span></th>"
    )


def _cell(c: Column, rid: str) -> tuple[str, str]:
    e = html.escape
    shown, links = c.cell(rid)
    if not shown:
        return "", "<td class='c'>&mdash;</td>"
    text = SHOWN[shown]
    if links:
        text = f"<a href='{e(quote(links[0]))}' title='{len(links)} evidence file(s)'>{text}</a>"
    return shown, f"<td class='c {shown}'>{text}</td>"


def _totals(matrix: Matrix) -> str:
    """One row for the whole run and one per MIM: per product, the MIM verdict and its non-zero counts."""
    e = html.escape
    head = "".join(f"<th>{e(c.label)}</th>" for c in matrix.columns)
    lines = []
    for mim in [None, *matrix.mims]:
        cells = []
        for c in matrix.columns:
            if not c.admitted or c.cert is None:
                cells.append("<td>&mdash;</td>")
                continue
            counts = matrix.totals(c, mim)
            parts = [f"<span class='{k}'>{SHOWN[k]} {counts[k]}</span>" for k in CELLS if counts[k]]
            if mim is None:
                verdict = str(c.cert.verdict)
            else:
                verdict = str(c.cert.mims[mim].verdict) if mim in c.cert.mims else "not certified"
            cells.append(f"<td><b>{e(verdict)}</b><br>{' &middot; '.join(parts) or '&mdash;'}</td>")
        scope = mim.upper() if mim else "All requirements"
        lines.append(f"<tr><td>{scope}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th>Scope</th>{head}</tr>{''.join(lines)}</table>"


def render_matrix(matrix: Matrix, title: str = "Certification matrix") -> str:
    e = html.escape
    head = "".join(_header(c) for c in matrix.columns)
    width = 3 + len(matrix.columns)
    first: list[str] = []  # rows where some product has a problem: shown first, in their own group
    rest: list[str] = []
    group = None
    for row in matrix.rows:
        verdicts, cells = [], []
        for c in matrix.columns:
            shown, cell = _cell(c, row.id)
            cells.append(cell)
            if shown:
                verdicts.append(shown)
        problem = bool(PROBLEMS & set(verdicts))
        key = PROBLEM_GROUP if problem else f"{row.mim}/{row.area}"
        if not problem and key != group:
            group = key
            rest.append(
                f"<tr class='g' data-group='{e(key)}'><td colspan='{width}'>{e(row.mim.upper())} "
                f"&middot; {e(row.area)}</td></tr>"
            )
        diff = "1" if len(set(verdicts)) > 1 else "0"
        (first if problem else rest).append(
            f"<tr class='req' data-group='{e(key)}' data-mim='{e(row.mim)}' data-cap='{e(row.capability or '')}' "
            f"data-verdicts='{e(' '.join(sorted(set(verdicts))))}' data-diff='{diff}'>"
            f"<td>{e(row.id)}</td><td>{e(row.level)}</td>"
            f"<td>{e(row.title)}<br><span class='small'>{e(row.spec)} clause {e(row.clause)}"
            f"{' &middot; capability ' + e(row.capability) if row.capability else ''}</span></td>"
            f"{''.join(cells)}</tr>"
        )
    if first:
        first.insert(
            0,
            f"<tr class='g' data-group='{PROBLEM_GROUP}'><td colspan='{width}'>FAIL, WARNING or INCONCLUSIVE "
            "for at least one product</td></tr>",
        )
    body = first + rest
    mims = "".join(f"<option value='{e(m)}'>{e(m.upper())}</option>" for m in matrix.mims)
    caps = "".join(f"<option value='{e(c)}'>{e(c)}</option>" for c in matrix.capabilities)
    verdict_options = "".join(f"<option value='{k}'>{SHOWN[k]}</option>" for k in CELLS)
    rejected = [c for c in matrix.columns if not c.admitted]
    rejected_html = (
        "<h2>Rejected</h2><ul>"
        + "".join(f"<li>{e(c.label)} ({e(c.source)}): {e(c.reason or '')}</li>" for c in rejected)
        + "</ul>"
        if rejected
        else ""
    )
    admitted = sum(1 for c in matrix.columns if c.admitted)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{e(title)}</title><style>{_CSS}</style></head><body>
<h1>{e(title)}</h1>
<p>{len(matrix.columns)} product(s), {admitted} admitted (package verified), {len(rejected)} rejected;
{len(matrix.rows)} requirement(s). Each cell links to that product's evidence.</p>
{rejected_html}
<h2>Totals</h2>
{_totals(matrix)}
<h2>Requirements</h2>
<form>
<label>MIM <select id="f-mim"><option value="">all</option>{mims}</select></label>
<label>Capability <select id="f-cap"><option value="">all</option>
<option value="-">core (no capability)</option>{caps}</select></label>
<label>Verdict <select id="f-ver"><option value="">any</option>
<option value="DIFF">products differ</option>{verdict_options}</select></label>
<span class="small"><span id="count">{len(matrix.rows)}</span> row(s) shown</span>
</form>
<table><tr><th>Requirement</th><th>Level</th><th>Title</th>{head}</tr>
{"".join(body)}
</table>
<script>{_SCRIPT}</script>
</body></html>
"""
