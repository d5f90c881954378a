"""The case form beside the last result: every contract field grouped as a pathologist reads a
report, the values typed so far kept, the setting explained where it is chosen; rescoring on change."""

from __future__ import annotations

import html

from ..contract import FIELDS, field_label, value_words
from ..literature import SCENARIOS

GROUPS = (
    ("clinical", "Clinical"),
    ("biochemistry", "Biochemistry"),
    ("pathology", "Differentiation and grade"),
    ("ihc", "Immunohistochemistry panel"),
    ("imaging", "Imaging"),
    ("molecular", "Molecular"),
    ("expression", "Gene expression"),
    ("procedure", "Procedures that looked for the primary"),
)


COVERAGES = (0.8, 0.9, 0.95)


_OPTION_PREFIX = "option_"  # form controls that are options, not contract fields


_RESCORE = """<script>
// edit and rescore: a change scores the case again. An answer is shown only for the form it
// answers: each request carries the form as sent and a number; an answer to an older request, or
// to a form that has changed since, is never shown; while the form and the result disagree the
// result says so; a refusal is shown as the server words it; a server that cannot be reached, or
// fails, is said in place of the result (the page works without this: the button submits the form)
(function(){
const f=document.getElementById('case'),slot=document.getElementById('result-slot');
const now=()=>new URLSearchParams(new FormData(f)).toString();
// the form the answer in the slot answers (the page comes with the answer to its form, if any)
let t=null,seq=0,ctrl=null,shown=slot.querySelector('#result,.error')?now():null;
function stale(){if(shown===null)return; // no answer is shown
 if(now()===shown){slot.classList.remove('stale');const o=document.getElementById('stale-note');
 if(o)o.remove();return}
 slot.classList.add('stale');let s=document.getElementById('stale-note');
 if(!s){s=document.createElement('p');s.id='stale-note';s.className='stale-note';s.setAttribute('role','status');
 slot.prepend(s)}s.textContent='The form has changed: this result is for the earlier entries. Rescoring\u2026'}
function fail(text){slot.classList.remove('stale');slot.innerHTML='';const d=document.createElement('div');
 d.className='error';d.setAttribute('role','alert');const b=document.createElement('b');b.textContent='Not scored.';
 d.append(b,' '+text+' No result is shown for the form as it is now.');slot.append(d);shown=null}
async function rescore(){const my=++seq,sent=now();if(ctrl)ctrl.abort();ctrl=new AbortController();
 let r,text;try{r=await fetch('/score',{method:'POST',headers:{'Content-Type':'application/x-www-form-urlencoded'},
 body:sent,signal:ctrl.signal});text=await r.text()}catch(e){if(my===seq&&e.name!=='AbortError')
 fail('The server could not be reached ('+(e.message||e)+').');return}
 if(my!==seq)return; // an answer to an older request: never shown
 if(now()!==sent){rescore();return} // the form changed while it was scored: not its answer
 const n=new DOMParser().parseFromString(text,'text/html').getElementById('result-slot');
 if(!n||!(r.ok||r.status===422)){fail('The server answered '+r.status+' '+r.statusText+'.');return}
 const was=shown?probs(slot):null,from=shown;
 slot.innerHTML=n.innerHTML;slot.classList.remove('stale');shown=sent;
 if(was&&from!==null)said(from,sent,was,probs(slot))}
// what changed since the previous answer, and why: the entries edited and each site's move
function probs(root){const o={};root.querySelectorAll('table.answer tr').forEach(function(tr){
 const s=tr.querySelector('.site'),p=tr.querySelector('.pct');
 if(s&&p)o[s.textContent.trim()]=p.textContent.trim()});return o}
function said(a,b,was,is){const A=new URLSearchParams(a),B=new URLSearchParams(b),out=[];
 new Set([...A.keys(),...B.keys()]).forEach(function(k){const x=A.get(k)||'',y=B.get(k)||'';if(x===y)return;
  const el=f.elements[k],lab=el&&el.labels&&el.labels[0]?el.labels[0].childNodes[0].textContent.trim():k;
  out.push(lab+': '+(x||'not done')+' \u2192 '+(y||'not done'))});
 const moved=Object.keys(is).filter(function(s){return was[s]!==undefined&&was[s]!==is[s]})
  .map(function(s){return s+' '+was[s]+' \u2192 '+is[s]});
 const res=slot.querySelector('#result');if(!res||!out.length)return;
 const p=document.createElement('p');p.id='changed-note';p.className='small';p.setAttribute('role','status');
 p.textContent='Since the previous answer: '+out.join('; ')
  +(moved.length?'; so '+moved.join(', '):'; no site moved')+'.';
 const h=res.querySelector('h1');if(h)h.after(p);else res.prepend(p)}
f.addEventListener('input',stale);
f.addEventListener('submit',function(){clearTimeout(t);seq++;if(ctrl)ctrl.abort()}); // the button takes over
f.addEventListener('change',function(){stale();clearTimeout(t);t=setTimeout(rescore,120)});
})();
</script>"""


