//! The `build.rs` API, in the style of `prost-build`, and the in-memory generation the
//! proc-macros share.

use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

use crate::check::check;
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::emit::{self, Options, Overrides};
use crate::machine;
use crate::model::{Object, Span};
use crate::parse::{self, Document};
use crate::{format, parallel};

/// The file `compile` writes into `OUT_DIR`.
pub const OUTPUT_FILE: &str = "lwm2m_objects.rs";

/// One definition file in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// How diagnostics name the file.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What [`Config::generate`] produced: the checked objects, from which the code is made on
/// demand, as tokens or as a formatted file.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The objects, as parsed and checked.
    pub objects: Vec<Object>,
    /// The warnings (there are no errors, or there would be no output).
    pub warnings: Vec<Diagnostic>,
    /// The settings, override tables included.
    options: Options,
}

impl Generated {
    /// One module per object, as tokens (what the proc-macros expand to).
    pub fn tokens(&self) -> TokenStream {
        emit::emit(&self.objects, &self.options)
    }

    /// The code as a formatted Rust file with an `@generated` header. Each module is
    /// formatted on its own, on every core (see [`crate::format`]).
    pub fn to_file_string(&self) -> Result<String, Error> {
        let threads = parallel::threads_for(self.objects.len());
        format::file(&self.objects, &self.options, threads)
    }
}

