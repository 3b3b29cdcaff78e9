//! The README shows this example whole; the two must not drift apart.

#[test]
fn the_readme_shows_the_minimal_device_as_it_is() {
    let readme = include_str!("../../../README.md");
    let source = include_str!("../src/main.rs");
    let block = readme
        .split("```rust,ignore\n")
        .map(|rest| rest.split("```").next().unwrap_or_default())
        .find(|code| code.contains("fn run<F: NorFlash>"))
        .expect("the README's Running the client section shows the minimal device");
    assert_eq!(block, source, "README.md and examples/minimal/src/main.rs differ");
    let code_lines = source
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .count();
    assert!(code_lines <= 60, "the minimal device is {code_lines} lines of Rust");
}
