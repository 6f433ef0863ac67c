//! Themes: colours by role. Widgets ask for `theme.get(Role::Danger)`, never for a colour.
//! Embedded themes (`themes/*.toml`) and the user's own may inherit one another;
//! `NO_COLOR` strips colours and keeps bold, reverse and underline so meaning survives.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::config_error::{self, ConfigError};
use crate::fleet::suggest;

/// What a piece of the screen means, which decides how it looks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr, strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Role {
    Text,
    Muted,
    Accent,
    Ok,
    Warn,
    Danger,
    Info,
    Selected,
    Border,
    BorderFocused,
    Title,
    Production,
    NonProduction,
    ReadOnly,
    Stale,
    Bar,
    BarEmpty,
    Key,
    Button,
    ButtonDisabled,
    Input,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: &'static [Role] = <Role as strum::VariantArray>::VARIANTS;

    /// The name theme files use (`border-focused`).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Themes built into the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "colour-blind",
        include_str!("../../themes/colour-blind.toml"),
    ),
];

/// A resolved theme: a style for every role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Role, Style>,
}

impl Theme {
    /// The style for a role (plain when the theme has none).
    pub fn get(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    /// The default theme; falls back to plain styles if the embedded file were broken
    /// (a test keeps it from being).
    pub fn fallback() -> Theme {
        load_from_sources("dark", &[], false).unwrap_or(Theme {
            name: "plain".into(),
            styles: BTreeMap::new(),
        })
    }

    /// Strip colours, keep modifiers (for `NO_COLOR`).
    pub fn without_colour(mut self) -> Theme {
        for s in self.styles.values_mut() {
            s.fg = None;
            s.bg = None;
        }
        // Without colour, selection and the production banner still need to stand out.
        for r in [
            Role::Selected,
            Role::Production,
            Role::Button,
            Role::ReadOnly,
        ] {
            let s = self.get(r).add_modifier(Modifier::REVERSED);
            self.styles.insert(r, s);
        }
        self
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    roles: BTreeMap<String, Spanned<RawStyle>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

/// Parse a colour: a name (`red`, `light-blue`, `dark-gray`), `#rrggbb`, or 0..=255.
pub fn parse_colour(text: &str) -> Result<Color, String> {
    let t = text.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6
            && let Ok(v) = u32::from_str_radix(hex, 16)
        {
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!("\"{text}\" is not a #rrggbb colour"));
    }
    if let Ok(i) = t.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    let named = [
        ("reset", Color::Reset),
        ("black", Color::Black),
        ("red", Color::Red),
        ("green", Color::Green),
        ("yellow", Color::Yellow),
        ("blue", Color::Blue),
        ("magenta", Color::Magenta),
        ("cyan", Color::Cyan),
        ("gray", Color::Gray),
        ("grey", Color::Gray),
        ("dark-gray", Color::DarkGray),
        ("dark-grey", Color::DarkGray),
        ("light-red", Color::LightRed),
        ("light-green", Color::LightGreen),
        ("light-yellow", Color::LightYellow),
        ("light-blue", Color::LightBlue),
        ("light-magenta", Color::LightMagenta),
        ("light-cyan", Color::LightCyan),
        ("white", Color::White),
    ];
    named
        .iter()
        .find(|(n, _)| *n == t)
        .map(|(_, c)| *c)
        .ok_or_else(|| format!("unknown colour \"{text}\": use a name such as red or light-blue, #rrggbb, or 0..255"))
}

/// Load a theme by name: the user's themes directory first, then the embedded ones.
pub fn load(name: &str, user_dir: Option<&Path>, no_colour: bool) -> Result<Theme, ConfigError> {
    let mut user: Vec<(String, String, String)> = Vec::new();
    if let Some(dir) = user_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "toml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                let (label, text) = config_error::read(&path)?;
                user.push((stem.to_string(), label, text));
            }
        }
    }
    let refs: Vec<(&str, &str, &str)> = user
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    // A broken theme file is reported even when another theme is chosen: a mistake in
    // configuration is never hidden.
    for (other, _, _) in &refs {
        load_from_sources(other, &refs, no_colour)?;
    }
    load_from_sources(name, &refs, no_colour)
}