/// Why generation failed.
#[derive(Debug)]
pub enum Error {
    /// The definitions have errors (warnings are included for context).
    Definitions(Diagnostics),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// The override table could not be read.
    Overrides(String),
    /// A bug in the generator: it produced tokens that are not Rust.
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Definitions(d) => {
                let errors = d.errors().count();
                writeln!(f, "{errors} error(s) in LwM2M object definitions:")?;
                write!(f, "{d}")
            }
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Overrides(message) => f.write_str(message),
            Self::Internal(message) => {
                write!(f, "lwm2m-codegen produced invalid Rust (a bug): {message}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Generation settings. Every setter returns `&mut Self` so calls chain.
#[derive(Clone, Debug, Default)]
pub struct Config {
    options: Options,
    overrides_files: Vec<PathBuf>,
    machine_files: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    strict: bool,
}

/// Generates code for `paths` into `OUT_DIR` with the default settings; for `build.rs`.
pub fn compile(paths: &[impl AsRef<Path>]) -> Result<(), Error> {
    Config::new().compile(paths)
}

impl Config {
    /// Default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Capacity of String and Corelnk values that declare no length
    /// (default [`emit::DEFAULT_STRING_CAPACITY`]).
    pub fn default_string_capacity(&mut self, bytes: usize) -> &mut Self {
        self.options.string_capacity = bytes;
        self
    }

    /// Capacity of Opaque values that declare no length and are not streamed
    /// (default [`emit::DEFAULT_OPAQUE_CAPACITY`]).
    pub fn default_opaque_capacity(&mut self, bytes: usize) -> &mut Self {
        self.options.opaque_capacity = bytes;
        self
    }

    /// Capacity of multiple-instance resources (default [`emit::DEFAULT_INSTANCES_CAPACITY`]).
    pub fn instances_capacity(&mut self, instances: usize) -> &mut Self {
        self.options.instances_capacity = instances;
        self
    }

    /// Whether the generated `ObjectInfo` and `ResourceInfo` carry names, units and URNs
    /// (default on); see [`emit::Options::names`].
    pub fn names(&mut self, names: bool) -> &mut Self {
        self.options.names = names;
        self
    }

    /// Names value `value` of resource `/object/resource` `variant` (CamelCase) instead of the
    /// heuristic's choice.
    pub fn variant_name(
        &mut self,
        object: u16,
        resource: u16,
        value: i64,
        variant: &str,
    ) -> &mut Self {
        self.options
            .overrides
            .variants
            .insert((object, resource, value), variant.to_owned());
        self
    }

    /// Names the enum of resource `/object/resource`'s named values `name` (CamelCase)
    /// instead of the resource name.
    pub fn enum_name(&mut self, object: u16, resource: u16, name: &str) -> &mut Self {
        self.options
            .overrides
            .enums
            .insert((object, resource), name.to_owned());
        self
    }

    /// Makes resource `/object/resource` use the named values (and enum) of `/object/source`.
    pub fn same_values(&mut self, object: u16, resource: u16, source: u16) -> &mut Self {
        self.options
            .overrides
            .same_values
            .insert((object, resource), source);
        self
    }

    /// Reads an override table (TOML) when generating; see [`parse_overrides`] for the format.
    pub fn overrides_file(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.overrides_files.push(path.into());
        self
    }

    /// Reads a state machine file (TOML, see [`crate::machine`]) when generating: its object's
    /// module gets a `machine` module with the typestate API and the table the runtime checks
    /// every transition against.
    pub fn machine_file(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.machine_files.push(path.into());
        self
    }

    /// Where [`Config::compile`] writes (default: the `OUT_DIR` Cargo gives build scripts).
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Strict mode: every warning is an error, so generation fails on a definition the
    /// generator had to work around (an executable resource with a `<Type>`, a readable one
    /// without, a range it could not read, ...). Off by default; the CLI's `--strict`.
    pub fn strict(&mut self, strict: bool) -> &mut Self {
        self.strict = strict;
        self
    }

    /// The same as [`Config::strict`], under the name build scripts used first.
    pub fn deny_warnings(&mut self, deny: bool) -> &mut Self {
        self.strict(deny)
    }

    /// Parses, checks and generates in memory: what `compile` writes and what the
    /// proc-macros expand to. Every error of every file is reported together.
    pub fn generate(&self, sources: &[Source]) -> Result<Generated, Error> {
        self.generate_only(sources, None)
    }

    /// [`Config::generate`], keeping only the object with ID `only` when given (every object is
    /// still checked).
    pub fn generate_only(&self, sources: &[Source], only: Option<u16>) -> Result<Generated, Error> {
        let mut options = self.options.clone();
        for path in &self.overrides_files {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let table =
                parse_overrides(&path.display().to_string(), &text).map_err(Error::Overrides)?;
            options.overrides.variants.extend(table.variants);
            options.overrides.enums.extend(table.enums);
            options.overrides.same_values.extend(table.same_values);
        }
        let mut diagnostics = Diagnostics::default();
        let mut objects = Vec::new();
        let threads = parallel::threads_for(sources.len());
        let parsed = parallel::map(sources, threads, |s| parse::parse(&s.name, &s.bytes))
            .map_err(|_| Error::Internal("a parsing thread panicked".to_owned()))?;
        for (source, parsed) in sources.iter().zip(parsed) {
            diagnostics.extend(parsed.diagnostics);
            match parsed.document {
                Document::Objects(found) => objects.extend(found),
                Document::NotObjects { reason } => diagnostics.push(
                    Severity::Error,
                    &source.name,
                    Span { line: 1, col: 1 },
                    "",
                    format!("not an object definition file: {reason}"),
                ),
            }
        }
        diagnostics.extend(check(&objects));
        check_overrides(&objects, &options.overrides, &mut diagnostics);
        for path in &self.machine_files {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let name = path.display().to_string();
            let enums =
                |object: &Object, resource: u16| emit::enum_names(object, resource, &options);
            match machine::parse(&name, &text)
                .and_then(|file| machine::resolve(&file, &objects, &enums))
            {
                Ok(m) => options.machines.push(m),
                Err(d) => diagnostics.extend(d),
            }
        }
        if self.strict {
            diagnostics.warnings_as_errors();
        }
        if diagnostics.has_errors() {
            return Err(Error::Definitions(diagnostics));
        }
        if let Some(id) = only {
            objects.retain(|o| o.id == id);
        }
        Ok(Generated {
            objects,
            warnings: diagnostics.0,
            options,
        })
    }

    /// Reads `paths`, generates, and writes `OUT_DIR/lwm2m_objects.rs` if its content
    /// changed; prints `cargo:rerun-if-changed` for every input and `cargo:warning` for every
    /// warning. Include the result with
    /// `include!(concat!(env!("OUT_DIR"), "/lwm2m_objects.rs"));`.
    pub fn compile(&self, paths: &[impl AsRef<Path>]) -> Result<(), Error> {
        let mut sources = Vec::new();
        for path in paths.iter().map(AsRef::as_ref) {
            println!("cargo:rerun-if-changed={}", path.display());
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.to_owned(),
                source,
            })?;
            sources.push(Source {
                name: path.display().to_string(),
                bytes,
            });
        }
        for path in self.overrides_files.iter().chain(&self.machine_files) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        let generated = self.generate(&sources)?;
        for w in &generated.warnings {
            println!("cargo:warning={w}");
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| Error::Io {
                    path: PathBuf::from("$OUT_DIR"),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "OUT_DIR is not set; call out_dir()",
                    ),
                })?,
        };
        let path = out_dir.join(OUTPUT_FILE);
        write_if_changed(&path, &generated.to_file_string()?)
    }
}