def _control(f, value: str) -> str:
    e = html.escape
    name = f.name
    if f.kind == "category":
        blank = "not done" if f.test else "not recorded"
        opts = [f"<option value=''>{blank}</option>"] + [
            f"<option value='{e(v)}'{' selected' if v == value else ''}>{e(value_words(f.name, v))}</option>"
            for v in f.values
        ]
        ctl = f"<select id='{name}' name='{name}'>{''.join(opts)}</select>"
    else:
        unit = f" ({e(f.unit)})" if f.unit else ""
        ctl = (
            f"<input id='{name}' name='{name}' type='text' inputmode='decimal' value='{e(value)}' "
            f"placeholder='{'not done' if f.test else 'not recorded'}{unit}'>"
        )
    return f"<label for='{name}' title='{e(f.description)}'>{e(field_label(name))}{ctl}</label>"


def _options(values: dict, default_prior: str, default_coverage: float, out_of_scope: bool) -> str:
    """The setting (deployment prior, explained where it is chosen), the set level, score anyway."""
    from ..estimator import prior_words

    e = html.escape
    prior = values.get(_OPTION_PREFIX + "target_prior", default_prior)
    named = (*SCENARIOS, "training")
    choices = named if prior in named or not prior else (prior, *named)  # the server's own setting is offered
    priors = "".join(
        f"<option value='{e(p)}'{' selected' if p == prior else ''}>{e(prior_words(p))}</option>" for p in choices
    )
    cov = values.get(_OPTION_PREFIX + "coverage", f"{default_coverage:g}")
    levels = sorted(set(COVERAGES) | {round(float(default_coverage), 2)})
    covs = "".join(f"<option value='{c:g}'{' selected' if f'{c:g}' == cov else ''}>{c:.0%}</option>" for c in levels)
    anyway = " checked" if values.get(_OPTION_PREFIX + "score_anyway") else ""
    return (
        "<fieldset><legend>Setting</legend>"
        "<p class='hint'>What kind of case is this? The probabilities start from how often each site is the "
        "primary in that setting.</p>"
        f"<label for='option_target_prior'>setting<select id='option_target_prior' "
        f"name='option_target_prior'>{priors}</select></label>"
        f"<label for='option_coverage'>prediction set level<select id='option_coverage' "
        f"name='option_coverage'>{covs}</select></label>"
        + (
            f"<label for='option_score_anyway'>score outside the intended use<input type='checkbox' "
            f"id='option_score_anyway' name='option_score_anyway' value='1'{anyway}></label>"
            if out_of_scope or anyway
            else ""
        )
        + "</fieldset>"
    )


def case_form(
    identity: dict,
    values: dict | None = None,
    error: str | None = None,
    *,
    default_prior: str = "",
    default_coverage: float = 0.9,
    out_of_scope: bool = False,
    result: str | None = None,
) -> str:
    """The page: the case form (every contract field grouped as a pathologist thinks, every test
    "not done" by default, the values typed so far kept) beside the result of the last scoring, or
    the error that stopped it. Changing a field rescores (with JavaScript; the button without)."""
    from ..inference import model_words
    from ._report import page

    e = html.escape
    values = values or {}
    form = [
        "<form id='case' method='post' action='/score' class='noprint'>",
        f"<fieldset><legend>Case</legend><label for='case_id'>case id"
        f"<input id='case_id' name='case_id' type='text' value='{e(values.get('case_id', ''))}'></label></fieldset>",
    ]
    for group, title in GROUPS:
        fields = [f for f in FIELDS.values() if f.group == group]
        if fields:
            form.append(
                f"<fieldset><legend>{e(title)}</legend>"
                + "".join(_control(f, values.get(f.name, "")) for f in fields)
                + "</fieldset>"
            )
    form.append(_options(values, default_prior, default_coverage, out_of_scope))
    form.append("<p><button type='submit' id='submit'>Score this case</button></p></form>")
    if error:
        text = error[len("not scored: ") :] if error.lower().startswith("not scored: ") else error
        text = text.replace("--score-anyway scores it", "tick 'score outside the intended use' to score it")
        slot = f"<div class='error' role='alert'><b>Not scored.</b> {e(text)}</div>"
    else:
        slot = result or "<p class='empty'>Fill in what is known and score the case: the result appears here.</p>"
    body = (
        f"<p class='notice'><b>{e(identity['notice'])}</b></p>"
        "<h1 class='noprint'>netorigin: where did this NET liver metastasis come from?</h1>"
        f"<p class='small noprint'>Model {e(model_words(identity))}. Nothing about a case is stored or logged: it is "
        "scored in memory and forgotten.</p>"
        f"<div class='layout'>{''.join(form)}<div id='result-slot'>{slot}</div></div>" + _RESCORE
    )
    return page("netorigin: score a case", body)
