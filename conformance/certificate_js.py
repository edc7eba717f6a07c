"""The small inline script of certificate.html: filters the requirement rows by verdict, MIM and text,
and expands every area before printing. It fetches nothing (the page's Content-Security-Policy forbids
any load)."""

SCRIPT = """
(function(){
  var fv=document.getElementById('f-verdict'),fm=document.getElementById('f-mim'),
      ft=document.getElementById('f-text'),fc=document.getElementById('f-count');
  if(!fv)return;
  function apply(){
    var v=fv.value,m=fm.value,t=ft.value.trim().toLowerCase(),total=0;
    document.querySelectorAll('details.grp[data-group]').forEach(function(g){
      var shown=0;
      g.querySelectorAll('tr.req').forEach(function(tr){
        var ok=(!v||tr.dataset.verdict===v)&&(!m||tr.dataset.mim===m)&&
          (!t||tr.textContent.toLowerCase().indexOf(t)>=0);
        tr.hidden=!ok;if(ok)shown++;
      });
      g.hidden=shown===0;g.querySelector('.n').textContent=shown;
      if(shown&&(v||m||t))g.open=true;
      total+=shown;
    });
    fc.textContent=total;
  }
  fv.addEventListener('change',apply);fm.addEventListener('change',apply);ft.addEventListener('input',apply);
  document.getElementById('f-form').addEventListener('submit',function(ev){ev.preventDefault();apply();});
  window.addEventListener('beforeprint',function(){
    document.querySelectorAll('details').forEach(function(d){d.open=true;});
  });
})();
"""
