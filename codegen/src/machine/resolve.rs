//! Checks a machine file against its object: the resources exist and name values, every state
//! and result is a variant of their generated enums, every edge is deterministic.

use std::collections::BTreeMap;

use super::{Located, Machine, MachineFile, ResolvedEdge};
use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{Object, Span};

/// The enum generated for a resource's named values: its name and its variants
/// `(name, value)`, in value order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumNames {
    /// The enum's name (`UpdateResult`).
    pub name: String,
    /// Its variants.
    pub variants: Vec<(String, i64)>,
}

/// Names the generated `machine` module uses for its own items; states and result sets must
/// not take them.
const RESERVED: &[&str] = &["Event", "Spec", "Machine", "Current"];

/// Checks `file` against `objects`; `enums` gives the generated enum of a resource of an
/// object, if it has one. Every problem is reported, with its place in the machine file.
pub fn resolve(
    file: &MachineFile,
    objects: &[Object],
    enums: &dyn Fn(&Object, u16) -> Option<EnumNames>,
) -> Result<Machine, Diagnostics> {
    let mut d = Diagnostics::default();
    let mut error = |at: Span, context: &str, message: String| {
        d.push(Severity::Error, &file.file, at, context, message);
    };
    let Some(object) = objects.iter().find(|o| o.id == file.object.value) else {
        let id = file.object.value;
        error(
            file.object.span,
            "",
            format!("object {id} is not among the definitions being generated"),
        );
        return Err(d);
    };
    let resource_enum = |at: &Located<u16>, role: &str, error: &mut dyn FnMut(String)| {
        let id = at.value;
        match object.resources.iter().find(|r| r.id == id) {
            None => {
                error(format!("{} has no resource {id}", object.context()));
                None
            }
            Some(r) => {
                let found = enums(object, id);
                if found.is_none() {
                    error(format!(
                        "resource {id} ({}) names no values, so it cannot hold the {role}",
                        r.name
                    ));
                }
                found
            }
        }
    };
    let state = resource_enum(&file.state, "state", &mut |m| error(file.state.span, "", m));
    let result = resource_enum(&file.result, "result", &mut |m| {
        error(file.result.span, "", m)
    });
    if file.state.value == file.result.value {
        error(
            file.result.span,
            "",
            "the state and the result must be different resources".into(),
        );
    }
    let (Some(state), Some(result)) = (state, result) else {
        return Err(d);
    };
    let variant = |names: &EnumNames, name: &Located<String>, error: &mut dyn FnMut(String)| {
        let known = names.variants.iter().any(|(v, _)| *v == name.value);
        if !known {
            let all: Vec<&str> = names.variants.iter().map(|(v, _)| v.as_str()).collect();
            error(format!(
                "`{}` is not a variant of `{}`; expected one of {}",
                name.value,
                names.name,
                all.join(", ")
            ));
        }
        known
    };
    variant(&state, &file.initial_state, &mut |m| {
        error(file.initial_state.span, "initial", m)
    });
    variant(&result, &file.initial_result, &mut |m| {
        error(file.initial_result.span, "initial", m)
    });
    for (v, _) in &state.variants {
        if RESERVED.contains(&v.as_str()) {
            error(
                file.state.span,
                "",
                format!("state `{v}` would collide with the machine's own `{v}` type"),
            );
        }
    }

    let mut edges: Vec<ResolvedEdge> = Vec::new();
    let mut defined: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut result_sets: Vec<(String, Vec<String>)> = Vec::new();
    for edge in &file.transitions {
        let context = format!("[[transition]] event \"{}\"", edge.event.value);
        let event = &edge.event.value;
        let snake = event.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && event
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake || syn::parse_str::<syn::Ident>(event).is_err() || event == "machine" {
            error(
                edge.event.span,
                &context,
                format!(
                    "`{event}` must be a snake_case method name (not a keyword, not `machine`)"
                ),
            );
        }
        let mut ok = true;
        for name in edge.from.iter().chain([&edge.to]) {
            ok &= variant(&state, name, &mut |m| error(name.span, &context, m));
        }
        let mut results: Vec<String> = Vec::new();
        for name in &edge.results {
            ok &= variant(&result, name, &mut |m| error(name.span, &context, m));
            if results.contains(&name.value) {
                error(
                    name.span,
                    &context,
                    format!("`{}` is listed twice", name.value),
                );
            }
            results.push(name.value.clone());
        }
        match (&edge.results_name, results.len()) {
            (None, n) if n > 1 => error(
                edge.event.span,
                &context,
                "an edge with several results needs `results-name`, the enum its method takes"
                    .into(),
            ),
            (Some(n), 1) => error(
                n.span,
                &context,
                "`results-name` is only for edges with several results".into(),
            ),
            (Some(n), _) => {
                let camel = n
                    .value
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
                    && n.value.chars().all(|c| c.is_ascii_alphanumeric());
                let taken = RESERVED.contains(&n.value.as_str())
                    || state.variants.iter().any(|(v, _)| *v == n.value);
                if !camel || taken {
                    error(
                        n.span,
                        &context,
                        format!(
                            "`{}` must be a CamelCase name that no state and none of {} take",
                            n.value,
                            RESERVED.join(", ")
                        ),
                    );
                }
                match result_sets.iter().find(|(name, _)| *name == n.value) {
                    Some((_, same)) if *same == results => {}
                    Some(_) => error(
                        n.span,
                        &context,
                        format!("`{}` already names a different set of results", n.value),
                    ),
                    None => result_sets.push((n.value.clone(), results.clone())),
                }
            }
            _ => {}
        }
        for from in &edge.from {
            let key = (event.clone(), from.value.clone());
            if let Some(line) = defined.get(&key) {
                error(
                    from.span,
                    &context,
                    format!(
                        "`{event}` from `{}` is already an edge (line {line}): an event takes one edge from a state",
                        from.value
                    ),
                );
                continue;
            }
            defined.insert(key, from.span.line);
            if ok {
                edges.push(ResolvedEdge {
                    event: event.clone(),
                    from: from.value.clone(),
                    to: edge.to.value.clone(),
                    results: results.clone(),
                    results_name: edge.results_name.as_ref().map(|n| n.value.clone()),
                    doc: edge.doc.clone(),
                });
            }
        }
    }
    if d.has_errors() {
        return Err(d);
    }
    let short = file
        .file
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(&file.file)
        .to_owned();
    let label = |id: u16| {
        object
            .resources
            .iter()
            .find(|r| r.id == id)
            .map_or_else(String::new, |r| r.name.clone())
    };
    Ok(Machine {
        file: short,
        object: object.id,
        state_label: label(file.state.value),
        result_label: label(file.result.value),
        state: (file.state.value, state),
        result: (file.result.value, result),
        initial: (
            file.initial_state.value.clone(),
            file.initial_result.value.clone(),
        ),
        edges,
        result_sets,
    })
}
