//! Who may use which route of the operators' port: one table, read by the
//! router, by the menus, and by the tests that try every route as every
//! role. A route that is not in [`RULES`] does not exist; a rule cannot be
//! written without saying who it admits (deny by default).

use crate::accounts::Role;

macro_rules! pages {
    ($($(#[$doc:meta])* $page:ident,)*) => {
        /// What a request asks for, once its method and path are matched.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Page { $($(#[$doc])* $page,)* }

        impl Page {
            /// Every page, so a test can see each has a rule.
            pub const ALL: &'static [Page] = &[$(Page::$page,)*];
        }
    };
}

pages! {
    Favicon,
    LoginForm,
    Login,
    Logout,
    /// Change one's own password (and where a forced change leads).
    PasswordForm,
    Password,
    Status,
    Renders,
    RenderRun,
    Problems,
    PreviewHome,
    Preview,
    Stats,
    StatsCsv,
    /// A picture of the preview wall.
    Asset,
    ApiStatus,
    ApiRenders,
    ApiProblems,
    Events,
    Metrics,
    Accounts,
    AccountAdd,
    AccountLock,
    AccountUnlock,
    AccountReset,
    /// One's own API token: nobody mints a token for someone else.
    Token,
    Audit,
    ApiAudit,
    AuditCsv,
    /// Changes waiting for a reviewer, as the TV will show them.
    Review,
    ApiReview,
    Approve,
    Reject,
    /// Polls with live results, and ratings.
    Polls,
    PollsCsv,
    ApiPolls,
    ApiRatings,
    /// Households' requests: numbers in full for operators, masked for reviewers.
    Requests,
    RequestsCsv,
    ApiRequests,
    RequestHandled,
}

/// Whom a rule admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Everyone, logged in or not: the login form and the favicon.
    Anyone,
    /// Anyone logged in with a session, whatever the role: their own
    /// password and token, logging out.
    Signed,
    /// These roles only.
    Roles(&'static [Role]),
    /// These roles, and the shared read-only `--admin-token` too: what a
    /// scraper reads (status, renders, problems, metrics, statistics),
    /// never a phone number, never a change.
    RolesAndReadOnly(&'static [Role]),
}

/// How a caller is known, as the table tells callers apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nobody: no credentials, or none that hold.
    Stranger,
    /// A person logged in with the form.
    Session(Role),
    /// A program with an account's API token.
    Token(Role),
    /// A program with the shared read-only `--admin-token`.
    ReadOnly,
}

/// One route: method, path pattern (`{x}` is one path segment), what it
/// is, and who may use it.
#[derive(Debug)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub page: Page,
    pub who: Who,
}

const fn rule(method: &'static str, path: &'static str, page: Page, who: Who) -> Rule {
    Rule { method, path, page, who }
}

/// Operators read; reviewers read what operators read (and, later, approve).
const READERS: Who = Who::Roles(&[Role::Operator, Role::Reviewer]);
/// What readers and the read-only token read.
const SCRAPED: Who = Who::RolesAndReadOnly(&[Role::Operator, Role::Reviewer]);
const ADMIN: Who = Who::Roles(&[Role::Admin]);
const AUDITOR: Who = Who::Roles(&[Role::Auditor]);
const REVIEWER: Who = Who::Roles(&[Role::Reviewer]);
const OPERATOR: Who = Who::Roles(&[Role::Operator]);

/// The table. `GET` rules answer `HEAD` too.
pub const RULES: &[Rule] = &[
    rule("GET", "/favicon.ico", Page::Favicon, Who::Anyone),
    rule("GET", "/login", Page::LoginForm, Who::Anyone),
    rule("POST", "/login", Page::Login, Who::Anyone),
    rule("POST", "/logout", Page::Logout, Who::Signed),
    rule("GET", "/password", Page::PasswordForm, Who::Signed),
    rule("POST", "/password", Page::Password, Who::Signed),
    rule("GET", "/", Page::Status, SCRAPED),
    rule("GET", "/renders", Page::Renders, SCRAPED),
    rule("GET", "/renders/{id}", Page::RenderRun, SCRAPED),
    rule("GET", "/problems", Page::Problems, SCRAPED),
    rule("GET", "/preview", Page::PreviewHome, READERS),
    rule("GET", "/preview/{profile}", Page::Preview, READERS),
    rule("GET", "/stats", Page::Stats, SCRAPED),
    rule("GET", "/stats.csv", Page::StatsCsv, SCRAPED),
    rule("GET", "/a/{asset}", Page::Asset, READERS),
    rule("GET", "/api/v1/status", Page::ApiStatus, SCRAPED),
    rule("GET", "/api/v1/renders", Page::ApiRenders, SCRAPED),
    rule("GET", "/api/v1/problems", Page::ApiProblems, SCRAPED),
    rule("GET", "/events", Page::Events, READERS),
    rule("GET", "/metrics", Page::Metrics, SCRAPED),
    rule("GET", "/accounts", Page::Accounts, ADMIN),
    rule("POST", "/accounts", Page::AccountAdd, ADMIN),
    rule("POST", "/accounts/{name}/lock", Page::AccountLock, ADMIN),
    rule("POST", "/accounts/{name}/unlock", Page::AccountUnlock, ADMIN),
    rule("POST", "/accounts/{name}/reset", Page::AccountReset, ADMIN),
    rule("POST", "/token", Page::Token, Who::Signed),
    rule("GET", "/audit", Page::Audit, AUDITOR),
    rule("GET", "/api/v1/audit", Page::ApiAudit, AUDITOR),
    rule("GET", "/audit.csv", Page::AuditCsv, AUDITOR),
    rule("GET", "/review", Page::Review, READERS),
    rule("GET", "/api/v1/review", Page::ApiReview, READERS),
    rule("POST", "/api/v1/review/{version}/approve", Page::Approve, REVIEWER),
    rule("POST", "/api/v1/review/{version}/reject", Page::Reject, REVIEWER),
    rule("GET", "/polls", Page::Polls, READERS),
    rule("GET", "/polls.csv", Page::PollsCsv, READERS),
    rule("GET", "/api/v1/polls", Page::ApiPolls, READERS),
    rule("GET", "/api/v1/ratings", Page::ApiRatings, READERS),
    rule("GET", "/requests", Page::Requests, READERS),
    rule("GET", "/requests.csv", Page::RequestsCsv, READERS),
    rule("GET", "/api/v1/requests", Page::ApiRequests, READERS),
    rule("POST", "/requests/{reference}/handled", Page::RequestHandled, OPERATOR),
];

impl Who {
    /// Whether `caller` is admitted. Deny by default: a stranger only where
    /// anyone is, the read-only token only where the rule names it.
    pub fn admits(self, caller: Kind) -> bool {
        match (self, caller) {
            (Who::Anyone, _) => true,
            (Who::Signed, Kind::Session(_)) => true,
            (Who::Roles(roles) | Who::RolesAndReadOnly(roles), Kind::Session(r) | Kind::Token(r)) => roles.contains(&r),
            (Who::RolesAndReadOnly(_), Kind::ReadOnly) => true,
            _ => false,
        }
    }
}

/// What the table says of a method and path.
#[derive(Debug)]
pub enum Found<'a> {
    /// The rule, and the path's `{x}` segments in order.
    Route(&'static Rule, Vec<&'a str>),
    /// The path is a route, but not with this method.
    WrongMethod,
    NotFound,
}

