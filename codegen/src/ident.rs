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

use std::collections::{BTreeMap, BTreeSet};

use crate::range::Label;

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

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// `3` is `three`, `42` is `forty two`, `802` is `n802`; a word like `5g` keeps its letters
/// (`five g`).
fn spell_leading_number(word: &str) -> Vec<String> {
    let digits_end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (digits, rest) = word.split_at(digits_end);
    let spelled: Option<Vec<&str>> = match digits.parse::<usize>() {
        Ok(n) if n < 20 => ONES.get(n).map(|s| vec![*s]),
        Ok(n) if n < 100 => match (TENS.get(n / 10), ONES.get(n % 10)) {
            (Some(tens), _) if n % 10 == 0 => Some(vec![*tens]),
            (Some(tens), Some(ones)) => Some(vec![*tens, *ones]),
            _ => None,
        },
        _ => None,
    };
    match spelled {
        Some(words) => {
            let mut words: Vec<String> = words.into_iter().map(str::to_owned).collect();
            if !rest.is_empty() {
                words.push(rest.to_owned());
            }
            words
        }
        None => vec![format!("n{word}")],
    }
}

/// Splits an OMA name into lowercase words (see the module documentation).
fn split_words(name: &str) -> Vec<String> {
    let name = strip_footnote(name);
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut token = String::new();
    let flush = |token: &mut String, words: &mut Vec<String>| {
        if !token.is_empty() {
            words.extend(split_token(token));
            token.clear();
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            token.push(c);
            continue;
        }
        flush(&mut token, &mut words);
        let alnum_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_ascii_alphanumeric())
        };
        let space_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_whitespace())
        };
        let joins_words = alnum_at(i.checked_sub(1)) && alnum_at(Some(i + 1));
        // ` - ` between spaces is a dash, not a sign.
        let dash = space_at(i.checked_sub(1)) && space_at(Some(i + 1));
        let word = match c {
            '+' => Some("plus"),
            '-' if !joins_words && !dash => Some("minus"),
            '&' => Some("and"),
            '%' => Some("percent"),
            _ => None,
        };
        words.extend(word.map(str::to_owned));
    }
    flush(&mut token, &mut words);
    words
}

/// A footnote marker such as `(2)` at the end of a name (`IP address (2)`) is not part of it.
fn strip_footnote(name: &str) -> &str {
    let trimmed = name.trim_end();
    let marker = trimmed
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once('('))
        .filter(|(head, digits)| {
            !head.trim().is_empty()
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
        });
    marker.map_or(name, |(head, _)| head)
}

/// Mixed-case terms of the trade that stay one word (`CoAP` is `coap`, not `co_ap`).
const ONE_WORD: &[&str] = &[
    "CoAP", "CoAPs", "CoAPS", "LwM2M", "IoT", "WiMAX", "WiFi", "IPv4", "IPv6", "eNB", "gNB",
    "eNodeB", "OAuth", "MQTTs", "LiDAR", "VoLTE", "nuSIM", "uCIFI",
];

