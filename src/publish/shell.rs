//! The HTML shell of one screen state: the picture, the focus laid over it,
//! and the key handling, in script that old set-top box browsers run.
//!
//! Invariant: the script is ES3 — no `JSON`, `bind`, `Array.prototype.indexOf`,
//! `addEventListener`-only wiring, `let`, arrow functions or `toFixed`.

use std::fmt::Write;

use crate::config::Profile;
use crate::layout::Screen;

use super::Pictures;

/// Key codes of the common middleware to protocol key names. DOM and Android
/// codes, iPanel (arrows 1–4, back 340, page 372/373), Huawei/ZTE IPTV
/// (colour keys 275–278, back 8 or 24) and HbbTV (`VK_*` 403–406, back 461).
const KEY_MAP: &str = "{38:'up',40:'down',37:'left',39:'right',1:'up',2:'down',3:'left',4:'right',\
13:'ok',8:'back',24:'back',27:'back',340:'back',461:'back',33:'pageup',34:'pagedown',\
372:'pageup',373:'pagedown',36:'home',275:'red',276:'green',277:'yellow',278:'blue',\
403:'red',404:'green',405:'yellow',406:'blue'}";

/// The script shared by every shell; the page defines `P`, `I`, `F` and `S` first.
const SCRIPT: &str = r#"
var K=KEYMAP,d;for(d=0;d<10;d++){K[48+d]=''+d;}
var pics=[],i,im;for(i=0;i<S.length;i++){if(S[i].i){im=new Image();im.src=S[i].i;pics[i]=im;}}
var lastCode=-1,lastTime=0;
function show(n){var s=S[n],f=document.getElementById('f');if(!s){return;}F=n;
if(s.i){f.src=s.i;f.style.left=s.x+'px';f.style.top=s.y+'px';f.style.width=s.w+'px';f.style.height=s.h+'px';f.style.visibility='visible';}
else{f.style.visibility='hidden';}}
function go(t){var h=t.lastIndexOf('#'),id=t.substring(0,h),n=parseInt(t.substring(h+1),10);
if(id==I){show(n);}else{window.location.href=P+id+'.html?f='+n;}}
function stop(e){if(e.preventDefault){e.preventDefault();}e.returnValue=false;return false;}
function handle(e,kind){e=e||window.event;var c=e.keyCode||e.which,now=(new Date()).getTime();
if(kind=='press'&&c==lastCode&&now-lastTime<500){return stop(e);}
var name=K[c];if(!name){return true;}
if(kind=='down'){lastCode=c;lastTime=now;}
var t=S[F].k[name];if(t){go(t);}return stop(e);}
(function(){var m=/[?&]f=(\d+)/.exec(window.location.search),n;if(m){n=parseInt(m[1],10);if(n!=F&&S[n]){show(n);}}})();
document.onkeydown=function(e){return handle(e,'down');};
document.onkeypress=function(e){return handle(e,'press');};
document.onirkeypress=function(e){return handle(e,'down');};
document.onsystemevent=function(e){return handle(e,'down');};
"#;

/// The shell of `screen` with state `focus` focused.
pub fn render(generation: &str, profile: &Profile, screen: &Screen, pics: &Pictures, focus: usize) -> String {
    let (w, h) = (profile.width, profile.height);
    let mut html = String::with_capacity(4096);
    let _ = write!(
        html,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html><head>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
<meta name=\"page-view-size\" content=\"{w}*{h}\"><meta name=\"viewport\" content=\"width={w}, height={h}\">\
<meta name=\"generation\" content=\"{generation}\"><title>{title}</title>\
<style type=\"text/css\">body{{margin:0;padding:0;background:#000;overflow:hidden;width:{w}px;height:{h}px}}\
#b{{position:absolute;left:0;top:0;width:{w}px;height:{h}px}}#f{{position:absolute;border:0}}</style>\
</head><body>\n<img id=\"b\" src=\"{base}\" width=\"{w}\" height=\"{h}\" alt=\"{title}\">",
        title = escape(&screen.title),
        base = pics.base,
    );
    match pics.sprites.get(focus).and_then(|s| s.as_ref()) {
        Some((r, src)) => {
            let _ = write!(
                html,
                "<img id=\"f\" src=\"{src}\" style=\"left:{}px;top:{}px;width:{}px;height:{}px\" width=\"{}\" height=\"{}\" alt=\"\">",
                r.x, r.y, r.w, r.h, r.w, r.h
            );
        }
        None => html.push_str("<img id=\"f\" src=\"\" style=\"visibility:hidden\" alt=\"\">"),
    }
    let _ = write!(
        html,
        "\n<script type=\"text/javascript\">\nvar P='/tv/{}/',I='{}',F={focus},S=[",
        profile.name, screen.id
    );
    for (i, (state, sprite)) in screen.states.iter().zip(&pics.sprites).enumerate() {
        if i > 0 {
            html.push(',');
        }
        html.push_str("\n{");
        if let Some((r, src)) = sprite {
            let _ = write!(html, "x:{},y:{},w:{},h:{},i:'{src}',", r.x, r.y, r.w, r.h);
        }
        html.push_str("k:{");
        for (j, (key, target)) in state.keys.iter().enumerate() {
            if j > 0 {
                html.push(',');
            }
            let _ = write!(html, "'{}':'{}'", key.name(), target);
        }
        html.push_str("}}");
    }
    html.push_str("];");
    html.push_str(&SCRIPT.replace("KEYMAP", KEY_MAP));
    html.push_str("</script>\n</body></html>\n");
    html
}

/// Escapes text for HTML content and attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
