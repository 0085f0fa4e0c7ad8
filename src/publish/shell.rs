//! The HTML shell of one screen state: the picture, the focus laid over it,
//! and the key handling, in script that old set-top box browsers run.
//!
//! Invariant: the script is ES3 — no `JSON`, `bind`, `indexOf` on arrays,
//! `addEventListener`-only wiring, `let`/`const`, arrow functions or
//! `toFixed`; server data is read with `eval`, as box portals do.

use std::fmt::Write;

use crate::layout::interact::Ask;
use crate::layout::Screen;

use super::{Pictures, ProfileInput, ShellSettings};

/// Key codes of the common middleware to protocol key names:
/// - DOM / Android WebView: arrows 37–40, OK 13, back 8 (Backspace) and 27
///   (Esc), page 33/34, home 36, digits 48–57;
/// - iPanel cable browsers: arrows 1–4 (up, down, left, right), back 340,
///   page 372/373, colour keys 275–278;
/// - China Telecom-style Huawei/ZTE IPTV: back 8 and 24 (0x18), colour keys
///   275–278 (0x113–0x116), portal/home 272 (0x110);
/// - HbbTV: VK_RED…VK_BLUE 403–406, VK_BACK 461.
///
/// site.toml `[key_codes]` adds codes and overrides these.
const KEY_MAP: &str = "{38:'up',40:'down',37:'left',39:'right',1:'up',2:'down',3:'left',4:'right',\
13:'ok',8:'back',24:'back',27:'back',340:'back',461:'back',33:'pageup',34:'pagedown',\
372:'pageup',373:'pagedown',36:'home',272:'home',275:'red',276:'green',277:'yellow',278:'blue',\
403:'red',404:'green',405:'yellow',406:'blue'}";

