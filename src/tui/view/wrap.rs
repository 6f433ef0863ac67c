//! Word wrapping with a hanging indent, for every pane that shows prose (help, log,
//! detail): a lead (a key, a timestamp) on the first line, and the text wrapping on word
//! boundaries under itself, never under the lead. Breaking is textwrap's.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// Narrower than this, the text wraps under the lead too (a hanging indent would leave
/// one or two letters a line).
const MIN_ROOM: usize = 12;

/// `lead` then `text` in `style`, wrapped to `width` columns; continuation lines are
/// indented by the lead's width.
pub fn hanging(
    lead: Vec<Span<'static>>,
    text: &str,
    style: Style,
    width: usize,
) -> Vec<Line<'static>> {
    let lead_w: usize = lead.iter().map(|s| s.content.width()).sum();
    let hang = width >= lead_w + MIN_ROOM;
    let room = if hang { width - lead_w } else { width.max(1) };
    let mut out = Vec::new();
    let mut lead = Some(lead);
    let first_room = if hang {
        room
    } else {
        room.saturating_sub(lead_w).max(1)
    };
    let first_options = options(first_room);
    let mut rest = text.trim_end().to_string();
    // The first line may be narrower than the rest (no hanging room): wrap it alone, then
    // the remainder at the continuation width.
    let first = textwrap::wrap(&rest, &first_options)
        .first()
        .map(|l| l.to_string())
        .unwrap_or_default();
    rest = rest[first.len().min(rest.len())..].trim_start().to_string();
    let mut spans = lead.take().unwrap_or_default();
    spans.push(Span::styled(first, style));
    out.push(Line::from(spans));
    if rest.is_empty() {
        return out;
    }
    let indent = if hang {
        " ".repeat(lead_w)
    } else {
        String::new()
    };
    for chunk in textwrap::wrap(&rest, options(room)) {
        out.push(Line::from(vec![
            Span::raw(indent.clone()),
            Span::styled(chunk.to_string(), style),
        ]));
    }
    out
}

/// Break only at spaces: region ids and commands (`eu-west-1`, `set-weights`) stay whole.
fn options(width: usize) -> textwrap::Options<'static> {
    textwrap::Options::new(width)
        .break_words(true)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// The plain text of wrapped lines, for tests and width checks.
pub fn plain(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(lead: &str, text: &str, width: usize) -> Vec<String> {
        plain(&hanging(
            vec![Span::raw(lead.to_string())],
            text,
            Style::default(),
            width,
        ))
    }

    #[test]
    fn continuation_lines_hang_under_the_text_and_words_stay_whole() {
        assert_eq!(
            wrap("key  ", "one two three four five six seven", 20),
            vec!["key  one two three", "     four five six", "     seven"]
        );
    }

    #[test]
    fn no_line_is_wider_than_the_width() {
        let text = "drain a region: select it on the region board and press d; the plan shows what it needs";
        for width in 14..60 {
            for line in wrap("  d          ", text, width) {
                assert!(line.width() <= width, "{width}: {line:?}");
            }
        }
    }

    #[test]
    fn a_word_longer_than_the_room_is_cut_and_narrow_panes_drop_the_hang() {
        assert_eq!(
            wrap("k ", "abcdefghijklmnopqrstuvwxyz", 16),
            vec!["k abcdefghijklmn", "  opqrstuvwxyz"]
        );
        assert_eq!(wrap("lead ", "one two", 10), vec!["lead one", "two"]);
        assert_eq!(
            wrap("", "record ap-southeast-1", 16),
            vec!["record", "ap-southeast-1"]
        );
        assert_eq!(wrap("", "", 10), vec![""]);
    }
}
