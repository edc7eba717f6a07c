"""The style sheet of certificate.html: readable from 1,024 px wide (long ids, paths and digests wrap,
nothing scrolls sideways) and printable on A4 (every area expanded, filters hidden)."""

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem auto;max-width:64rem;padding:0 1rem;
color:#1b1b1b;line-height:1.35;overflow-wrap:break-word}h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.2rem;margin-top:1.8rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top;overflow-wrap:break-word}th{background:#f3f3f3}
table.facts{table-layout:fixed}table.facts th{width:11rem}table.reqs{table-layout:fixed}table.reqs col.c-id{width:9.5rem}
table.reqs col.c-v{width:9.5rem}table.reqs col.c-n{width:4.5rem}
.v{font-weight:bold}tr.req{color:#1b1b1b}.PASS{color:#0a6b2d}.FAIL{color:#b00020}.NOT_APPLICABLE{color:#666}
.INCONCLUSIVE,.WARNING{color:#a35a00}tr.FAIL td{background:#fdf0f2}tr.WARNING td,tr.INCONCLUSIVE td{background:#fff8ec}
.big{font-size:1.4rem;padding:.6rem 1rem;border:2px solid currentColor;display:inline-block;margin:1rem 0 .3rem}
.small{font-size:.8rem;color:#555}.why{font-size:.82rem;margin:.25rem 0 0;padding-left:1.1rem}
code{font-size:.8rem;overflow-wrap:anywhere}ul{margin:.3rem 0}a{color:#0b4f9c}
details.grp{margin:.6rem 0;border:1px solid #ddd;border-radius:4px;padding:.2rem .5rem}
details.grp>summary{cursor:pointer;font-weight:bold;padding:.3rem 0}details.cases>summary{cursor:pointer;font-size:.82rem}
details.cases ul{columns:2;column-gap:1.5rem;font-size:.78rem;padding-left:1.1rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;margin:.6rem 0;padding:.5rem;
background:#f6f7f9;border:1px solid #ddd}form.filters input[type=search]{width:16rem;max-width:100%}
[hidden]{display:none!important}
@page{size:A4;margin:14mm 12mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}form.filters,.noprint{display:none!important}
h2,details.grp>summary{break-after:avoid}tr{break-inside:avoid}details.grp{border:none;padding:0}
table.reqs col.c-id{width:8.5rem}table.reqs col.c-v{width:6.5rem}
table.reqs tr{break-inside:auto}details.cases ul{columns:2}
details::details-content{content-visibility:visible;display:block}
details[hidden]{display:block!important}tr[hidden]{display:table-row!important}a{color:inherit;text-decoration:none}}
"""
