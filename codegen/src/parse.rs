//! Reads OMA DDF object definitions (LwM2M 1.0, 1.1 and 1.2 files) into the [`model`].
//!
//! The only module that knows about XML. It works in two steps: the text becomes a small tree
//! of elements, each with its line and column; the tree becomes [`Object`]s. The first step
//! stops at the first syntax error; the second records every problem it finds and goes on, so
//! one run reports all of them.
//!
//! [`model`]: crate::model

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::diagnostic::{Diagnostics, Severity};
use crate::model::{
    Multiplicity, Object, Operations, Requirement, Resource, ResourceType, Span, Version,
    value_kind,
};
use crate::range;
use crate::text::{clean_description, collapse_spaces};

/// What a file holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Document {
    /// Object definitions (`<LWM2M>` with `<Object ObjectType="MODefinition">` children).
    Objects(Vec<Object>),
    /// Something else that is not an error: a DDF index, the units registry, the common
    /// resource definitions. `reason` says which, for `skipped: <reason>`.
    NotObjects {
        /// Why the file holds no object definitions.
        reason: String,
    },
}

/// The result of [`parse`]: the document, and every error and warning found on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// What the file holds; `Objects(vec![])` after an XML syntax error.
    pub document: Document,
    /// Errors and warnings, in file order.
    pub diagnostics: Diagnostics,
}

/// Reads one definition file. `file` names it in diagnostics; `source` is its bytes.
pub fn parse(file: &str, source: &[u8]) -> Parsed {
    let mut diagnostics = Diagnostics::default();
    let text = match std::str::from_utf8(source) {
        Ok(text) => text,
        Err(e) => {
            let valid = source.get(..e.valid_up_to()).unwrap_or_default();
            let span = LineIndex::new(&String::from_utf8_lossy(valid)).span(e.valid_up_to());
            diagnostics.push(
                Severity::Error,
                file,
                span,
                "",
                "the file is not valid UTF-8",
            );
            return Parsed {
                document: Document::Objects(Vec::new()),
                diagnostics,
            };
        }
    };
    let lines = LineIndex::new(text);
    let document = match read_tree(text, &lines) {
        Ok(root) => Reader2 {
            file,
            diagnostics: &mut diagnostics,
        }
        .document(&root),
        Err((offset, chain, message)) => {
            diagnostics.push(Severity::Error, file, lines.span(offset), chain, message);
            Document::Objects(Vec::new())
        }
    };
    Parsed {
        document,
        diagnostics,
    }
}

/// Byte offsets to line and column (also for the machine files, in [`crate::machine`]).
pub(crate) struct LineIndex {
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    text: String,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            starts,
            text: text.to_owned(),
        }
    }

    pub(crate) fn span(&self, offset: usize) -> Span {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(offset - start, |s| s.chars().count());
        Span {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
        }
    }
}

