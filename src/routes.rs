//! The box port's one route table. `serve` routes by it, `/metrics` labels
//! requests by it, and the tests walk it: a route is added here or nowhere.
//! A leaf: it knows paths, not what answers them.

/// A box-port request's route, with the path segments it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/`: redirects to the default profile's home screen.
    Root,
    Healthz,
    Favicon,
    /// `/a/{hash}.{png|jpg}`: a picture, named by its content.
    Asset(&'a str),
    /// `/tv/keytest.html`: shows the key codes a box sends.
    Keytest,
    /// `/tv/{profile}/{screen}.html`: the shell of a screen.
    Shell {
        profile: &'a str,
        file: &'a str,
    },
    /// `/nav/{profile}/{screen}/{focus}/{key}`: where a key leads, for boxes without script.
    Nav {
        profile: &'a str,
        screen: &'a str,
        focus: &'a str,
        key: &'a str,
    },
    /// Any other `/nav/…`: counted as nav, answered 404.
    NavMalformed,
    /// `/live/{profile}/{file}`: the broadcast loop's HLS.
    Live {
        profile: &'a str,
        file: &'a str,
    },
    /// `/api/v1/generation`: the generation on air, the alert and the clock.
    Generation,
    /// `/api/v1/answer`: households' answers, POST only.
    Answer,
    /// `/api/v1/{profile}/graph.json`.
    Graph {
        profile: &'a str,
    },
    /// `/api/v1/{profile}/screens/{screen}.json`: a screen's text.
    ScreenText {
        profile: &'a str,
        file: &'a str,
    },
    /// `/api/v1/{profile}/search?q={digits}`: what 查询 finds, as JSON.
    Search {
        profile: &'a str,
    },
    Other,
}

impl<'a> Route<'a> {
    /// Every label, in the order `/metrics` keeps its counters.
    pub const LABELS: [&'static str; 14] = [
        "root",
        "healthz",
        "favicon",
        "asset",
        "keytest",
        "shell",
        "nav",
        "generation",
        "graph",
        "screen_text",
        "live",
        "answer",
        "other",
        "search",
    ];

    /// The route of a path's segments (empty ones already dropped).
    pub fn of(parts: &[&'a str]) -> Route<'a> {
        match *parts {
            [] => Route::Root,
            ["healthz"] => Route::Healthz,
            ["favicon.ico"] => Route::Favicon,
            ["a", name] => Route::Asset(name),
            ["live", profile, file] => Route::Live { profile, file },
            ["tv", "keytest" | "keytest.html"] => Route::Keytest,
            ["tv", profile, file] => Route::Shell { profile, file },
            ["nav", profile, screen, focus, key] => Route::Nav { profile, screen, focus, key },
            ["nav", ..] => Route::NavMalformed,
            ["api", "v1", "generation"] => Route::Generation,
            ["api", "v1", "answer"] => Route::Answer,
            ["api", "v1", profile, "graph.json"] => Route::Graph { profile },
            ["api", "v1", profile, "screens", file] => Route::ScreenText { profile, file },
            ["api", "v1", profile, "search"] => Route::Search { profile },
            _ => Route::Other,
        }
    }

    /// The route of a raw path, without allocating: this runs on every request.
    pub(crate) fn of_path(path: &'a str) -> Route<'a> {
        let mut parts = [""; 6];
        let mut n = 0;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            if n == parts.len() {
                return Route::Other;
            }
            parts[n] = seg;
            n += 1;
        }
        Route::of(&parts[..n])
    }

    /// The route's label in `/metrics`.
    pub fn label(&self) -> &'static str {
        Route::LABELS[self.index()]
    }

    /// The route's row among [`Route::LABELS`].
    pub fn index(&self) -> usize {
        match self {
            Route::Root => 0,
            Route::Healthz => 1,
            Route::Favicon => 2,
            Route::Asset(_) => 3,
            Route::Keytest => 4,
            Route::Shell { .. } => 5,
            Route::Nav { .. } | Route::NavMalformed => 6,
            Route::Generation => 7,
            Route::Graph { .. } => 8,
            Route::ScreenText { .. } => 9,
            Route::Live { .. } => 10,
            Route::Answer => 11,
            Route::Other => 12,
            Route::Search { .. } => 13,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_its_own_label() {
        let examples = [
            ("/", "root"),
            ("/healthz", "healthz"),
            ("/favicon.ico", "favicon"),
            ("/a/0123.png", "asset"),
            ("/tv/keytest.html", "keytest"),
            ("/tv/sd/home.html", "shell"),
            ("/nav/sd/home/0/ok", "nav"),
            ("/nav/sd", "nav"),
            ("/api/v1/generation", "generation"),
            ("/api/v1/sd/graph.json", "graph"),
            ("/api/v1/sd/screens/home.json", "screen_text"),
            ("/live/sd/index.m3u8", "live"),
            ("/api/v1/answer", "answer"),
            ("/api/v1/sd/search", "search"),
            ("/a/b/c/d/e/f/g", "other"),
            ("/admin", "other"),
        ];
        for (path, label) in examples {
            assert_eq!(Route::of_path(path).label(), label, "{path}");
        }
        let seen: std::collections::BTreeSet<_> = examples.iter().map(|(_, l)| *l).collect();
        assert_eq!(seen.len(), Route::LABELS.len(), "every label is reachable");
    }
}
