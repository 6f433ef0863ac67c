//! Key chords as keymap files spell them: `q`, `G`, `ctrl-c`, `shift-tab`, `enter`, `f1`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with its modifiers, normalised so that `G` and `shift-g` are the same chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: KeyCodeKey,
    pub ctrl: bool,
    pub alt: bool,
}

/// The subset of key codes a keymap can name (orderable, unlike crossterm's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

const NAMED: &[(&str, KeyCodeKey)] = &[
    ("enter", KeyCodeKey::Enter),
    ("esc", KeyCodeKey::Esc),
    ("tab", KeyCodeKey::Tab),
    ("backtab", KeyCodeKey::BackTab),
    ("backspace", KeyCodeKey::Backspace),
    ("delete", KeyCodeKey::Delete),
    ("insert", KeyCodeKey::Insert),
    ("up", KeyCodeKey::Up),
    ("down", KeyCodeKey::Down),
    ("left", KeyCodeKey::Left),
    ("right", KeyCodeKey::Right),
    ("home", KeyCodeKey::Home),
    ("end", KeyCodeKey::End),
    ("pageup", KeyCodeKey::PageUp),
    ("pagedown", KeyCodeKey::PageDown),
    ("space", KeyCodeKey::Char(' ')),
    ("minus", KeyCodeKey::Char('-')),
];

impl KeyChord {
    pub fn plain(code: KeyCodeKey) -> KeyChord {
        KeyChord {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// Parse one chord: modifiers `ctrl-`, `alt-`, `shift-` then a key name or one character.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut rest = text;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let mut code = if let Some((_, k)) = NAMED.iter().find(|(n, _)| *n == lower) {
            *k
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(format!("no such function key \"{rest}\" (f1..f12)"));
            }
            KeyCodeKey::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => KeyCodeKey::Char(c),
                _ => {
                    return Err(format!(
                        "cannot read key \"{text}\": use one character or a name such as enter, esc, tab, up, pageup, space, f1, with ctrl-/alt-/shift- in front"
                    ));
                }
            }
        };
        if shift {
            code = match code {
                KeyCodeKey::Char(c) if c.is_ascii_alphabetic() => {
                    KeyCodeKey::Char(c.to_ascii_uppercase())
                }
                KeyCodeKey::Tab => KeyCodeKey::BackTab,
                KeyCodeKey::Char(_) => {
                    return Err(format!(
                        "\"{text}\": shift- only combines with letters and tab; write the shifted character itself"
                    ));
                }
                other => other,
            };
        }
        if ctrl && let KeyCodeKey::Char(c) = code {
            code = KeyCodeKey::Char(c.to_ascii_lowercase());
        }
        Ok(KeyChord { code, ctrl, alt })
    }

    /// Parse a space-separated sequence such as `g g`.
    pub fn parse_sequence(text: &str) -> Result<Vec<KeyChord>, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.is_empty() {
            return Err("empty key".into());
        }
        parts.into_iter().map(KeyChord::parse).collect()
    }

    /// The chord a terminal key event stands for, if a keymap can name it.
    pub fn from_event(ev: &KeyEvent) -> Option<KeyChord> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCodeKey::Char(c.to_ascii_lowercase()),
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::F(n) => KeyCodeKey::F(n),
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeKey::BackTab,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Backspace => KeyCodeKey::Backspace,
            KeyCode::Delete => KeyCodeKey::Delete,
            KeyCode::Insert => KeyCodeKey::Insert,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            _ => return None,
        };
        Some(KeyChord { code, ctrl, alt })
    }

    /// A printable character typed without ctrl or alt (text fields take these).
    pub fn typed_char(&self) -> Option<char> {
        match self.code {
            KeyCodeKey::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }

    /// How the footer and help show the chord: `q`, `C-c`, `Tab`, `↑`.
    pub fn label(&self) -> String {
        let key = match self.code {
            KeyCodeKey::Char(' ') => "Space".to_string(),
            KeyCodeKey::Char(c) => c.to_string(),
            KeyCodeKey::F(n) => format!("F{n}"),
            KeyCodeKey::Enter => "Enter".into(),
            KeyCodeKey::Esc => "Esc".into(),
            KeyCodeKey::Tab => "Tab".into(),
            KeyCodeKey::BackTab => "S-Tab".into(),
            KeyCodeKey::Backspace => "Bksp".into(),
            KeyCodeKey::Delete => "Del".into(),
            KeyCodeKey::Insert => "Ins".into(),
            KeyCodeKey::Up => "↑".into(),
            KeyCodeKey::Down => "↓".into(),
            KeyCodeKey::Left => "←".into(),
            KeyCodeKey::Right => "→".into(),
            KeyCodeKey::Home => "Home".into(),
            KeyCodeKey::End => "End".into(),
            KeyCodeKey::PageUp => "PgUp".into(),
            KeyCodeKey::PageDown => "PgDn".into(),
        };
        let mut out = String::new();
        if self.ctrl {
            out.push_str("C-");
        }
        if self.alt {
            out.push_str("M-");
        }
        out.push_str(&key);
        out
    }
}

/// A sequence's label: `g g`.
pub fn sequence_label(keys: &[KeyChord]) -> String {
    keys.iter()
        .map(KeyChord::label)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_letter_is_the_capital() {
        assert_eq!(KeyChord::parse("shift-g"), KeyChord::parse("G"));
        assert_eq!(KeyChord::parse("shift-tab"), KeyChord::parse("backtab"));
    }

    #[test]
    fn sequences_and_modifiers() {
        let seq = KeyChord::parse_sequence("g g").unwrap_or_default();
        assert_eq!(seq.len(), 2);
        let c = KeyChord::parse("ctrl-C").ok();
        assert_eq!(
            c.map(|c| (c.ctrl, c.code)),
            Some((true, KeyCodeKey::Char('c')))
        );
        assert!(KeyChord::parse("hyper-x").is_err());
        assert!(KeyChord::parse("f13").is_err());
    }

    #[test]
    fn events_map_to_chords() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&ev), KeyChord::parse("G").ok());
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&ev), KeyChord::parse("shift-tab").ok());
    }
}
