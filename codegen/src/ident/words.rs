//! How an OMA name splits into lowercase words, and how a leading number is spelled out.

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// `3` is `three`, `42` is `forty two`, `802` is `n802`; a word like `5g` keeps its letters
/// (`five g`).
pub(super) fn spell_leading_number(word: &str) -> Vec<String> {
    let digits_end = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let (digits, rest) = word.split_at(digits_end);
    let spelled: Option<Vec<&str>> = match digits.parse::<usize>() {
        Ok(n) if n < 20 => ONES.get(n).map(|s| vec![*s]),
        Ok(n) if n < 100 => match (TENS.get(n / 10), ONES.get(n % 10)) {
            (Some(tens), _) if n % 10 == 0 => Some(vec![*tens]),
            (Some(tens), Some(ones)) => Some(vec![*tens, *ones]),
            _ => None,
        },
        _ => None,
    };
    match spelled {
        Some(words) => {
            let mut words: Vec<String> = words.into_iter().map(str::to_owned).collect();
            if !rest.is_empty() {
                words.push(rest.to_owned());
            }
            words
        }
        None => vec![format!("n{word}")],
    }
}

/// Splits an OMA name into lowercase words (see the module documentation).
pub(super) fn split_words(name: &str) -> Vec<String> {
    let name = strip_footnote(name);
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut token = String::new();
    let flush = |token: &mut String, words: &mut Vec<String>| {
        if !token.is_empty() {
            words.extend(split_token(token));
            token.clear();
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            token.push(c);
            continue;
        }
        flush(&mut token, &mut words);
        let alnum_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_ascii_alphanumeric())
        };
        let space_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_whitespace())
        };
        let joins_words = alnum_at(i.checked_sub(1)) && alnum_at(Some(i + 1));
        // ` - ` between spaces is a dash, not a sign.
        let dash = space_at(i.checked_sub(1)) && space_at(Some(i + 1));
        let word = match c {
            '+' => Some("plus"),
            '-' if !joins_words && !dash => Some("minus"),
            '&' => Some("and"),
            '%' => Some("percent"),
            _ => None,
        };
        words.extend(word.map(str::to_owned));
    }
    flush(&mut token, &mut words);
    words
}

/// A footnote marker such as `(2)` at the end of a name (`IP address (2)`) is not part of it.
fn strip_footnote(name: &str) -> &str {
    let trimmed = name.trim_end();
    let marker = trimmed
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once('('))
        .filter(|(head, digits)| {
            !head.trim().is_empty()
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
        });
    marker.map_or(name, |(head, _)| head)
}

/// Mixed-case terms of the trade that stay one word (`CoAP` is `coap`, not `co_ap`).
const ONE_WORD: &[&str] = &[
    "CoAP", "CoAPs", "CoAPS", "LwM2M", "IoT", "WiMAX", "WiFi", "IPv4", "IPv6", "eNB", "gNB",
    "eNodeB", "OAuth", "MQTTs", "LiDAR", "VoLTE", "nuSIM", "uCIFI",
];

/// `eUICC`, `eMBB`, `iUICC`: one lowercase letter, then an acronym. One word.
fn is_prefixed_acronym(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && token.len() >= 3
        && chars.clone().take(2).all(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Splits one alphanumeric token at case changes and after a leading number.
fn split_token(token: &str) -> Vec<String> {
    if ONE_WORD.iter().any(|w| w.eq_ignore_ascii_case(token)) || is_prefixed_acronym(token) {
        return vec![token.to_ascii_lowercase()];
    }
    let chars: Vec<char> = token.chars().collect();
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let is_upper = |j: usize| chars.get(j).is_some_and(char::is_ascii_uppercase);
    let is_lower = |j: usize| chars.get(j).is_some_and(char::is_ascii_lowercase);
    let run_len =
        |j: usize, pred: &dyn Fn(usize) -> bool| (j..chars.len()).take_while(|&k| pred(k)).count();
    let leading_digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in chars.iter().enumerate() {
        let split = i > 0
            && ((i == leading_digits && leading_digits > 0)
                // lower -> Upper: `PkgName`, `WiMAX`, but not the lone `T` of `IoT`.
                || (is_lower(i - 1) && is_upper(i) && (run_len(i, &is_upper) >= 2 || is_lower(i + 1)))
                // end of an acronym: `HTTPServer`, but not `IDs` or `IPv4`.
                || (is_upper(i - 1) && is_upper(i) && run_len(i + 1, &is_lower) >= 2));
        if split && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}
