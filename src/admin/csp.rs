//! The operators' pages under a Content-Security-Policy with no
//! `unsafe-inline`: each page's `<script>` and `<style>` elements carry a
//! nonce made for that answer, and the few `style="…"` attributes the
//! templates write (a bar's width, a thumbnail's place) become rules of a
//! nonced stylesheet, keyed by a `data-s` attribute. Script injected into a
//! page, or a style attribute smuggled in, does not run or apply.

use std::fmt::Write;

/// The policy of every answer that is not a page: nothing may load.
pub const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// `page` with its inline script and style nonced, and the policy that
/// allows exactly those.
pub(crate) fn nonced(page: &str) -> (String, String) {
    let nonce = crate::ids::random_hex(16);
    let mut out = String::with_capacity(page.len() + 256);
    let mut rules = String::new();
    let mut rest = page;
    let mut n = 0;
    while let Some(at) = rest.find(" style=\"") {
        out.push_str(&rest[..at]);
        let value_at = at + " style=\"".len();
        let Some(len) = rest[value_at..].find('"') else {
            rest = &rest[at..];
            break;
        };
        let css = unescape(&rest[value_at..value_at + len]);
        let _ = write!(out, " data-s=\"{n}\"");
        let _ = write!(rules, "[data-s=\"{n}\"]{{{}}}", css.replace('<', "\\3c ").replace('}', ""));
        n += 1;
        rest = &rest[value_at + len + 1..];
    }
    out.push_str(rest);
    let mut out = out.replace("<script>", &format!("<script nonce=\"{nonce}\">"));
    out = out.replace("<style>", &format!("<style nonce=\"{nonce}\">"));
    if !rules.is_empty() {
        let sheet = format!("<style nonce=\"{nonce}\">{rules}</style></head>");
        out = out.replacen("</head>", &sheet, 1);
    }
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    (out, policy)
}

/// An attribute value as maud escaped it, back to its text.
fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_script_and_style_carry_the_nonce_and_attributes_become_rules() {
        let page = "<html><head><style>body{}</style></head><body><div class=\"bar\" style=\"width:40%\"></div>\
                    <i style=\"left:3px;top:4px\"></i><script>var TZ=480;</script></body></html>";
        let (out, policy) = nonced(page);
        let nonce = policy.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).unwrap_or_default();
        assert_eq!(nonce.len(), 32);
        assert!(!out.contains(" style=\""), "{out}");
        assert!(out.contains(&format!("<script nonce=\"{nonce}\">var TZ=480;")));
        assert!(out.contains(&format!("<style nonce=\"{nonce}\">body{{}}")));
        assert!(out.contains("class=\"bar\" data-s=\"0\""));
        assert!(out.contains("[data-s=\"0\"]{width:40%}[data-s=\"1\"]{left:3px;top:4px}</style></head>"), "{out}");
        assert!(!policy.contains("unsafe-inline"));
        let (again, _) = nonced(page);
        assert_ne!(again, out, "a nonce an answer");
    }
}