/// The script shared by every shell; the page defines its data first.
const SCRIPT: &str = r#"
var K=KEYMAP,d,i,im,pics=[];for(d=0;d<10;d++){K[48+d]=''+d;}for(i in KX){K[i]=KX[i];}
function el(id){return document.getElementById(id);}
function pre(u){var m=new Image();m.src=u;pics[pics.length]=m;}
for(i=0;i<S.length;i++){if(S[i].i){pre(S[i].i);}}
for(i=0;i<10;i++){pre(E.d[i]);}pre(E.i);pre(NW.i);
function place(e,x,y,w,h,src){e.src=src;e.style.left=x+'px';e.style.top=y+'px';e.style.width=w+'px';e.style.height=h+'px';e.style.visibility='visible';}
function hide(e){e.style.visibility='hidden';}
function show(n){var s=S[n],f=el('f');if(!s){return;}F=n;if(s.i){place(f,s.x,s.y,s.w,s.h,s.i);}else{hide(f);}if(SQ){SQ(n);}}
/* Hooks an answer screen's script sets: on showing a state, on leaving, on a key. */
var SQ=null,XQ=null,KQ=null;
function go(t){var h=t.lastIndexOf('#'),id=t.substring(0,h),n=parseInt(t.substring(h+1),10);
if(id==I){show(n);}else{window.location.href=P+id+'.html?f='+n+(XQ?XQ(id):'');}}
/* The portal's return address: kept from the address this channel was opened with. */
function unq(u){try{return decodeURIComponent(u);}catch(x){return unescape(u);}}
function cookie(n){var m=new RegExp('(?:^|; *)'+n+'=([^;]*)').exec(document.cookie);return m?unescape(m[1]):'';}
(function(){var m=/[?&](?:return|returnurl|backurl)=([^&]*)/i.exec(window.location.search),u;if(!m||!m[1]){return;}u=unq(m[1]);
document.cookie='infotv_return='+escape(u)+'; path=/';try{iPanel.setGlobalVar('infotv_return',u);}catch(x){}})();
function home(){var u=cookie('infotv_return');
if(!u){try{u=iPanel.getGlobalVar('infotv_return')||'';}catch(x){}}if(!/^https?:\/\//i.test(u)){u=PORTAL;}return u;}
/* Page numbers typed like channel numbers: shown as typed, committed at three digits or after a pause. */
var buf='',bufT=null,nwT=null;
function drawEntry(){var k;hide(el('nw'));if(buf==''){hide(el('e'));for(k=0;k<3;k++){hide(el('e'+k));}return;}
place(el('e'),E.x,E.y,E.w,E.h,E.i);for(k=0;k<3;k++){if(k<buf.length){place(el('e'+k),E.s[k][0],E.s[k][1],E.gw,E.gh,E.d[parseInt(buf.charAt(k),10)]);}else{hide(el('e'+k));}}}
/* On places the number is the place's own (1…N), whole as soon as no longer number starts with it. */
function commit(){var n=buf,t;buf='';if(bufT){clearTimeout(bufT);bufT=null;}drawEntry();t=LN?LN[parseInt(n,10)-1]:N[n];
if(t){go(t);}else if(n!=''){place(el('nw'),NW.x,NW.y,NW.w,NW.h,NW.i);if(nwT){clearTimeout(nwT);}nwT=setTimeout(function(){hide(el('nw'));},2500);}}
function whole(){return LN?buf.length>=(''+LN.length).length||parseInt(buf,10)*10>LN.length:buf.length>=3;}
function digit(c){if(bufT){clearTimeout(bufT);}buf=buf+c;drawEntry();if(whole()){commit();}else{bufT=setTimeout(commit,1600);}}
/* The alert: shown over everything until OK; the OK is remembered per alert. */
var alertOn=false,alertSince='';
function setAlert(a){var e=el('al'),m;if(a&&a.since!=cookie('infotv_ack')&&a.images[PR]){m=a.images[PR];alertSince=a.since;place(e,m[1],m[2],m[3],m[4],m[0]);alertOn=true;}else{hide(e);alertOn=false;}}
/* Carousel: moves on by itself until a key is pressed. */
var carT=null;if(CAR){carT=setTimeout(function(){go(CAR[1]);},CAR[0]*1000);}
var lastCode=-1,lastTime=0;
function stop(e){if(e.preventDefault){e.preventDefault();}e.returnValue=false;return false;}
function handle(e,kind){e=e||window.event;var c=e.keyCode||e.which,now=(new Date()).getTime(),name,t;
if(kind=='press'&&c==lastCode&&now-lastTime<500){return stop(e);}
name=K[c];if(!name){return true;}
if(kind=='down'){lastCode=c;lastTime=now;}
if(carT){clearTimeout(carT);carT=null;}
if(alertOn){if(name=='ok'){document.cookie='infotv_ack='+escape(alertSince)+'; path=/';setAlert(null);}return stop(e);}
if(KQ&&KQ(name)){return stop(e);}
t=S[F].k[name];if(buf==''&&t=='search#0'&&I.substring(0,6)!='search'){toSearch();return stop(e);}
if(name.length==1&&!(DG&&t)){digit(name);return stop(e);}
if(buf!=''&&name=='ok'){commit();return stop(e);}
if(buf!=''&&name=='back'){buf='';drawEntry();return stop(e);}
if(name=='back'&&fromSearch()){return stop(e);}if(name=='home'){unmark();}
if(t&&name=='ok'&&I.substring(0,7)=='search-'&&t.substring(0,6)!='search'){mark(t);}
if(t){go(t);}else if(name=='back'){t=home();if(t){window.location.href=t;}}return stop(e);}
/* 查询: opened from any screen, left back to it; a result opened from it leads back to the same results and focus. */
function setc(n,v){document.cookie=n+'='+escape(v)+'; path=/';}
function doc(id){var m=/^(.*-.*)-\d+$/.exec(id);return m?m[1]:id;}
function unmark(){setc('infotv_sto','');setc('infotv_sback','');}
function mark(t){setc('infotv_sback',I+'#'+F);setc('infotv_sto',doc(t.substring(0,t.lastIndexOf('#'))));}
function toSearch(){unmark();setc('infotv_sfrom',I+'#'+F);go('search#0');}
function fromSearch(){var u=cookie('infotv_sto'),b=cookie('infotv_sback');
if(u&&b&&u==doc(I)){unmark();go(b);return true;}
if(I=='search'){u=cookie('infotv_sfrom');if(u){setc('infotv_sfrom','');go(u);return true;}}return false;}
document.onkeydown=function(e){return handle(e,'down');};
document.onkeypress=function(e){return handle(e,'press');};
document.onirkeypress=function(e){return handle(e,'down');};
document.onsystemevent=function(e){return handle(e,'down');};
/* Clock in the channel's time, from the server's, whatever the box's clock says.
   A static export has no server time, only the day it was built: a box whose own clock
   is more than a day before that was never set, and shows no date or clock at all. */
var skew=null,tz=480,built=0;
function two(n){return n<10?'0'+n:''+n;}
function tick(){if(skew===null){return;}var n=(new Date()).getTime()+skew,t=new Date(n+tz*60000),s=two(t.getUTCHours())+two(t.getUTCMinutes()),x=C.x,k,g;
if(n<built-864e5){for(k=0;k<5;k++){hide(el('c'+k));}for(k=0;k<DATE_SLOTS;k++){hide(el('d'+k));}day='';return;}
for(k=0;k<5;k++){g=k==2?C.g[10]:C.g[parseInt(s.charAt(k<2?k:k-1),10)];place(el('c'+k),x,C.y,g[1],C.h,g[0]);x+=g[1];}date(t);}
/* The date before it, right-aligned: 2026年11月27日 星期五 as glyphs DT.g (0-9, 年, 月, 日, 星期, 一-六; -1 the gap). */
var day='';
function num(q,n,g){var s=''+n,k;for(k=0;k<s.length;k++){q[q.length]=parseInt(s.charAt(k),10);}q[q.length]=g;}
function date(t){var q=[],w=t.getUTCDay(),x=DT.x,k,e=0,g;num(q,t.getUTCFullYear(),10);num(q,t.getUTCMonth()+1,11);num(q,t.getUTCDate(),12);
q[q.length]=-1;q[q.length]=13;q[q.length]=w==0?12:13+w;if(q.join(',')==day){return;}day=''+q;
for(k=0;k<q.length;k++){x-=q[k]<0?DT.s:DT.g[q[k]][1];}
for(k=0;k<q.length;k++){if(q[k]<0){x+=DT.s;continue;}g=DT.g[q[k]];place(el('d'+e),x,DT.y,g[1],DT.h,g[0]);x+=g[1];e++;}
for(;e<DATE_SLOTS;e++){hide(el('d'+e));}}
/* Polling: new content reloads this screen when it changed; alerts come and go. */
function xhr(){try{return new XMLHttpRequest();}catch(x){return null;}}
/* V is the version of the shell this page was (state F0); the box may have moved since. */
var F0=F;function recheck(){var r=xhr();if(!r){return;}r.open('GET',P+I+'.html?f='+F0,true);r.setRequestHeader('If-None-Match',V);r.setRequestHeader('X-Requested-With','XMLHttpRequest');
r.onreadystatechange=function(){if(r.readyState==4&&r.status!=304&&r.status!=0){window.location.replace(P+I+'.html?f='+F);}};r.send(null);}
/* No generation is named here (an unchanged screen keeps its bytes): the first is taken as ours unless it is young. */
function poll(){var r=xhr();if(!r){return;}r.open('GET','/api/v1/generation',true);
r.onreadystatechange=function(){var g;if(r.readyState!=4||r.status!=200){return;}
try{g=eval('('+r.responseText+')');}catch(x){return;}
skew=g.time?g.time-(new Date()).getTime():0;built=g.time?0:g.built||0;tz=g.utc_offset;tick();setAlert(g.alert);
if(g.generation!=G){if(G!=''||g.age<30){recheck();}G=g.generation;}};r.send(null);}
(function(){var m=/[?&]f=(\d+)/.exec(window.location.search),n;if(m){n=parseInt(m[1],10);if(n!=F&&S[n]){show(n);}}})();
poll();setInterval(poll,POLL*1000);setInterval(tick,5000);
"#;

/// Slots for the date's glyphs: `2026年11月27日 星期五` is 13.
const DATE_SLOTS: usize = 13;

/// [`SCRIPT`] with the key map and the date's slots in place, made once.
static SHARED_SCRIPT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| SCRIPT.replace("KEYMAP", KEY_MAP).replace("DATE_SLOTS", &DATE_SLOTS.to_string()));

/// The script of answer screens, after [`SCRIPT`]; the page defines `Q`
/// (what is asked) and `NQ` (the notices) first. Answers go as a small
/// form-encoded POST and the reply is read with `eval`.
const ASK_SCRIPT: &str = r#"
var A=(function(){var m=/[?&]a=([0-9]*)/.exec(window.location.search);return m?m[1]:'';})(),ph='',busy=false,ntT=null;
function note(k){var n=NQ[k]||NQ.busy,e=el('nw');place(e,n[1],n[2],n[3],n[4],n[0]);if(ntT){clearTimeout(ntT);}ntT=setTimeout(function(){hide(e);},3000);}
/* The middleware's serial, where there is one: the server takes it when its registry knows the box. */
function serial(){var v='';try{v=hardware.STB.serial;}catch(x){}if(!v){try{v=CA.card.serialNumber;}catch(x){}}
if(!v){try{v=Authentication.CTCGetConfig('STBID');}catch(x){}}return v?''+v:'';}
/* The id the server issued this box (signed: a made-up one counts for nothing), kept wherever this box can keep it. */
function kept(){var v=cookie('infotv_box');if(!v){try{v=iPanel.misc.getGlobal('infotv_box');}catch(x){}}
if(!v){try{v=window.localStorage.getItem('infotv_box');}catch(x){}}return v?''+v:'';}
function keep(v){document.cookie='infotv_box='+v+'; path=/; expires='+(v?'Fri, 31 Dec 2037':'Thu, 01 Jan 1970')+' 23:59:59 GMT';
try{iPanel.misc.setGlobal('infotv_box',v);iPanel.misc.save();}catch(x){}try{window.localStorage.setItem('infotv_box',v);}catch(x){}}
function digits(s,x,y,gap){var k,c,o=0,e;for(k=0;k<12;k++){e=el('p'+k);c=s.charAt(k);
if(c==''){hide(e);continue;}if(gap&&k==4){o=Math.floor(E.gw/2);}place(e,x+k*E.gw+o,y,E.gw,E.gh,E.d[parseInt(c,10)]);}}
function send(again){var b='profile='+PR+'&screen='+I+'&box='+encodeURIComponent(kept())+'&serial='+encodeURIComponent(serial()),k,r=xhr();if(busy||!r){return;}
if(Q.k=='question'){for(k=0;k<=Q.i;k++){b+='&q'+(k+1)+'='+(A.charAt(k)||'0');}}
else if(Q.k=='rating'){b+='&rating='+(6-parseInt(A.charAt(0)||'6',10));}else{b+='&category='+Q.c+'&phone='+ph;}
busy=true;r.open('POST','/api/v1/answer',true);r.setRequestHeader('Content-Type','application/x-www-form-urlencoded');
r.onreadystatechange=function(){var g=null;if(r.readyState!=4){return;}busy=false;try{g=eval('('+r.responseText+')');}catch(x){g=null;}
if(g&&g.box){keep(g.box);}
if(r.status==200&&g&&g.next){window.location.href=g.next;}else if(g&&g.notice=='box'&&!again){keep('');send(true);}else{note(g&&g.notice?g.notice:'busy');}};r.send(b);}
SQ=function(n){if(Q.n&&n>=Q.n){while(A.length<Q.i){A+='0';}A=A.substring(0,Q.i)+(n-Q.n+1);}};
XQ=function(id){return A!=''&&id.substring(0,12)==I.substring(0,12)?'&a='+A:'';};
KQ=function(name){if(Q.k=='phone'){if(name.length==1){if(ph.length<Q.s&&F==0){ph+=name;digits(ph,Q.x,Q.y,false);}return true;}
if(name=='back'&&F==0&&ph!=''){ph=ph.substring(0,ph.length-1);digits(ph,Q.x,Q.y,false);return true;}
if(name=='ok'&&F==0&&ph.length<7){note('short');return true;}if(name=='ok'&&F==1){send();return true;}return false;}
if(Q.send&&name=='ok'&&F>=Q.n){send();return true;}return false;};
if(Q.k=='reference'){(function(){var m=/[?&]r=([0-9-]*)/.exec(window.location.search);if(m){digits(m[1].replace(/-/g,''),Q.x,Q.y,true);}})();}
SQ(F);
"#;

/// The marker replaced by the shell's own version after hashing.
const VERSION_MARK: &str = "@@VERSION@@";

/// The shell of `screen` with state `focus` focused, and its version (the
/// quoted ETag it is served with).
pub fn render(
    input: &ProfileInput,
    settings: &ShellSettings,
    screen: &Screen,
    pics: &Pictures,
    focus: usize,
) -> (String, String) {
    let profile = input.profile;
    let mut html = head(profile, screen, pics, focus);
    let _ = write!(
        html,
        "\n<script type=\"text/javascript\">\nvar P='/tv/{}/',PR='{}',I='{}',F={focus},G='',V='{VERSION_MARK}',POLL={},",
        profile.name, profile.name, screen.id, settings.poll_seconds
    );
    states(&mut html, screen, pics);
    html.push_str(",\nN={");
    list(&mut html, input.numbers, |html, (n, t)| write!(html, "'{n}':'{t}'"));
    html.push_str("},\n");
    overlays(&mut html, input.overlays);
    match screen.carousel.as_deref() {
        Some((s, t)) => {
            let _ = write!(html, "CAR=[{s},'{t}'],");
        }
        None => html.push_str("CAR=null,"),
    }
    html.push_str("KX={");
    list(&mut html, &settings.key_codes, |html, (code, key)| write!(html, "{code}:'{}'", escape_js(key.name())));
    html.push_str("},");
    let _ = write!(html, "PORTAL='{}',", escape_js(settings.portal_url.as_deref().unwrap_or("")));
    // On screens of choices the digits pick a choice; elsewhere they are page numbers.
    let choices =
        matches!(screen.kind, crate::layout::Kind::Poll | crate::layout::Kind::Request | crate::layout::Kind::Search);
    let _ = write!(html, "DG={},", u8::from(choices));
    if screen.locals.is_empty() {
        html.push_str("LN=null;");
    } else {
        html.push_str("LN=[");
        list(&mut html, &screen.locals, |html, t| write!(html, "'{t}'"));
        html.push_str("];");
    }
    html.push_str(&SHARED_SCRIPT);
    if let Some(ask) = &screen.ask {
        ask_data(&mut html, ask, input.overlays);
        html.push_str(ASK_SCRIPT);
    }
    html.push_str("</script>\n</body></html>\n");
    seal(html)
}

/// The document's head, the base picture, the focus sprite and the empty
/// overlay slots.
fn head(profile: &crate::config::Profile, screen: &Screen, pics: &Pictures, focus: usize) -> String {
    let (w, h) = (profile.width, profile.height);
    let mut html = String::with_capacity(8192);
    let _ = write!(
        html,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html><head>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
<meta name=\"page-view-size\" content=\"{w}*{h}\"><meta name=\"viewport\" content=\"width={w}, height={h}\">\
<title>{title}</title>\
<style type=\"text/css\">body{{margin:0;padding:0;background:#000;overflow:hidden;width:{w}px;height:{h}px}}\
img{{position:absolute;border:0}}#b{{left:0;top:0;width:{w}px;height:{h}px}}</style>\
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
    // Overlay slots: date and clock glyphs, entry box and digits, notice, alert;
    // on answer screens the places of typed digits.
    let dates = (0..DATE_SLOTS).map(|k| format!("d{k}"));
    let slots = ["c0", "c1", "c2", "c3", "c4", "e", "e0", "e1", "e2", "nw", "al"].map(String::from);
    for id in dates.chain(slots) {
        let _ = write!(html, "<img id=\"{id}\" src=\"\" style=\"visibility:hidden\" alt=\"\">");
    }
    if screen.ask.is_some() {
        for k in 0..crate::layout::interact::PHONE_SLOTS {
            let _ = write!(html, "<img id=\"p{k}\" src=\"\" style=\"visibility:hidden\" alt=\"\">");
        }
    }
    html
}

/// `Q` and `NQ`: what the screen asks and the notices it may show.
fn ask_data(html: &mut String, ask: &Ask, ov: &super::OverlayPics) {
    html.push_str("\nvar Q=");
    let _ = match ask {
        Ask::Question { index, choices, send } => {
            write!(html, "{{k:'question',i:{index},n:{choices},send:{}}}", send.is_some())
        }
        Ask::Rating { .. } => write!(html, "{{k:'rating',i:0,n:5,send:true}}"),
        Ask::Phone { x, y, slots, number, .. } => write!(html, "{{k:'phone',x:{x},y:{y},s:{slots},c:{number}}}"),
        Ask::Reference { x, y } => write!(html, "{{k:'reference',x:{x},y:{y}}}"),
    };
    html.push_str(",NQ={");
    list(html, &ov.notices, |html, (k, r, u)| write!(html, "{k}:['{u}',{},{},{},{}]", r.x, r.y, r.w, r.h));
    html.push_str("};");
}

/// `S=[…]`: each focus state's sprite and where its keys lead.
fn states(html: &mut String, screen: &Screen, pics: &Pictures) {
    html.push_str("S=[");
    list(html, screen.states.iter().zip(&pics.sprites), |html, (state, sprite)| {
        html.push_str("\n{");
        if let Some((r, src)) = sprite {
            write!(html, "x:{},y:{},w:{},h:{},i:'{src}',", r.x, r.y, r.w, r.h)?;
        }
        html.push_str("k:{");
        list(html, &state.keys, |html, (key, target)| write!(html, "'{}':'{}'", key.name(), target));
        html.push_str("}}");
        Ok(())
    });
    html.push(']');
}

/// `C`, `DT`, `E` and `NW`: the clock's digits, the date's glyphs (`x` is
/// where the date ends), the page-number entry box and its digits, the "no
/// such page" notice.
fn overlays(html: &mut String, ov: &super::OverlayPics) {
    let _ = write!(html, "C={{x:{},y:{},h:{},g:[", ov.clock.x, ov.clock.y, ov.clock.h);
    list(html, &ov.clock_glyphs, |html, (u, gw)| write!(html, "['{u}',{gw}]"));
    let d = ov.date;
    let _ = write!(html, "]}},\nDT={{x:{},y:{},h:{},s:{},g:[", d.right(), d.y, d.h, ov.date_space);
    list(html, &ov.date_glyphs, |html, (u, gw)| write!(html, "['{u}',{gw}]"));
    let e = ov.entry;
    let _ = write!(
        html,
        "]}},\nE={{x:{},y:{},w:{},h:{},i:'{}',gw:{},gh:{},s:[",
        e.x, e.y, e.w, e.h, ov.entry_box, ov.entry_glyph_size.0, ov.entry_glyph_size.1
    );
    list(html, &ov.entry_slots, |html, (x, y)| write!(html, "[{x},{y}]"));
    html.push_str("],d:[");
    list(html, &ov.entry_glyphs, |html, u| write!(html, "'{u}'"));
    let (nr, nu) = &ov.nowhere;
    let _ = write!(html, "]}},\nNW={{x:{},y:{},w:{},h:{},i:'{nu}'}},\n", nr.x, nr.y, nr.w, nr.h);
}

/// Writes `items` separated by commas, each by `each`.
fn list<T>(html: &mut String, items: impl IntoIterator<Item = T>, mut each: impl FnMut(&mut String, T) -> Written) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            html.push(',');
        }
        // Writing to a String cannot fail.
        let _ = each(html, item);
    }
}

