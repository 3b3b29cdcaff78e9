//! Reads a machine file (TOML) into a [`MachineFile`], every problem with its line and column.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Edge, Located, MachineFile};
use crate::diagnostic::{Diagnostics, Severity};
use crate::model::Span;
use crate::parse::LineIndex;

const TOP_KEYS: &[&str] = &["object", "state", "result", "initial", "transition"];
const INITIAL_KEYS: &[&str] = &["state", "result"];
const EDGE_KEYS: &[&str] = &["event", "from", "to", "results", "results-name", "doc"];

/// Reads the machine file `file` (named so in diagnostics). All problems are reported
/// together; there is a [`MachineFile`] only when there are none.
pub fn parse(file: &str, text: &str) -> Result<MachineFile, Diagnostics> {
    let mut reader = Reader {
        file,
        text,
        lines: LineIndex::new(text),
        diagnostics: Diagnostics::default(),
    };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            reader.error(at, "", format!("not valid TOML: {}", e.message()));
            return Err(reader.diagnostics);
        }
    };
    let machine = reader.machine(root.get_ref());
    match machine {
        Some(m) if !reader.diagnostics.has_errors() => Ok(m),
        _ => Err(reader.diagnostics),
    }
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    lines: LineIndex,
    diagnostics: Diagnostics,
}

type Value<'i> = Spanned<DeValue<'i>>;

impl Reader<'_> {
    fn span(&self, offset: usize) -> Span {
        self.lines.span(offset)
    }

    fn error(&mut self, offset: usize, context: &str, message: String) {
        let span = self.span(offset);
        self.diagnostics
            .push(Severity::Error, self.file, span, context, message);
    }

    fn machine(&mut self, root: &DeTable<'_>) -> Option<MachineFile> {
        self.unknown_keys(root, TOP_KEYS, "");
        let object = self.number(root, "object", "");
        let state = self.number(root, "state", "");
        let result = self.number(root, "result", "");
        let (initial_state, initial_result) = match self.table(root, "initial", "") {
            Some(t) => {
                self.unknown_keys(t, INITIAL_KEYS, "initial");
                (
                    self.string(t, "state", "initial"),
                    self.string(t, "result", "initial"),
                )
            }
            None => (None, None),
        };
        let mut transitions = Vec::new();
        match root.get("transition") {
            None => self.error(
                self.text.len(),
                "",
                "no [[transition]] tables: a machine needs at least one edge".into(),
            ),
            Some(v) => match v.get_ref() {
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let context = format!("[[transition]] #{}", i + 1);
                        match item.get_ref() {
                            DeValue::Table(t) => {
                                if let Some(edge) = self.edge(t, item.span().start, &context) {
                                    transitions.push(edge);
                                }
                            }
                            _ => self.error(
                                item.span().start,
                                &context,
                                "must be a table (write [[transition]])".into(),
                            ),
                        }
                    }
                }
                _ => self.error(
                    v.span().start,
                    "transition",
                    "must be an array of tables (write [[transition]])".into(),
                ),
            },
        }
        Some(MachineFile {
            file: self.file.to_owned(),
            object: object?,
            state: state?,
            result: result?,
            initial_state: initial_state?,
            initial_result: initial_result?,
            transitions,
        })
    }

    fn edge(&mut self, t: &DeTable<'_>, at: usize, context: &str) -> Option<Edge> {
        self.unknown_keys(t, EDGE_KEYS, context);
        let event = self.string(t, "event", context);
        let context = match &event {
            Some(e) => format!("{context} (event \"{}\")", e.value),
            None => context.to_owned(),
        };
        let from = self.strings(t, "from", &context);
        let to = self.string(t, "to", &context);
        let results = self.strings(t, "results", &context);
        let results_name = match t.get("results-name") {
            Some(_) => Some(self.string(t, "results-name", &context)?),
            None => None,
        };
        let doc = match t.get("doc") {
            Some(_) => self.string(t, "doc", &context)?.value,
            None => String::new(),
        };
        Some(Edge {
            span: self.span(at),
            event: event?,
            from: from?,
            to: to?,
            results: results?,
            results_name,
            doc,
        })
    }

    fn unknown_keys(&mut self, t: &DeTable<'_>, allowed: &[&str], context: &str) {
        let mut keys: Vec<_> = t.iter().map(|(k, _)| k).collect();
        keys.sort_by_key(|k| k.span().start);
        for key in keys {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                let expected = allowed.join(", ");
                self.error(
                    key.span().start,
                    context,
                    format!("unknown key `{name}`; expected one of {expected}"),
                );
            }
        }
    }

    /// The value of `key`, reporting a missing key at the end of the table's context.
    fn value<'t, 'i>(
        &mut self,
        t: &'t DeTable<'i>,
        key: &str,
        context: &str,
    ) -> Option<&'t Value<'i>> {
        let v = t.get(key);
        if v.is_none() {
            let at = t.values().map(|v| v.span().start).min().unwrap_or(0);
            self.error(at, context, format!("missing key `{key}`"));
        }
        v
    }

    fn table<'t, 'i>(
        &mut self,
        t: &'t DeTable<'i>,
        key: &str,
        context: &str,
    ) -> Option<&'t DeTable<'i>> {
        let v = self.value(t, key, context)?;
        match v.get_ref() {
            DeValue::Table(inner) => Some(inner),
            _ => {
                self.error(
                    v.span().start,
                    context,
                    format!("`{key}` must be a table, such as {{ state = \"Idle\", result = \"Initial\" }}"),
                );
                None
            }
        }
    }

    fn number(&mut self, t: &DeTable<'_>, key: &str, context: &str) -> Option<Located<u16>> {
        let v = self.value(t, key, context)?;
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => u16::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                v.span().start,
                context,
                format!("`{key}` must be an ID from 0 to 65535"),
            );
        }
        Some(Located {
            value: parsed?,
            span: self.span(v.span().start),
        })
    }

    fn string(&mut self, t: &DeTable<'_>, key: &str, context: &str) -> Option<Located<String>> {
        let v = self.value(t, key, context)?;
        self.as_string(v, key, context)
    }

    fn as_string(&mut self, v: &Value<'_>, key: &str, context: &str) -> Option<Located<String>> {
        match v.get_ref() {
            DeValue::String(s) => Some(Located {
                value: s.to_string(),
                span: self.span(v.span().start),
            }),
            _ => {
                self.error(v.span().start, context, format!("`{key}` must be a string"));
                None
            }
        }
    }

    fn strings(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        context: &str,
    ) -> Option<Vec<Located<String>>> {
        let v = self.value(t, key, context)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span().start,
                context,
                format!("`{key}` must be an array of names, such as [\"Idle\"]"),
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                v.span().start,
                context,
                format!("`{key}` is empty: name at least one"),
            );
            return None;
        }
        let all: Vec<_> = items
            .iter()
            .map(|item| self.as_string(item, key, context))
            .collect();
        all.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