/// `eUICC`, `eMBB`, `iUICC`: one lowercase letter, then an acronym. One word.
fn is_prefixed_acronym(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && token.len() >= 3
        && chars.clone().take(2).all(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Splits one alphanumeric token at case changes and after a leading number.
fn split_token(token: &str) -> Vec<String> {
    if ONE_WORD.iter().any(|w| w.eq_ignore_ascii_case(token)) || is_prefixed_acronym(token) {
        return vec![token.to_ascii_lowercase()];
    }
    let chars: Vec<char> = token.chars().collect();
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let is_upper = |j: usize| chars.get(j).is_some_and(char::is_ascii_uppercase);
    let is_lower = |j: usize| chars.get(j).is_some_and(char::is_ascii_lowercase);
    let run_len =
        |j: usize, pred: &dyn Fn(usize) -> bool| (j..chars.len()).take_while(|&k| pred(k)).count();
    let leading_digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in chars.iter().enumerate() {
        let split = i > 0
            && ((i == leading_digits && leading_digits > 0)
                // lower -> Upper: `PkgName`, `WiMAX`, but not the lone `T` of `IoT`.
                || (is_lower(i - 1) && is_upper(i) && (run_len(i, &is_upper) >= 2 || is_lower(i + 1)))
                // end of an acronym: `HTTPServer`, but not `IDs` or `IPv4`.
                || (is_upper(i - 1) && is_upper(i) && run_len(i + 1, &is_lower) >= 2));
        if split && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
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
    let mut names = base.clone();
    for (i, (id, version, _)) in objects.iter().enumerate() {
        let Some(my) = base.get(i) else { continue };
        let same_name = |j: usize| base.get(j).is_some_and(|b| b.snake() == my.snake());
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

/// Words that end a short name: what follows them is explanation
/// (`Connection lost during downloading process` is `ConnectionLost`).
/// The most words a short variant name keeps.
const MAX_VARIANT_WORDS: usize = 5;

const CUT_BEFORE: &[&str] = &[
    "for", "during", "when", "while", "in", "with", "by", "on", "from", "to", "at", "if", "after",
    "before", "which", "that", "because", "as", "due",
];

/// Words a short name does not start or end with.
const LEADING_FILLER: &[&str] = &["a", "an", "the"];
const TRAILING_FILLER: &[&str] = &["the", "of", "is", "are", "has", "it", "than", "and", "or"];

/// Trailing words that carry the meaning of a label, so are never dropped as shared.
const MEANINGFUL_TAIL: &[&str] = &[
    "failed",
    "failure",
    "fail",
    "successful",
    "success",
    "successfully",
    "error",
    "ok",
    "call",
    "fix",
    "fault",
    "alarm",
    "on",
    "off",
    "enabled",
    "disabled",
    "started",
    "stopped",
];

/// Units: after a number they are the meaning (`Every 2 hours`), never a shared tail.
const UNITS: &[&str] = &[
    "s", "ms", "sec", "seconds", "min", "minutes", "h", "hours", "day", "days", "weeks", "months",
    "years", "hz", "khz", "mhz", "ghz", "bit", "bits", "byte", "bytes", "kbps", "mbps", "v", "mv",
    "a", "ma", "w", "kw", "db", "dbm", "percent",
];

/// How much of a label a variant name keeps: first the short form; where short forms collide,
/// those labels are read again keeping more.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Up to the first bracket, sentence end, comma or colon, and before `for`, `during`, ...;
    /// five words.
    Short,
    /// Without the cut before `for`, `during`, ...; five words.
    Longer,
    /// Bracket contents kept, only the sentence end cuts; eight words.
    Full,
}

/// Short variant names for named values, in the order of `labels`.
///
/// Where most labels start with a code (`UNDER_RANGE Measured value is ...`), each such label
/// is named by its code. Otherwise the
/// label is cut at the first bracket, sentence end, comma or colon and before words such as
/// `for`, `during` or `when`; comparison signs become words (`>=` is `not below`);
/// leading articles and trailing fillers (`of`, `is`) go; words that repeat the object name
/// are dropped from its start (`Firmware update cancelled` in Firmware Update is
/// `Cancelled`); a trailing word that at least three labels and a third of them share is
/// dropped when that keeps them distinct and it is not a word that carries the meaning
/// (`failure`, `successful`) or a unit after a number (`2 hours`): `GSM cellular network` is
/// `Gsm` among the network bearers. At most five words are kept. Labels whose short names
/// collide are read again keeping more (`Certificate mode with EST` is
/// `CertificateModeWithEst` beside `CertificateMode`), and names that still collide get their
/// value appended. A label with no words becomes `Value{N}`.
pub fn variant_names(labels: &[Label], object_name: &str) -> Vec<Name> {
    let object_words = split_words(object_name);
    // Codes name the values only where most labels are written that way, so that a lone
    // `GPS Module failure` keeps its words.
    let coded = labels
        .iter()
        .filter(|l| leading_code(&l.text).is_some())
        .count();
    let codes = coded * 2 > labels.len();
    let words_at =
        |label: &Label, detail: Detail| label_words(&label.text, &object_words, detail, codes);
    let mut texts: Vec<Vec<String>> = labels.iter().map(|l| words_at(l, Detail::Short)).collect();
    strip_shared_tail(&mut texts);
    for detail in [Detail::Longer, Detail::Full] {
        let colliding = colliding(&texts);
        if colliding.is_empty() {
            break;
        }
        for i in colliding {
            if let (Some(label), Some(slot)) = (labels.get(i), texts.get_mut(i)) {
                *slot = words_at(label, detail);
            }
        }
    }
    let named: Vec<(i64, Name)> = labels
        .iter()
        .zip(texts)
        .map(|(label, words)| {
            let name = non_empty(Name { words }, &format!("Value {}", label.value));
            (label.value, name)
        })
        .collect();
    unique(&named, &[])
}

/// The indexes of names that are equal to another one.
fn colliding(texts: &[Vec<String>]) -> Vec<usize> {
    (0..texts.len())
        .filter(|&i| {
            let key = texts.get(i).map(|t| t.concat());
            texts
                .iter()
                .enumerate()
                .any(|(j, t)| j != i && Some(t.concat()) == key)
        })
        .collect()
}

/// The words of a label at the given detail; `codes` when the labels of this enum are
/// written `CODE Sentence`.
fn label_words(text: &str, object_words: &[String], detail: Detail, codes: bool) -> Vec<String> {
    if let Some(code) = leading_code(text).filter(|_| codes) {
        return split_words(code);
    }
    let text = operators_as_words(text);
    let mut words = split_words(&cut_label(&text, detail));
    if words.len() > object_words.len() && words.starts_with(object_words) {
        words.drain(..object_words.len());
    }
    while words.len() > 1
        && words
            .first()
            .is_some_and(|w| LEADING_FILLER.contains(&w.as_str()))
    {
        words.remove(0);
    }
    words.truncate(if detail == Detail::Full {
        12
    } else {
        MAX_VARIANT_WORDS
    });
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| TRAILING_FILLER.contains(&w.as_str()))
    {
        words.pop();
    }
    words
}

/// The code of a label written `CODE Sentence`: a run of upper-case words (`UNDER_RANGE`,
/// `REJECTED WITH CERTAINTY`) followed by a capitalised word (`Measured value is ...`).
fn leading_code(text: &str) -> Option<&str> {
    let is_code = |w: &str| {
        w.chars().any(|c| c.is_ascii_uppercase())
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    let mut words = text.split_whitespace().peekable();
    let mut offset = 0;
    while let Some(word) = words.next() {
        offset += text.get(offset..)?.find(word)? + word.len();
        if !is_code(word) {
            break;
        }
        let next_is_sentence = words.peek().is_some_and(|n| {
            let mut c = n.chars();
            c.next().is_some_and(|c| c.is_ascii_uppercase())
                && c.next().is_some_and(|c| c.is_ascii_lowercase())
        });
        if next_is_sentence {
            return text.get(..offset);
        }
    }
    None
}

/// `>=` is ` not below `, `<` is ` below `, and so on, so comparisons keep their meaning in
/// names.
fn operators_as_words(text: &str) -> String {
    [
        (">=", " not below "),
        ("<=", " not above "),
        ("!=", " not "),
        ("==", " equal "),
        (">", " above "),
        ("<", " below "),
        ("=", " equal "),
    ]
    .iter()
    .fold(text.to_owned(), |t, (op, words)| t.replace(op, words))
}

/// The part of a label a variant name is made from, at the given detail.
fn cut_label(text: &str, detail: Detail) -> String {
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        let next = text.get(i + c.len_utf8()..).and_then(|r| r.chars().next());
        let sentence_end = c == '.' && next.is_none_or(char::is_whitespace);
        let explanation = detail != Detail::Full && matches!(c, '(' | '[' | ',' | ';' | ':');
        if explanation || sentence_end {
            end = i;
            break;
        }
    }
    let head = text.get(..end).unwrap_or(text).trim();
    let head = if head.is_empty() { text } else { head };
    let words: Vec<&str> = head.split_whitespace().collect();
    if detail != Detail::Short {
        return words.join(" ");
    }
    let cut = words
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, w)| CUT_BEFORE.contains(&w.to_lowercase().as_str()))
        .map_or(words.len(), |(i, _)| i);
    words.get(..cut).unwrap_or(&words).join(" ")
}

/// Drops a trailing word that at least three labels (and a third of them) share, while every
/// name keeps a real word, the names stay distinct, and the word is not one that carries the
/// meaning or a unit after a number; repeats while that changes something.
fn strip_shared_tail(texts: &mut [Vec<String>]) {
    let strippable = |t: &[String], word: &str| {
        let n = t.len();
        let after_number = t
            .get(n.wrapping_sub(2))
            .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()));
        n > 1 && t.last().is_some_and(|w| w == word) && !(after_number && UNITS.contains(&word))
    };
    loop {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for w in texts
            .iter()
            .filter(|t| t.len() > 1)
            .filter_map(|t| t.last())
        {
            *counts.entry(w.as_str()).or_default() += 1;
        }
        let Some(word) = counts
            .into_iter()
            .filter(|&(w, n)| n >= 3 && n * 3 >= texts.len() && !MEANINGFUL_TAIL.contains(&w))
            .max_by_key(|&(w, n)| (n, std::cmp::Reverse(w.to_owned())))
            .map(|(w, _)| w.to_owned())
        else {
            return;
        };
        let candidate: Vec<Vec<String>> = texts
            .iter()
            .map(|t| {
                let mut t = t.clone();
                if strippable(&t, &word) {
                    t.pop();
                }
                t
            })
            .collect();
        let weak = candidate.iter().any(|t| match t.as_slice() {
            [only] => only.len() <= 2 || only == "not",
            _ => false,
        });
        if weak || !colliding(&candidate).is_empty() || candidate.as_slice() == &*texts {
            return;
        }
        texts.clone_from_slice(&candidate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(name: &str) -> (String, String, String) {
        let n = Name::from_oma(name);
        (n.snake_ident(), n.camel(), n.screaming())
    }

    #[test]
    fn registry_names_in_every_case() {
        let cases = [
            (
                "Firmware Update",
                "firmware_update",
                "FirmwareUpdate",
                "FIRMWARE_UPDATE",
            ),
            ("Package URI", "package_uri", "PackageUri", "PACKAGE_URI"),
            ("PkgName", "pkg_name", "PkgName", "PKG_NAME"),
            ("SignalSNR", "signal_snr", "SignalSnr", "SIGNAL_SNR"),
            (
                "LWM2M  Server URI",
                "lwm2m_server_uri",
                "Lwm2mServerUri",
                "LWM2M_SERVER_URI",
            ),
            (
                "3-Phase Active Power",
                "three_phase_active_power",
                "ThreePhaseActivePower",
                "THREE_PHASE_ACTIVE_POWER",
            ),
            ("5QI", "five_qi", "FiveQi", "FIVE_QI"),
            (
                "5GNR Connectivity",
                "five_gnr_connectivity",
                "FiveGnrConnectivity",
                "FIVE_GNR_CONNECTIVITY",
            ),
            (
                "Group\u{a0} Address",
                "group_address",
                "GroupAddress",
                "GROUP_ADDRESS",
            ),
            (
                "SMS Binding Secret Key(s)",
                "sms_binding_secret_key_s",
                "SmsBindingSecretKeyS",
                "SMS_BINDING_SECRET_KEY_S",
            ),
            (
                "DTLS/TLS Ciphersuite",
                "dtls_tls_ciphersuite",
                "DtlsTlsCiphersuite",
                "DTLS_TLS_CIPHERSUITE",
            ),
            ("PM2.5", "pm2_5", "Pm25", "PM2_5"),
            (
                "AT&T Connectivity Extension",
                "at_and_t_connectivity_extension",
                "AtAndTConnectivityExtension",
                "AT_AND_T_CONNECTIVITY_EXTENSION",
            ),
            (
                "eDRX parameters for A/Gb mode",
                "edrx_parameters_for_a_gb_mode",
                "EdrxParametersForAGbMode",
                "EDRX_PARAMETERS_FOR_A_GB_MODE",
            ),
            ("eUICC", "euicc", "Euicc", "EUICC"),
            ("IP address (2)", "ip_address", "IpAddress", "IP_ADDRESS"),
            (
                "DALI part 201 - Device Type 0",
                "dali_part_201_device_type_0",
                "DaliPart201DeviceType0",
                "DALI_PART_201_DEVICE_TYPE_0",
            ),
            ("NB-IoT", "nb_iot", "NbIot", "NB_IOT"),
            (
                "CoAP over TCP",
                "coap_over_tcp",
                "CoapOverTcp",
                "COAP_OVER_TCP",
            ),
            ("rsrp-Result ", "rsrp_result", "RsrpResult", "RSRP_RESULT"),
            ("On/Off", "on_off", "OnOff", "ON_OFF"),
        ];
        for (oma, snake, camel, screaming) in cases {
            assert_eq!(
                forms(oma),
                (snake.to_owned(), camel.to_owned(), screaming.to_owned()),
                "{oma}"
            );
        }
    }

    #[test]
    fn signs_keep_meaning_so_metering_names_stay_apart() {
        let a = Name::from_oma("Instantaneous Active Power (|+A|+|-A|)").snake();
        let b = Name::from_oma("Instantaneous Active Power (|+A|-|-A|)").snake();
        assert_eq!(a, "instantaneous_active_power_plus_a_plus_minus_a");
        assert_eq!(b, "instantaneous_active_power_plus_a_minus_minus_a");
        assert_eq!(
            Name::from_oma("Active power+ (QI+QIV)").snake(),
            "active_power_plus_qi_plus_qiv"
        );
        assert_eq!(
            Name::from_oma("Active power- (QII+QIII)").snake(),
            "active_power_minus_qii_plus_qiii"
        );
        assert_eq!(
            Name::from_oma("Battery Level %").snake(),
            "battery_level_percent"
        );
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        assert_eq!(Name::from_oma("Type").snake_ident(), "r#type");
        assert_eq!(
            Name::from_oma("Type").snake(),
            "type",
            "method stems are not escaped"
        );
        assert_eq!(Name::from_oma("Match").snake_ident(), "r#match");
        assert_eq!(Name::from_oma("self").snake_ident(), "self_");
        assert_eq!(Name::from_oma("Self").camel(), "Self_");
        assert_eq!(Name::from_oma("Crate").snake_ident(), "crate_");
        assert_eq!(Name::from_oma("Type").camel(), "Type");
    }

    #[test]
    fn leading_numbers_are_spelled() {
        assert_eq!(Name::from_oma("42 Things").snake(), "forty_two_things");
        assert_eq!(Name::from_oma("20 Hz").camel(), "TwentyHz");
        assert_eq!(Name::from_oma("802.15.4 Radio").snake(), "n802_15_4_radio");
        assert_eq!(Name::from_oma("0").camel(), "Zero");
    }

    #[test]
    fn collisions_resolve_by_id_the_lowest_keeping_the_plain_name() {
        // 3392.xml has two resources called "Object enabled".
        let names = [
            (5851u16, Name::from_oma("Object enabled")),
            (5850, Name::from_oma("Object Enabled")),
            (7, Name::from_oma("Other")),
        ];
        let got: Vec<String> = unique(&names, &[]).iter().map(Name::snake).collect();
        assert_eq!(got, ["object_enabled_5851", "object_enabled", "other"]);
        // Snake forms differ but CamelCase forms are equal: still a collision.
        let names = [(1u16, Name::from_oma("PM2.5")), (2, Name::from_oma("PM25"))];
        let got: Vec<String> = unique(&names, &[]).iter().map(Name::camel).collect();
        assert_eq!(got, ["Pm25", "Pm252"]);
        // Reserved names push members aside.
        let got = unique(&[(3u16, Name::from_oma("Handler"))], &["Handler"]);
        assert_eq!(got[0].camel(), "Handler3");
    }

    #[test]
    fn module_names_are_unique_across_a_set() {
        let set = [
            (6u16, (1, 0), "Location"),
            (3336, (1, 0), "Location"),
            (5, (1, 1), "Firmware Update"),
            (5, (1, 2), "Firmware Update"),
            (21, (1, 0), "Type"),
        ];
        assert_eq!(
            module_names(&set),
            [
                "location",
                "location_3336",
                "firmware_update_v1_1",
                "firmware_update",
                "r#type"
            ]
        );
    }

    fn variants(labels: &[(i64, &str)], object: &str) -> Vec<String> {
        let labels: Vec<Label> = labels
            .iter()
            .map(|&(value, text)| Label {
                value,
                text: text.to_owned(),
            })
            .collect();
        variant_names(&labels, object)
            .iter()
            .map(Name::camel)
            .collect()
    }

    #[test]
    fn variant_names_read_as_a_person_would_write_them() {
        let update_result = [
            (3, "Out of RAM during downloading process"),
            (4, "Connection lost during downloading process"),
            (5, "Integrity check failure for new downloaded package"),
            (6, "Unsupported package type"),
            (7, "Invalid URI"),
            (
                9,
                "Unsupported protocol. A LwM2M client indicates the failure",
            ),
            (
                10,
                "Firmware update cancelled. A Cancel operation has been executed successfully",
            ),
            (11, "Firmware update deferred"),
        ];
        assert_eq!(
            variants(&update_result, "Firmware Update"),
            [
                "OutOfRam",
                "ConnectionLost",
                "IntegrityCheckFailure",
                "UnsupportedPackageType",
                "InvalidUri",
                "UnsupportedProtocol",
                "Cancelled",
                "Deferred"
            ]
        );
        let state = [
            (0, "Idle (before downloading or after successful updating)"),
            (1, "Downloading"),
        ];
        assert_eq!(variants(&state, "Firmware Update"), ["Idle", "Downloading"]);
    }

    #[test]
    fn a_trailing_word_most_labels_share_is_dropped() {
        let bearers = [
            (0, "GSM cellular network"),
            (1, "TD-SCDMA cellular network"),
            (2, "WCDMA cellular network"),
            (5, "LTE-TDD cellular network"),
            (7, "NB-IoT"),
            (21, "WLAN network"),
            (22, "Bluetooth network"),
            (23, "IEEE 802.15.4 network"),
            (41, "Ethernet"),
        ];
        assert_eq!(
            variants(&bearers, "Connectivity Monitoring"),
            [
                "Gsm",
                "TdScdma",
                "Wcdma",
                "LteTdd",
                "NbIot",
                "Wlan",
                "Bluetooth",
                "Ieee802154",
                "Ethernet"
            ]
        );
    }

    #[test]
    fn words_that_carry_the_meaning_are_not_dropped_as_shared() {
        let errors = [
            (3, "GPS module failure"),
            (6, "SMS failure"),
            (7, "IP connectivity failure"),
            (8, "Peripheral malfunction"),
        ];
        assert_eq!(
            variants(&errors, "Device"),
            [
                "GpsModuleFailure",
                "SmsFailure",
                "IpConnectivityFailure",
                "PeripheralMalfunction"
            ]
        );
        let periods = [
            (0, "Every 2 hours"),
            (1, "Every 4 hours"),
            (2, "Every 12 hours"),
            (3, "Never"),
        ];
        assert_eq!(
            variants(&periods, "X"),
            ["Every2Hours", "Every4Hours", "Every12Hours", "Never"]
        );
    }

    #[test]
    fn colliding_short_names_are_read_again_with_more_words() {
        let modes = [
            (3, "Certificate mode"),
            (4, "Certificate mode with EST"),
            (5, "Modbus RTU (RS-232)"),
            (6, "Modbus RTU (RS-485)"),
        ];
        assert_eq!(
            variants(&modes, "X"),
            [
                "CertificateMode",
                "CertificateModeWithEst",
                "ModbusRtuRs232",
                "ModbusRtuRs485"
            ]
        );
    }

    #[test]
    fn codes_operators_and_fillers() {
        let labels = [
            (0, "UNDER_RANGE Measured value is below the range"),
            (1, "ACCEPTED The value is fine"),
        ];
        assert_eq!(variants(&labels, "X"), ["UnderRange", "Accepted"]);
        // Object 10377 (Data Monitoring) compares data with a reference; the shared
        // `Reference A` is dropped.
        let compare = [
            (1, "Data > Reference A"),
            (2, "Data >= Reference A"),
            (3, "Data < Reference A"),
            (4, "Data <= Reference A"),
        ];
        assert_eq!(
            variants(&compare, "Data Monitoring"),
            ["DataAbove", "DataNotBelow", "DataBelow", "DataNotAbove"]
        );
        assert_eq!(variants(&[(0, "The state of")], "X"), ["State"]);
    }

    #[test]
    fn duplicate_and_empty_variant_names_stay_distinct() {
        let labels = [
            (0, "Reserved"),
            (1, "Reserved"),
            (2, "(unused)"),
            (-1, "..."),
        ];
        assert_eq!(
            variants(&labels, "X"),
            ["Reserved", "Reserved1", "Unused", "ValueMinus1"]
        );
    }
}
