//! The remote control's keys as the box protocol names them: in graph.json,
//! in `/nav/` URLs and in site.toml's `[key_codes]`. A leaf: layout wires
//! keys, config reads their names, publish writes them into shells.

/// A remote-control key as the protocol names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Up,
    Down,
    Left,
    Right,
    Ok,
    Back,
    Home,
    PageUp,
    PageDown,
    Red,
    Green,
    Yellow,
    Blue,
    Digit(u8),
}

impl Key {
    /// The key's name in graph.json and URLs.
    pub fn name(self) -> &'static str {
        const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        match self {
            Key::Digit(d) => DIGITS.get(usize::from(d)).copied().unwrap_or(""),
            named => NAMED.iter().find(|(k, _)| *k == named).map_or("", |(_, n)| n),
        }
    }

    /// Every key the protocol knows.
    pub fn all() -> impl Iterator<Item = Key> {
        NAMED.iter().map(|(k, _)| *k).chain((0..=9).map(Key::Digit))
    }

    pub(crate) fn from_name(name: &str) -> Option<Key> {
        match name.as_bytes() {
            [d @ b'0'..=b'9'] => Some(Key::Digit(d - b'0')),
            _ => NAMED.iter().find(|(_, n)| *n == name).map(|(k, _)| *k),
        }
    }

    /// Where the key's name sorts among the names (digits, then the others
    /// alphabetically): the order graph.json lists a state's keys in.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Key::Digit(d) => d,
            named => 10 + NAMED.iter().position(|(k, _)| *k == named).unwrap_or(0) as u8,
        }
    }
}

/// The keys with a word for a name, in alphabetical order of it.
const NAMED: [(Key, &str); 13] = [
    (Key::Back, "back"),
    (Key::Blue, "blue"),
    (Key::Down, "down"),
    (Key::Green, "green"),
    (Key::Home, "home"),
    (Key::Left, "left"),
    (Key::Ok, "ok"),
    (Key::PageDown, "pagedown"),
    (Key::PageUp, "pageup"),
    (Key::Red, "red"),
    (Key::Right, "right"),
    (Key::Up, "up"),
    (Key::Yellow, "yellow"),
];

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A key read by its name, borrowed from the input where it can be.
impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the name of a key")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
                Key::from_name(name).ok_or_else(|| E::custom(format!("no key is named {name}")))
            }
        }
        d.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_by_its_name() {
        for key in Key::all() {
            assert_eq!(Key::from_name(key.name()), Some(key));
        }
        assert_eq!(Key::all().count(), 23);
        assert_eq!(Key::from_name("menu"), None);
        assert_eq!(Key::from_name("12"), None);
    }

    #[test]
    fn rank_is_the_order_of_names() {
        let mut by_rank: Vec<Key> = Key::all().collect();
        by_rank.sort_by_key(|k| k.rank());
        let mut by_name: Vec<Key> = Key::all().collect();
        by_name.sort_by_key(|k| k.name());
        assert_eq!(by_rank, by_name);
    }
}
