//! Short enum variant names from the labels of named values (`0: Idle`,
//! `8: Firmware update failed`).

use std::collections::BTreeMap;

use super::words::split_words;
use super::{Name, non_empty, unique};
use crate::range::Label;

/// The most words a short variant name keeps.
const MAX_VARIANT_WORDS: usize = 5;

/// Words that end a short name: what follows them is explanation
/// (`Connection lost during downloading process` is `ConnectionLost`).
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