/// Looks `method` and `path` up in [`RULES`].
pub fn find<'a>(method: &str, path: &'a str) -> Found<'a> {
    let method = if method == "HEAD" { "GET" } else { method };
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut found = Found::NotFound;
    for rule in RULES {
        let Some(params) = matches(rule.path, &parts) else { continue };
        if rule.method == method {
            return Found::Route(rule, params);
        }
        found = Found::WrongMethod;
    }
    found
}

fn matches<'a>(pattern: &str, parts: &[&'a str]) -> Option<Vec<&'a str>> {
    let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    if pattern.len() != parts.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, part) in pattern.iter().zip(parts) {
        if p.starts_with('{') {
            params.push(*part);
        } else if p != part {
            return None;
        }
    }
    Some(params)
}

/// Whether `role` may `GET` `path`: what the menus show, and where a login
/// may lead.
pub(crate) fn may_get(role: Role, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or("");
    matches!(find("GET", path), Found::Route(rule, _) if rule.who.admits(Kind::Session(role)))
}

/// Where a role lands after logging in.
pub fn home(role: Role) -> &'static str {
    match role {
        Role::Admin => "/accounts",
        Role::Auditor => "/audit",
        Role::Operator | Role::Reviewer => "/",
    }
}

/// How a caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session(String),
    Token,
    /// The shared read-only `--admin-token`, audited as account `token`.
    AdminToken,
}

impl Caller {
    /// How the role table tells this caller apart.
    pub fn kind(&self) -> Kind {
        match self.via {
            Via::Session(_) => Kind::Session(self.role),
            Via::Token => Kind::Token(self.role),
            Via::AdminToken => Kind::ReadOnly,
        }
    }
}

/// Someone known.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub role: Role,
    pub via: Via,
    pub address: String,
    /// Every page but the password form waits until the password is changed.
    pub must_change: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_exactly_one_rule() {
        for page in Page::ALL {
            let n = RULES.iter().filter(|r| r.page == *page).count();
            assert_eq!(n, 1, "{page:?} has {n} rules");
        }
        assert_eq!(RULES.len(), Page::ALL.len());
    }

    #[test]
    fn every_role_has_a_home_it_may_open() {
        for role in Role::ALL {
            assert!(may_get(role, home(role)), "{role:?}");
        }
    }

    #[test]
    fn roles_keep_their_powers_apart() {
        assert!(may_get(Role::Auditor, "/audit"));
        assert!(!may_get(Role::Auditor, "/"));
        assert!(!may_get(Role::Admin, "/audit"));
        assert!(!may_get(Role::Admin, "/stats"));
        assert!(!may_get(Role::Operator, "/accounts"));
        assert!(!may_get(Role::Reviewer, "/audit.csv"));
        assert!(may_get(Role::Reviewer, "/renders/7"));
    }

    #[test]
    fn lookups() {
        assert!(matches!(find("HEAD", "/renders/3"), Found::Route(r, p) if r.page == Page::RenderRun && p == ["3"]));
        assert!(matches!(find("DELETE", "/renders"), Found::WrongMethod));
        assert!(matches!(find("GET", "/renders/3/x"), Found::NotFound));
        assert!(
            matches!(find("POST", "/accounts/li/lock"), Found::Route(r, p) if r.page == Page::AccountLock && p == ["li"])
        );
        assert!(matches!(find("POST", "/accounts/li/token"), Found::NotFound), "no token for someone else");
    }
}