/// An XML element with what the model needs: attributes, children, its own text.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    /// Text and CDATA directly inside, entities resolved.
    text: String,
    /// Where `<name` starts.
    span: Span,
    /// Where the first non-blank character of the text is; the element itself when blank.
    text_span: Span,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn children(&self, name: &'static str) -> impl Iterator<Item = &Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

type SyntaxError = (usize, String, String);

/// Builds the element tree, or gives the offset, open-element chain and message of the first
/// syntax error.
fn read_tree(text: &str, lines: &LineIndex) -> Result<Element, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = usize::from(text.len() != lines.text.len()) * 3;
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<(Element, Option<usize>)> = Vec::new();
    let mut root: Option<Element> = None;
    let chain = |stack: &[(Element, Option<usize>)]| {
        stack
            .iter()
            .map(|(e, _)| e.name.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    };
    loop {
        let start = bom + usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = bom + usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err((at, chain(&stack), format!("XML syntax error: {e}")));
            }
        };
        let add_text = |stack: &mut Vec<(Element, Option<usize>)>, s: &str, offset: usize| {
            if let Some((top, first)) = stack.last_mut() {
                if first.is_none()
                    && let Some(i) = s.find(|c: char| !c.is_whitespace())
                {
                    *first = Some(offset + i);
                }
                top.text.push_str(s);
            } else if let Some(i) = s.find(|c: char| !c.is_whitespace()) {
                return Err((
                    offset + i,
                    String::new(),
                    "text outside the root element".to_owned(),
                ));
            }
            Ok(())
        };
        match event {
            Event::Start(tag) => {
                let name = String::from_utf8_lossy(tag.name().as_ref().as_bytes()).into_owned();
                let mut attributes = Vec::new();
                for attr in tag.attributes() {
                    let attr = attr.map_err(|e| {
                        (
                            start,
                            chain(&stack),
                            format!("XML syntax error in <{name}>: {e}"),
                        )
                    })?;
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| {
                            (
                                start,
                                chain(&stack),
                                format!("XML syntax error in <{name}>: {e}"),
                            )
                        })?;
                    attributes.push((attr.key.as_ref().to_owned(), value.into_owned()));
                }
                let span = lines.span(start);
                stack.push((
                    Element {
                        name,
                        attributes,
                        children: Vec::new(),
                        text: String::new(),
                        span,
                        text_span: span,
                    },
                    None,
                ));
            }
            Event::End(_) => {
                let Some((mut element, first)) = stack.pop() else {
                    return Err((
                        start,
                        String::new(),
                        "closing tag without an opening one".to_owned(),
                    ));
                };
                if let Some(first) = first {
                    element.text_span = lines.span(first);
                }
                match stack.last_mut() {
                    Some((parent, _)) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err((start, String::new(), "a second root element".to_owned())),
                }
            }
            Event::Text(t) => add_text(&mut stack, &t.xml10_content(), start)?,
            Event::CData(t) => {
                let content = t.xml10_content();
                add_text(&mut stack, &content, start + "<![CDATA[".len())?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err((
                                start,
                                chain(&stack),
                                format!("unknown entity &{};", &*r),
                            ));
                        }
                    },
                    Err(e) => {
                        return Err((
                            start,
                            chain(&stack),
                            format!("bad character reference &{};: {e}", &*r),
                        ));
                    }
                };
                add_text(&mut stack, &resolved, start)?;
            }
            Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some((open, _)) = stack.last() {
        return Err((
            text.len() + bom,
            chain(&stack),
            format!("the file ends inside <{}>", open.name),
        ));
    }
    root.ok_or_else(|| (0, String::new(), "the file has no root element".to_owned()))
}

/// The model enums read from their exact OMA spelling.
trait Spelled: Copy + 'static {
    fn all() -> &'static [Self];
    fn parse(s: &str) -> Option<Self>;
    fn spelling(self) -> &'static str;
}

macro_rules! spelled {
    ($($t:ty),*) => {$(
        impl Spelled for $t {
            fn all() -> &'static [Self] {
                &<$t>::ALL
            }
            fn parse(s: &str) -> Option<Self> {
                <$t>::parse_str(s)
            }
            fn spelling(self) -> &'static str {
                self.as_str()
            }
        }
    )*};
}

spelled!(Operations, ResourceType, Multiplicity, Requirement);

/// Turns the element tree into the model, recording problems as it goes.
struct Reader2<'a> {
    file: &'a str,
    diagnostics: &'a mut Diagnostics,
}

/// The element chain of a leaf: `Object 5 (Firmware Update) > <ObjectURN>`.
fn leaf(context: &str, name: &str) -> String {
    if context.is_empty() {
        format!("<{name}>")
    } else {
        format!("{context} > <{name}>")
    }
}