/// Writes `content` unless the file already holds exactly it, so that unchanged output does
/// not trigger a rebuild.
pub fn write_if_changed(path: &Path, content: &str) -> Result<(), Error> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    std::fs::write(path, content).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reads an override table:
///
/// ```toml
/// # Update Result (/5/5): value 2 is `NotEnoughFlash`.
/// ["/5/5"]
/// 2 = "NotEnoughFlash"
///
/// # Available Network Bearer (/4/1) uses Network Bearer's values and enum.
/// ["/4/1"]
/// same-as = "/4/0"
///
/// # Available Power Sources (/3/6): the enum is `PowerSource`.
/// ["/3/6"]
/// enum = "PowerSource"
/// ```
pub fn parse_overrides(file: &str, text: &str) -> Result<Overrides, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{file}: {e}"))?;
    let mut out = Overrides::default();
    for (key, entries) in &table {
        let (object, resource) = parse_path(key).ok_or_else(|| {
            format!("{file}: [\"{key}\"] is not a resource path such as \"/5/5\"")
        })?;
        let entries = entries.as_table().ok_or_else(|| {
            format!("{file}: \"{key}\" must be a table of value = \"Name\" entries")
        })?;
        for (name, value) in entries {
            let text = value
                .as_str()
                .ok_or_else(|| format!("{file}: [\"{key}\"] {name} must be a string"))?;
            let camel = |text: &str| {
                text.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && text.chars().all(|c| c.is_ascii_alphanumeric())
            };
            if name == "enum" {
                if !camel(text) {
                    return Err(format!(
                        "{file}: [\"{key}\"] enum = \"{text}\" is not a CamelCase name"
                    ));
                }
                out.enums.insert((object, resource), text.to_owned());
            } else if name == "same-as" {
                let (source_object, source) = parse_path(text)
                    .filter(|&(o, _)| o == object)
                    .ok_or_else(|| format!("{file}: [\"{key}\"] same-as \"{text}\" must name a resource of object {object}"))?;
                let _ = source_object;
                out.same_values.insert((object, resource), source);
            } else {
                let value: i64 = name.parse().map_err(|_| {
                    format!(
                        "{file}: [\"{key}\"] key \"{name}\" is not a value, `enum` or `same-as`"
                    )
                })?;
                if !camel(text) {
                    return Err(format!(
                        "{file}: [\"{key}\"] {name} = \"{text}\" is not a CamelCase name"
                    ));
                }
                out.variants
                    .insert((object, resource, value), text.to_owned());
            }
        }
    }
    Ok(out)
}

/// `/5/5` into `(5, 5)`.
fn parse_path(path: &str) -> Option<(u16, u16)> {
    let mut parts = path.strip_prefix('/')?.split('/');
    let object = parts.next()?.parse().ok()?;
    let resource = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((object, resource))
}

/// Overrides must name something that exists, so a table cannot go stale silently.
fn check_overrides(objects: &[Object], overrides: &Overrides, out: &mut Diagnostics) {
    let find = |o: u16, r: u16| {
        objects
            .iter()
            .filter(|obj| obj.id == o)
            .flat_map(|obj| obj.resources.iter().map(move |res| (obj, res)))
            .find(|(_, res)| res.id == r)
    };
    let mut stale = |message: String| {
        out.push(
            Severity::Error,
            "overrides",
            Span { line: 1, col: 1 },
            "",
            message,
        )
    };
    for &(o, r, value) in overrides.variants.keys() {
        match find(o, r) {
            Some((_, res)) if res.labels.iter().any(|l| l.value == value) => {}
            Some(_) => stale(format!(
                "override /{o}/{r} value {value}: the resource names no such value"
            )),
            None if objects.iter().any(|obj| obj.id == o) => {
                stale(format!("override /{o}/{r}: object {o} has no resource {r}"))
            }
            None => {}
        }
    }
    for &(o, r) in overrides.enums.keys() {
        let named = find(o, r).is_some_and(|(_, res)| !res.labels.is_empty());
        if objects.iter().any(|obj| obj.id == o) && !named {
            stale(format!(
                "override /{o}/{r} enum: the resource does not exist or names no values"
            ));
        }
    }
    for (&(o, r), &source) in &overrides.same_values {
        if objects.iter().any(|obj| obj.id == o) {
            match (find(o, r), find(o, source)) {
                (Some(_), Some((_, src))) if !src.labels.is_empty() => {}
                _ => stale(format!(
                    "override /{o}/{r} same-as /{o}/{source}: both must exist and /{o}/{source} must name values"
                )),
            }
        }
    }
}
