//! Errors and warnings, each tied to a place in an XML file.

use std::fmt;

use crate::model::Span;

/// How bad a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something the generator can work around; the code it produces is still sound.
    Warning,
    /// Something that stops generation.
    Error,
}

impl Severity {
    /// `"warning"` or `"error"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One finding of the parser or the checks: where, in which element, and what.
///
/// Displays as `file:line:col: context: message`, e.g.
/// `5.xml:88:19: Object 5 (Firmware Update) > Item ID="3" (State) > <Type>: "Int" is not one
/// of String, Integer, ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file as the caller named it.
    pub file: String,
    /// 1-based line and column (in characters).
    pub span: Span,
    /// The element chain, e.g. `Object 5 (Firmware Update) > Item ID="3" (State) > <Type>`.
    pub context: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.span.line, self.span.col)?;
        if !self.context.is_empty() {
            write!(f, "{}: ", self.context)?;
        }
        f.write_str(&self.message)
    }
}

/// Every finding of one run, errors and warnings together, in the order they were found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Records a finding.
    pub fn push(
        &mut self,
        severity: Severity,
        file: &str,
        span: Span,
        context: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(Diagnostic {
            severity,
            file: file.to_owned(),
            span,
            context: context.into(),
            message: message.into(),
        });
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Makes every warning an error (strict mode).
    pub fn warnings_as_errors(&mut self) {
        for d in &mut self.0 {
            d.severity = Severity::Error;
        }
    }

    /// Moves every finding of `other` here.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for Diagnostics {
    /// One finding per line, each prefixed with its severity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}: {d}", d.severity.as_str())?;
        }
        Ok(())
    }
}
