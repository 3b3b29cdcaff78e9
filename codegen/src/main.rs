//! `lwm2m-codegen`: check OMA LwM2M object definitions, or generate Rust from them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lwm2m_codegen::parse::{self, Document};
use lwm2m_codegen::{Config, Diagnostics, Source, check};

/// Checks OMA LwM2M object definitions, or generates Rust from them.
#[derive(Parser)]
#[command(name = "lwm2m-codegen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parses, checks and generates each XML file and prints one line per file: `ok`,
    /// `skipped: <reason>` or `error: file:line:col: ...`, then `N ok, M skipped, K failed`.
    /// Exits 1 if any file failed.
    Check {
        /// Also print warnings.
        #[arg(short, long)]
        verbose: bool,
        /// Make every warning an error.
        #[arg(long)]
        strict: bool,
        /// XML files, or folders searched for *.xml.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Writes one formatted Rust file with a module per object (to stdout without --out).
    /// Exits 1 on any error.
    Generate {
        /// Make every warning an error.
        #[arg(long)]
        strict: bool,
        /// The file to write (only when its text changes).
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// A TOML file of overrides (names, types); repeatable.
        #[arg(long, value_name = "FILE")]
        overrides: Vec<PathBuf>,
        /// XML files, or folders searched for *.xml.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check {
            verbose,
            strict,
            paths,
        } => run_check(&paths, verbose, strict),
        Command::Generate {
            strict,
            out,
            overrides,
            paths,
        } => run_generate(&paths, out, &overrides, strict),
    }
}

/// The XML files named by `paths`: files as given, folders searched recursively, sorted.
fn xml_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        found.sort();
        for path in found {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                walk(&path, out)?;
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn run_check(paths: &[PathBuf], verbose: bool, strict: bool) -> ExitCode {
    let files = match xml_files(paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut ok, mut skipped, mut failed) = (0usize, 0usize, 0usize);
    for path in files {
        let name = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                println!("error: {name}: {e}");
                failed += 1;
                continue;
            }
        };
        let parsed = parse::parse(&name, &bytes);
        let mut diagnostics = parsed.diagnostics;
        match parsed.document {
            Document::NotObjects { reason } => {
                println!("{name}: skipped: {reason}");
                skipped += 1;
                continue;
            }
            Document::Objects(objects) => diagnostics.extend(check::check(&objects)),
        }
        if strict {
            diagnostics.warnings_as_errors();
        }
        if !diagnostics.has_errors() {
            // Generate too: what `check` accepts, `generate` must turn into valid Rust.
            let source = Source {
                name: name.clone(),
                bytes,
            };
            if let Err(e) = Config::new()
                .generate(&[source])
                .and_then(|g| g.to_file_string())
            {
                println!("error: {name}: {e}");
                failed += 1;
                continue;
            }
        }
        report(&name, &diagnostics, verbose);
        if diagnostics.has_errors() {
            failed += 1;
        } else {
            ok += 1;
        }
    }
    println!("{ok} ok, {skipped} skipped, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(name: &str, diagnostics: &Diagnostics, verbose: bool) {
    if diagnostics.has_errors() {
        for d in diagnostics.errors() {
            println!("error: {d}");
        }
    } else {
        let warnings = diagnostics.warnings().count();
        match warnings {
            0 => println!("{name}: ok"),
            n => println!("{name}: ok ({n} warning{})", if n == 1 { "" } else { "s" }),
        }
    }
    if verbose {
        for d in diagnostics.warnings() {
            println!("  warning: {d}");
        }
    }
}

fn run_generate(
    paths: &[PathBuf],
    out: Option<PathBuf>,
    overrides: &[PathBuf],
    strict: bool,
) -> ExitCode {
    let mut config = Config::new();
    config.strict(strict);
    for file in overrides {
        config.overrides_file(file);
    }
    let files = match xml_files(paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut sources = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: {name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        // A folder or glob may include index files; only object definitions are generated.
        match parse::parse(&name, &bytes).document {
            Document::NotObjects { reason } => eprintln!("{name}: skipped: {reason}"),
            Document::Objects(_) => sources.push(Source { name, bytes }),
        }
    }
    let text = match config.generate(&sources).and_then(|g| {
        for w in &g.warnings {
            eprintln!("warning: {w}");
        }
        g.to_file_string()
    }) {
        Ok(text) => text,
        Err(e) => {
            eprint!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match out {
        Some(path) => match lwm2m_codegen::write_if_changed(&path, &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
    }
}