/// What `write!` to a String returns.
type Written = std::fmt::Result;

/// Names the shell's version in it; returns it with its ETag. The version
/// is a hash of everything else in the shell, which names neither the
/// generation nor the alert (polls bring both), so a new generation that
/// leaves this screen as it was leaves its shell byte for byte the same.
fn seal(html: String) -> (String, String) {
    let version = &blake3::hash(html.as_bytes()).to_hex()[..16];
    let html = html.replacen(VERSION_MARK, &format!("\\\"{version}\\\""), 1);
    (html, format!("\"{version}\""))
}

/// The keytest page: shows the raw code of every key event, so an operator
/// maps a new box model in a minute.
pub fn keytest() -> String {
    let script = r#"
var n=0,K=KEYMAP;
function line(kind,e){e=e||window.event;var c=e.keyCode||e.which,name=K[c]||'?',l=document.getElementById('log'),t;
n++;t=n+'  '+kind+'  keyCode='+e.keyCode+'  which='+e.which+'  -> '+name;
l.innerHTML='<div>'+t+'</div>'+l.innerHTML;if(e.preventDefault){e.preventDefault();}e.returnValue=false;return false;}
document.onkeydown=function(e){return line('keydown',e);};
document.onkeypress=function(e){return line('keypress',e);};
document.onirkeypress=function(e){return line('irkeypress',e);};
document.onsystemevent=function(e){return line('systemevent',e);};
(function(){var m=/(?:^|; *)infotv_return=([^;]*)/.exec(document.cookie),u=m?unescape(m[1]):'',from='cookie';
if(!u){try{u=iPanel.getGlobalVar('infotv_return')||'';from='iPanel';}catch(x){}}
document.getElementById('ret').innerHTML=u?'Return address / 返回地址 ('+from+'): '+u.replace(/&/g,'&amp;').replace(/</g,'&lt;'):'No return address: back on the start screen goes to site.toml portal_url, if set / 无返回地址';})();
"#;
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html><head>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"><title>infotv keytest</title>\
<style type=\"text/css\">body{{margin:36px;background:#122442;color:#ececE4;font:24px sans-serif}}#log div{{margin:4px 0}}</style>\
</head><body><h1>infotv keytest</h1><p>Press keys on the remote: each event shows its raw code and the key infotv maps it to.\
 Map unknown codes in site.toml under [key_codes].</p><p id=\"ret\"></p><div id=\"log\"></div>\n\
<script type=\"text/javascript\">{}</script></body></html>\n",
        script.replace("KEYMAP", KEY_MAP)
    )
}

/// Escapes text for HTML content and attributes (shells and the operators'
/// pages).
pub(crate) fn escape(s: &str) -> String {
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

/// Escapes text for a single-quoted JavaScript string inside a script element.
fn escape_js(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '\'' | '\\' | '<' | '>' | '\n' | '\r' => format!("\\x{:02x}", c as u32).chars().collect::<Vec<_>>(),
            c => vec![c],
        })
        .collect()
}