impl Reader2<'_> {
    fn error(&mut self, span: Span, context: impl Into<String>, message: impl Into<String>) {
        self.diagnostics
            .push(Severity::Error, self.file, span, context, message);
    }

    fn warning(&mut self, span: Span, context: impl Into<String>, message: impl Into<String>) {
        self.diagnostics
            .push(Severity::Warning, self.file, span, context, message);
    }

    fn document(&mut self, root: &Element) -> Document {
        match root.name.as_str() {
            "LWM2M" => {}
            "DDFList" => {
                return Document::NotObjects {
                    reason: "a DDF index (root <DDFList>), not an object definition".to_owned(),
                };
            }
            "units" => {
                return Document::NotObjects {
                    reason: "a units registry (root <units>), not an object definition".to_owned(),
                };
            }
            other => {
                return Document::NotObjects {
                    reason: format!(
                        "root element <{other}> is not <LWM2M>, so not an object definition"
                    ),
                };
            }
        }
        let elements: Vec<&Element> = root.children("Object").collect();
        let definitions: Vec<&Element> = elements
            .iter()
            .copied()
            .filter(|o| {
                o.attribute("ObjectType")
                    .is_none_or(|t| t.trim() == "MODefinition")
            })
            .collect();
        if definitions.is_empty() {
            let reason = match elements.first().and_then(|o| o.attribute("ObjectType")) {
                Some(kind) => format!(
                    "holds <Object ObjectType=\"{kind}\">, not object definitions (ObjectType=\"MODefinition\")"
                ),
                None => "an <LWM2M> file with no <Object>".to_owned(),
            };
            return Document::NotObjects { reason };
        }
        Document::Objects(definitions.into_iter().map(|o| self.object(o)).collect())
    }

    /// The single child `name` of `parent`; an error when it is missing (if `required`) or
    /// repeated.
    fn child<'e>(
        &mut self,
        parent: &'e Element,
        context: &str,
        name: &'static str,
        required: bool,
    ) -> Option<&'e Element> {
        let mut found = parent.children(name);
        let first = found.next();
        if let Some(second) = found.next() {
            self.error(
                second.span,
                leaf(context, name),
                format!("<{name}> appears more than once"),
            );
        }
        if first.is_none() && required {
            self.error(
                parent.span,
                context.to_owned(),
                format!("<{}> has no <{name}>", parent.name),
            );
        }
        first
    }

    /// The collapsed text of child `name`, and where it is.
    fn text(
        &mut self,
        parent: &Element,
        context: &str,
        name: &'static str,
        required: bool,
    ) -> Option<(String, Span)> {
        self.child(parent, context, name, required)
            .map(|e| (collapse_spaces(&e.text), e.text_span))
    }

    /// Reads a spelling with `parse_str`; on failure, an error listing the allowed spellings.
    fn spelling<T: Spelled>(
        &mut self,
        parent: &Element,
        context: &str,
        name: &'static str,
        fallback: T,
    ) -> T {
        let Some((value, span)) = self.text(parent, context, name, true) else {
            return fallback;
        };
        T::parse(&value).unwrap_or_else(|| {
            let allowed: Vec<&str> = T::all()
                .iter()
                .map(|v| match v.spelling() {
                    "" => "empty",
                    s => s,
                })
                .collect();
            self.error(
                span,
                leaf(context, name),
                format!("\"{value}\" is not one of {}", allowed.join(", ")),
            );
            fallback
        })
    }

    fn id(&mut self, value: &str, span: Span, context: String) -> u16 {
        match value.trim().parse::<u32>() {
            Ok(id) => u16::try_from(id).unwrap_or_else(|_| {
                self.error(
                    span,
                    context,
                    format!("{id} does not fit the 16 bits of a LwM2M ID (0..=65534)"),
                );
                0
            }),
            Err(_) => {
                self.error(span, context, format!("\"{value}\" is not a number"));
                0
            }
        }
    }

    fn version(&mut self, parent: &Element, context: &str, name: &'static str) -> Option<Version> {
        let (value, span) = self.text(parent, context, name, false)?;
        if value.is_empty() {
            return None;
        }
        let parsed = value.split_once('.').and_then(|(major, minor)| {
            Some(Version::new(major.parse().ok()?, minor.parse().ok()?))
        });
        if parsed.is_none() {
            self.error(
                span,
                leaf(context, name),
                format!("\"{value}\" is not a version such as 1.0"),
            );
        }
        parsed
    }

    fn object(&mut self, element: &Element) -> Object {
        let name = self
            .text(element, "Object", "Name", true)
            .map(|(n, _)| n)
            .unwrap_or_default();
        let early_context = if name.is_empty() {
            "Object".to_owned()
        } else {
            format!("Object ({name})")
        };
        let id = match self.text(element, &early_context, "ObjectID", true) {
            Some((value, span)) => self.id(&value, span, leaf(&early_context, "ObjectID")),
            None => 0,
        };
        let context = format!("Object {id} ({name})");
        let description = |this: &mut Self, tag: &'static str| {
            this.child(element, &context, tag, false)
                .map(|e| clean_description(&e.text))
                .unwrap_or_default()
        };
        let description1 = description(self, "Description1");
        let description2 = description(self, "Description2");
        let urn = self
            .text(element, &context, "ObjectURN", true)
            .map(|(u, _)| u)
            .unwrap_or_default();
        let lwm2m_version = self.version(element, &context, "LWM2MVersion");
        let object_version = self.version(element, &context, "ObjectVersion");
        let multiplicity =
            self.spelling(element, &context, "MultipleInstances", Multiplicity::Single);
        let requirement = self.spelling(element, &context, "Mandatory", Requirement::Optional);
        let resources = match self.child(element, &context, "Resources", true) {
            Some(list) => list
                .children("Item")
                .map(|item| self.resource(item, &context))
                .collect(),
            None => Vec::new(),
        };
        Object {
            file: self.file.to_owned(),
            span: element.span,
            id,
            name,
            description1,
            description2,
            urn,
            lwm2m_version,
            object_version,
            multiplicity,
            requirement,
            resources,
        }
    }

    fn resource(&mut self, item: &Element, object_context: &str) -> Resource {
        let name = self
            .text(item, object_context, "Name", false)
            .map(|(n, _)| n)
            .unwrap_or_default();
        let id = match item.attribute("ID") {
            Some(value) => self.id(
                value,
                item.span,
                format!("{object_context} > Item ({name})"),
            ),
            None => {
                self.error(
                    item.span,
                    format!("{object_context} > Item ({name})"),
                    "<Item> has no ID attribute",
                );
                0
            }
        };
        let context = format!("{object_context} > Item ID=\"{id}\" ({name})");
        if name.is_empty() {
            self.error(
                item.span,
                context.clone(),
                "<Item> has no <Name> or an empty one",
            );
        }
        let operations = self.spelling(item, &context, "Operations", Operations::None);
        let multiplicity = self.spelling(item, &context, "MultipleInstances", Multiplicity::Single);
        let requirement = self.spelling(item, &context, "Mandatory", Requirement::Optional);
        let kind_span = self
            .child(item, &context, "Type", false)
            .map_or(item.span, |t| t.text_span);
        let kind = self.spelling(item, &context, "Type", ResourceType::None);
        let (range_text, range_span) = self
            .child(item, &context, "RangeEnumeration", false)
            .map_or((String::new(), item.span), |e| {
                (e.text.clone(), e.text_span)
            });
        let units = self
            .text(item, &context, "Units", false)
            .map(|(u, _)| u)
            .unwrap_or_default();
        let raw_description = self
            .child(item, &context, "Description", false)
            .map(|e| e.text.clone())
            .unwrap_or_default();
        let description = clean_description(&raw_description);

        let parsed = range::parse(&range_text);
        let mut warnings = parsed.warnings;
        let value = value_kind(kind, operations);
        let constraint = range::constraint(value, &parsed.range, &mut warnings);
        let range_context = leaf(&context, "RangeEnumeration");
        for w in warnings.drain(..) {
            self.warning(range_span, range_context.clone(), w);
        }
        let labels = range::labels(
            value,
            &parsed.range,
            &constraint,
            &raw_description,
            &mut warnings,
        );
        for w in warnings {
            self.warning(range_span, leaf(&context, "Description"), w);
        }
        Resource {
            span: item.span,
            id,
            name,
            operations,
            multiplicity,
            requirement,
            kind,
            kind_span,
            range: parsed.range,
            constraint,
            labels,
            units,
            description,
        }
    }
}
