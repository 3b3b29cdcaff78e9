//! Every Rust name the generator makes from an OMA name, and the rules that make them.
//!
//! One rule per kind of item:
//!
//! * modules, fields and method stems are `snake_case`;
//! * types (structs, enums, variants) are `CamelCase`, acronyms as words (`Gsm`, `NbIot`);
//! * constants are `SCREAMING_SNAKE_CASE`.
//!
//! Words are found by splitting on anything that is not a letter or a digit, and inside a
//! token at case changes (`PkgName`, `SignalSNR`) but not in `IDs`, nor in terms of the trade
//! such as `CoAP`, `LwM2M`, `IoT`, `WiMAX` or `eUICC`, which stay one word. Signs
//! that carry meaning become words: `+` is `plus`, a `-` that does not join two words is
//! `minus` (a ` - ` between spaces is a dash), `&` is `and`, `%` is `percent`, so
//! `Active power+` and `Active power-` stay apart. A trailing footnote marker such as `(2)` is
//! dropped.
//! A name that starts with a number spells it out (`3-Phase` is `three_phase`, `5QI` is
//! `FiveQi`); numbers above 99 get an `n` prefix. Rust keywords become raw identifiers
//! (`r#type`), or take a trailing `_` where Rust forbids raw ones (`self_`, `Self_`).
//!
//! Names that still collide inside one namespace are resolved by [`unique`]: the member with
//! the lowest ID keeps the plain name and every later one gets its ID appended
//! (`object_enabled`, `object_enabled_5851`). The result depends only on the input, never on
//! iteration order.
//!
//! `words` splits OMA names into words, `variants` makes short enum variant names from value
//! labels; this file renders names in each case and keeps them unique.

mod variants;
mod words;

use std::collections::BTreeSet;

pub use variants::variant_names;
use words::{spell_leading_number, split_words};

/// A name split into lowercase words, ready to be rendered in any case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name {
    words: Vec<String>,
}

impl Name {
    /// Splits an OMA name into words.
    pub fn from_oma(name: &str) -> Self {
        Self {
            words: split_words(name),
        }
    }

    /// Whether no word survived (the name was only punctuation).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The name with the words of `suffix` appended (`-1` appends `minus`, `1`).
    pub fn with_suffix(&self, suffix: impl ToString) -> Self {
        let mut words = self.words.clone();
        words.extend(split_words(&suffix.to_string()));
        Self { words }
    }

    /// The name with `prefix` as a first word.
    pub fn with_prefix(&self, prefix: &str) -> Self {
        let mut words = vec![prefix.to_lowercase()];
        words.extend(self.words.iter().cloned());
        Self { words }
    }

    fn rendered_words(&self) -> Vec<String> {
        match self.words.split_first() {
            Some((first, rest)) if first.starts_with(|c: char| c.is_ascii_digit()) => {
                let mut words = spell_leading_number(first);
                words.extend(rest.iter().cloned());
                words
            }
            _ => self.words.clone(),
        }
    }

    /// `snake_case`, without keyword escaping: for method stems such as `read_{snake}`.
    pub fn snake(&self) -> String {
        self.rendered_words().join("_")
    }

    /// `snake_case` usable as an identifier on its own: keywords become `r#kw` or `kw_`.
    pub fn snake_ident(&self) -> String {
        escape_keyword(self.snake())
    }

    /// `CamelCase`, keyword-safe.
    pub fn camel(&self) -> String {
        let joined: String = self
            .rendered_words()
            .iter()
            .map(|w| capitalize(w))
            .collect();
        escape_keyword(joined)
    }

    /// `SCREAMING_SNAKE_CASE`.
    pub fn screaming(&self) -> String {
        self.snake().to_uppercase()
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Rust's strict and reserved keywords (edition 2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

fn escape_keyword(ident: String) -> String {
    if NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

/// Makes `names` unique in one namespace that also holds `reserved`. Two names collide when
/// their `snake_case` or their `CamelCase` forms are equal (`PM2.5` and `PM25` differ in one
/// and not the other). Each entry carries the ID that orders and suffixes it: the lowest ID
/// keeps its name, later ones get `_{id}` appended until unique.
pub fn unique<K: Ord + Copy + std::fmt::Display>(
    names: &[(K, Name)],
    reserved: &[&str],
) -> Vec<Name> {
    let mut out: Vec<Name> = names.iter().map(|(_, n)| n.clone()).collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| names.get(i).map(|(id, _)| *id));
    let mut snakes: BTreeSet<String> = BTreeSet::new();
    let mut camels: BTreeSet<String> = BTreeSet::new();
    for r in reserved {
        let r = Name::from_oma(r);
        snakes.insert(r.snake());
        camels.insert(r.camel());
    }
    for i in order {
        let (Some((id, _)), Some(name)) = (names.get(i), out.get_mut(i)) else {
            continue;
        };
        while snakes.contains(&name.snake()) || camels.contains(&name.camel()) {
            *name = name.with_suffix(id);
        }
        snakes.insert(name.snake());
        camels.insert(name.camel());
    }
    out
}

/// Module names for a set of objects `(id, (major, minor) version, name)`, unique across the
/// whole set. Objects that share a name are told apart by ID (`location`, `location_3336`),
/// and versions of one object by version (`firmware_update_v1_1` beside `firmware_update`,
/// the newest keeping the plain name).
pub fn module_names(objects: &[(u16, (u8, u8), &str)]) -> Vec<String> {
    let base: Vec<Name> = objects
        .iter()
        .map(|(_, _, n)| non_empty(Name::from_oma(n), "object"))
        .collect();
    // Rendered once: the registry has hundreds of objects, and every pair is compared.
    let snakes: Vec<String> = base.iter().map(Name::snake).collect();
    let mut names = base.clone();
    for (i, (id, version, _)) in objects.iter().enumerate() {
        let (Some(my), Some(my_snake)) = (base.get(i), snakes.get(i)) else {
            continue;
        };
        let same_name = |j: usize| snakes.get(j) == Some(my_snake);
        let others: Vec<&(u16, (u8, u8), &str)> = objects
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i && same_name(j))
            .map(|(_, o)| o)
            .collect();
        let mut name = my.clone();
        if others.iter().any(|o| o.0 < *id) {
            name = name.with_suffix(id);
        }
        if others.iter().any(|o| o.0 == *id && o.1 > *version) {
            name = name.with_suffix(format!("v{}_{}", version.0, version.1));
        }
        if let Some(slot) = names.get_mut(i) {
            *slot = name;
        }
    }
    let keyed: Vec<(usize, Name)> = names.into_iter().enumerate().collect();
    unique(&keyed, &[]).iter().map(Name::snake_ident).collect()
}

/// `name`, or `fallback` when no word of it survived.
pub fn non_empty(name: Name, fallback: &str) -> Name {
    if name.is_empty() {
        Name::from_oma(fallback)
    } else {
        name
    }
}

#[cfg(test)]
mod tests;