object = 5
state = 3
result = 5
initial = { state = "Idle", result = "Initial" }

[[transition]]
event = "start_download"
from = ["Idle"]
to = "Downloading"
results = ["Initial"]
doc = "A package starts to arrive."

[[transition]]
event = "failed"
from = ["Downloading"]
to = "Idle"
results = ["NotEnoughFlash", "OutOfRam"]
results-name = "DownloadFailure"
"#;

    #[test]
    fn a_machine_file_reads_with_positions() {
        let m = parse("5.machine.toml", GOOD).unwrap();
        assert_eq!((m.object.value, m.state.value, m.result.value), (5, 3, 5));
        assert_eq!(m.initial_state.value, "Idle");
        assert_eq!(m.transitions.len(), 2);
        let failed = &m.transitions[1];
        assert_eq!(failed.event.value, "failed");
        assert_eq!(failed.event.span, Span { line: 15, col: 9 });
        assert_eq!(failed.results.len(), 2);
        assert_eq!(
            failed.results_name.as_ref().map(|n| n.value.as_str()),
            Some("DownloadFailure")
        );
        assert_eq!(m.transitions[0].doc, "A package starts to arrive.");
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text =
            "object = 70000\nstate = \"3\"\ncolour = 1\n\n[[transition]]\nevent = 4\nfrom = []\n";
        let d = parse("m.toml", text).unwrap_err();
        let lines: Vec<String> = d.errors().map(ToString::to_string).collect();
        let expect = [
            "m.toml:1:10: `object` must be an ID from 0 to 65535",
            "m.toml:2:9: `state` must be an ID from 0 to 65535",
            "m.toml:3:1: unknown key `colour`",
            "missing key `result`",
            "missing key `initial`",
            "m.toml:6:9: [[transition]] #1: `event` must be a string",
            "m.toml:7:8: [[transition]] #1: `from` is empty",
            "[[transition]] #1: missing key `to`",
        ];
        for e in expect {
            assert!(
                lines.iter().any(|l| l.contains(e)),
                "no error containing {e:?} in {lines:#?}"
            );
        }
    }

    #[test]
    fn broken_toml_names_its_line() {
        let d = parse("m.toml", "object = 5\nstate = [\n").unwrap_err();
        let first = d.errors().next().unwrap().to_string();
        assert!(first.starts_with("m.toml:"), "{first}");
        assert!(first.contains("not valid TOML"), "{first}");
    }
}
