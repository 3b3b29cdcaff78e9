//! Whitespace cleaning for names and descriptions read from definition files.

/// Whether `c` is whitespace in a definition file: ASCII whitespace and the no-break space
/// (U+00A0) that some registry names contain.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

/// Trims the text and turns every run of whitespace (tabs, newlines, NBSP) into one space.
/// Names go through this: `"LWM2M  Server URI"` and `"Group\u{a0} Address"` become single-spaced.
pub fn collapse_spaces(text: &str) -> String {
    text.split(is_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cleans a description line by line: each line's spaces collapsed, blank lines at both ends
/// removed and runs of blank lines reduced to one. Line breaks are kept, because value lists
/// (`0: Idle`) are written one per line.
pub fn clean_description(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(collapse_spaces) {
        if line.is_empty() && out.last().is_none_or(String::is_empty) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_doubled_tabs_trailing_and_nbsp_spaces() {
        assert_eq!(collapse_spaces("LWM2M  Server URI"), "LWM2M Server URI");
        assert_eq!(collapse_spaces("Group\u{a0} Address"), "Group Address");
        assert_eq!(collapse_spaces("\tRobot Wakeup \n"), "Robot Wakeup");
        assert_eq!(collapse_spaces(" OSCORE ID Context"), "OSCORE ID Context");
    }

    #[test]
    fn descriptions_keep_their_lines() {
        let raw = "\n\n  Indicates  the state.\n\t\t0: Idle \n\n\n1:\tDownloading\n  \n";
        assert_eq!(
            clean_description(raw),
            "Indicates the state.\n0: Idle\n\n1: Downloading"
        );
    }
}