/// Load from text: `user` holds (name, file label, contents) and shadows embedded themes.
pub fn load_from_sources(
    name: &str,
    user: &[(&str, &str, &str)],
    no_colour: bool,
) -> Result<Theme, ConfigError> {
    let find = |n: &str| -> Option<(String, &str)> {
        if let Some((_, label, text)) = user.iter().find(|(u, _, _)| *u == n) {
            return Some((label.to_string(), *text));
        }
        EMBEDDED
            .iter()
            .find(|(e, _)| *e == n)
            .map(|(e, t)| (format!("embedded:themes/{e}.toml"), *t))
    };
    let dark_label = "embedded:themes/dark.toml".to_string();
    let dark_text = EMBEDDED
        .iter()
        .find(|(n, _)| *n == "dark")
        .map(|(_, t)| *t)
        .unwrap_or("");
    let mut chain: Vec<(String, &str, RawTheme)> = Vec::new();
    // (label, text) of the next theme to read; the first is looked up by name.
    let mut next = match find(name) {
        Some(found) => Some(found),
        None => {
            let all: Vec<&str> = EMBEDDED
                .iter()
                .map(|(n, _)| *n)
                .chain(user.iter().map(|(n, _, _)| *n))
                .collect();
            let hint = suggest::hint(name, all.iter().copied());
            return Err(ConfigError::new(
                "--theme",
                None,
                format!("unknown theme \"{name}\"{hint}"),
            ));
        }
    };
    while let Some((label, text)) = next.take() {
        if chain.iter().any(|(l, _, _)| *l == label) {
            return Err(circle(&chain, &label));
        }
        let raw: RawTheme =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(&label, text, &e))?;
        next = match &raw.inherits {
            Some(p) => match find(p.get_ref()) {
                Some(found) => Some(found),
                None => {
                    let all: Vec<&str> = EMBEDDED
                        .iter()
                        .map(|(n, _)| *n)
                        .chain(user.iter().map(|(n, _, _)| *n))
                        .collect();
                    let hint = suggest::hint(p.get_ref(), all.iter().copied());
                    return Err(ConfigError::at(
                        &label,
                        text,
                        p.span().start,
                        format!("inherits unknown theme \"{}\"{hint}", p.get_ref()),
                    ));
                }
            },
            // Every theme rests on the embedded dark one, so a partial theme has every role.
            None if label != dark_label && !chain.iter().any(|(l, _, _)| *l == dark_label) => {
                Some((dark_label.clone(), dark_text))
            }
            None => None,
        };
        chain.push((label, text, raw));
    }
    let mut styles = BTreeMap::new();
    for (label, text, raw) in chain.into_iter().rev() {
        for (role_name, spanned) in raw.roles {
            let line = Some(config_error::pos_of(text, spanned.span().start));
            let Some(role) = Role::ALL.iter().copied().find(|r| r.name() == role_name) else {
                let hint = suggest::hint(&role_name, Role::ALL.iter().map(|r| r.name()));
                return Err(ConfigError::new(
                    &label,
                    line,
                    format!("unknown role \"{role_name}\"{hint}"),
                ));
            };
            let raw = spanned.get_ref();
            let mut style = Style::default();
            if let Some(fg) = &raw.fg {
                style = style.fg(parse_colour(fg)
                    .map_err(|e| ConfigError::new(&label, line, format!("{role_name}.fg: {e}")))?);
            }
            if let Some(bg) = &raw.bg {
                style = style.bg(parse_colour(bg)
                    .map_err(|e| ConfigError::new(&label, line, format!("{role_name}.bg: {e}")))?);
            }
            for (on, m) in [
                (raw.bold, Modifier::BOLD),
                (raw.dim, Modifier::DIM),
                (raw.italic, Modifier::ITALIC),
                (raw.underline, Modifier::UNDERLINED),
                (raw.reversed, Modifier::REVERSED),
            ] {
                if on {
                    style = style.add_modifier(m);
                }
            }
            styles.insert(role, style);
        }
    }
    let theme = Theme {
        name: name.to_string(),
        styles,
    };
    Ok(if no_colour {
        theme.without_colour()
    } else {
        theme
    })
}

/// The error for a theme chain that comes back to `label`: blamed on the `inherits` that
/// closes the circle (the last theme read), at its place.
fn circle(chain: &[(String, &str, RawTheme)], label: &str) -> ConfigError {
    let stem = |l: &str| {
        let name = l.rsplit('/').next().unwrap_or(l);
        name.strip_suffix(".toml").unwrap_or(name).to_string()
    };
    let names: Vec<String> = chain
        .iter()
        .map(|(l, _, _)| stem(l))
        .chain([stem(label)])
        .collect();
    let problem = format!("themes inherit in a circle: {}", names.join(" -> "));
    match chain.last() {
        Some((last, text, raw)) => match &raw.inherits {
            Some(p) => ConfigError::at(last, text, p.span().start, problem),
            None => ConfigError::at(last, text, 0, problem),
        },
        None => ConfigError::new(label, None, problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_theme_loads_and_has_every_role() {
        for (name, _) in EMBEDDED {
            let t = load_from_sources(name, &[], false);
            assert!(t.is_ok(), "{name}: {t:?}");
            let t = t.unwrap_or_else(|_| Theme::fallback());
            for r in Role::ALL {
                assert!(t.styles.contains_key(r), "{name} lacks {}", r.name());
            }
        }
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_colour("#ff0000"), Ok(Color::Rgb(255, 0, 0)));
        assert_eq!(parse_colour("light-blue"), Ok(Color::LightBlue));
        assert_eq!(parse_colour("42"), Ok(Color::Indexed(42)));
        assert!(parse_colour("blurple").is_err());
    }
}
