//! "Did you mean ...?" for mistyped ids and keys.

/// The candidate closest to `input`, if one is close enough to be a plausible typo.
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input_lower = input.to_ascii_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&input_lower, &c.to_ascii_lowercase());
        let edits = strsim::damerau_levenshtein(&input_lower, &c.to_ascii_lowercase());
        // A couple of edits, or a strong prefix match, counts as "probably meant".
        let plausible = edits <= 2.max(c.len() / 4) || score >= 0.88;
        if plausible && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// ` (did you mean "x"?)` or, when nothing is close, ` (valid: "a", "b")`.
pub fn hint<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match nearest(input, candidates.clone()) {
        Some(best) => format!(" (did you mean \"{best}\"?)"),
        None => {
            let mut all: Vec<String> = Vec::new();
            for c in candidates {
                let quoted = format!("\"{c}\"");
                if !all.contains(&quoted) {
                    all.push(quoted);
                }
            }
            if all.is_empty() {
                String::new()
            } else {
                format!(" (valid: {})", all.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_letters_are_found() {
        let regions = ["us-east-1", "eu-west-1", "ap-south-1"];
        assert_eq!(nearest("eu-wset-1", regions), Some("eu-west-1"));
        assert_eq!(nearest("us-east-2", regions), Some("us-east-1"));
    }

    #[test]
    fn unrelated_input_gets_the_list() {
        let regions = ["us-east-1", "eu-west-1"];
        assert_eq!(nearest("mars", regions), None);
        assert_eq!(
            hint("mars", regions),
            " (valid: \"us-east-1\", \"eu-west-1\")"
        );
    }
}
