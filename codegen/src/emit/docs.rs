//! The documentation generated items carry: a summary line of facts, the OMA description
//! escaped for rustdoc, and `#[doc(alias)]` where the Rust name differs from the OMA one.

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::ResourcePlan;
use crate::model::{Multiplicity, Object, Operations, Resource, ResourceType};
use crate::range::{Constraint, RangeEnumeration};

/// `Resource 1 `Package URI`: RW, String, single, mandatory, 0..255 bytes`.
pub(super) fn summary(r: &Resource) -> String {
    let ops = match r.operations {
        Operations::None => "no operations",
        o => o.as_str(),
    };
    let kind = match (r.kind, r.value_kind()) {
        (ResourceType::None, ResourceType::Opaque) => "no type (generated as Opaque)".to_owned(),
        (ResourceType::None, _) => "no value".to_owned(),
        (declared, ResourceType::None) => format!("no value (type {} ignored)", declared.as_str()),
        (declared, _) => declared.as_str().to_owned(),
    };
    let mut parts = vec![
        ops.to_owned(),
        kind,
        r.multiplicity.as_str().to_lowercase(),
        r.requirement.as_str().to_lowercase(),
    ];
    parts.extend(constraint_text(&r.constraint));
    if !r.units.is_empty() {
        parts.push(format!("units {}", r.units));
    }
    format!(
        "resource {} `{}`: {}",
        r.id,
        doc_escape(&r.name),
        doc_escape(&parts.join(", "))
    )
}

fn constraint_text(c: &Constraint) -> Option<String> {
    /// `0..247, 255`; floats keep their decimal point (`-100.0..100.0`).
    fn intervals<T: PartialEq + std::fmt::Debug>(set: &[(T, T)]) -> String {
        let item = |(lo, hi): &(T, T)| {
            if lo == hi {
                format!("{lo:?}")
            } else {
                format!("{lo:?}..{hi:?}")
            }
        };
        set.iter().map(item).collect::<Vec<_>>().join(", ")
    }
    match c {
        Constraint::None => None,
        Constraint::Int(set) => Some(intervals(set)),
        Constraint::Float(set) => Some(intervals(set)),
        Constraint::Length(set) => Some(format!("{} bytes", intervals(set))),
    }
}

pub(super) fn resource_doc_text(r: &Resource, p: &ResourcePlan) -> String {
    let mut text = capitalize_first(&p.summary);
    text.push_str(".\n\n");
    text.push_str(&doc_escape(&r.description));
    if let RangeEnumeration::Prose(prose) = &r.range {
        text.push_str(&format!(
            "\n\nRange, as written (not enforced): {}",
            doc_escape(prose)
        ));
    }
    if p.streamed {
        text.push_str("\n\nUnbounded and writable: the value arrives in chunks (`Chunk`), never whole in RAM.");
    }
    if p.enum_index.is_some() && r.multiplicity == Multiplicity::Multiple {
        text.push_str("\n\nEach resource instance holds one of the named values.");
    }
    text
}

pub(super) fn module_doc_text(object: &Object) -> String {
    let mut text = format!(
        "Object {} `{}` ({}): {}-instance, {}, LwM2M {}, object version {}.\n\n",
        object.id,
        doc_escape(&object.name),
        doc_escape(&object.urn),
        object.multiplicity.as_str().to_lowercase(),
        object.requirement.as_str().to_lowercase(),
        object.lwm2m(),
        object.version(),
    );
    text.push_str(&doc_escape(&object.description1));
    if !object.description2.is_empty() {
        text.push_str("\n\n");
        text.push_str(&doc_escape(&object.description2));
    }
    text
}

pub(super) fn capitalize_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `#[doc = "..."]` attributes, one per line. Lines of one paragraph end in a hard break so
/// value lists keep their lines when rendered.
pub(super) fn docs(text: &str) -> TokenStream {
    let lines: Vec<&str> = text.lines().collect();
    let attrs = lines.iter().enumerate().map(|(i, line)| {
        let next_is_text = lines.get(i + 1).is_some_and(|l| !l.is_empty());
        let line = if !line.is_empty() && next_is_text {
            format!(" {line}\\")
        } else if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#attrs)*)
}

/// `#[doc(alias = "...")]` when the Rust name differs from the OMA name and rustdoc accepts
/// the name as an alias.
pub(super) fn alias(oma: &str, rust: &str) -> Option<TokenStream> {
    let usable = !oma.is_empty() && oma != rust && !oma.contains(['"', '\'', '\t', '\n']);
    usable.then(|| quote!(#[doc(alias = #oma)]))
}

/// Escapes text from a definition so rustdoc renders it as written: Markdown and HTML
/// punctuation is backslash-escaped, list and heading markers at the start of a line are
/// neutralised, and URLs are wrapped in `<...>` so they become links.
pub fn doc_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape_line(line));
    }
    out
}

fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        escape_word(word, &mut out);
    }
    // Markers that would turn the line into a list, heading, rule or quote.
    let starts_block = out.starts_with(['-', '+', '=', '*'])
        || out
            .find(|c: char| !c.is_ascii_digit())
            .is_some_and(|i| i > 0 && out.get(i..).is_some_and(|r| r.starts_with(['.', ')'])));
    if starts_block && let Some(i) = out.find(['-', '+', '=', '*', '.', ')']) {
        out.insert(i, '\\');
    }
    out
}

/// Appends `word` escaped to `out`; a URL in it becomes `<url>`.
fn escape_word(word: &str, out: &mut String) {
    const SCHEMES: [&str; 4] = ["http://", "https://", "coap://", "coaps://"];
    // Every scheme has "://": most words have none, and skip the four searches.
    let start = if word.contains("://") {
        SCHEMES.iter().filter_map(|s| word.find(s)).min()
    } else {
        None
    };
    if let Some(start) = start {
        let (before, rest) = word.split_at(start);
        let end = rest
            .find(['<', '>', '"', '\\', '`', '|', '^', '{', '}'])
            .unwrap_or(rest.len());
        let url = rest.get(..end).unwrap_or(rest);
        let url = url.trim_end_matches(['.', ',', ';', ':', ')', ']', '\'']);
        let after = rest.get(url.len()..).unwrap_or_default();
        if SCHEMES.iter().all(|s| url.len() > s.len()) {
            escape_chars(before, out);
            out.push('<');
            out.push_str(url);
            out.push('>');
            escape_chars(after, out);
            return;
        }
    }
    escape_chars(word, out);
}

/// Appends `text` to `out` with Markdown and HTML punctuation backslash-escaped.
fn escape_chars(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}
