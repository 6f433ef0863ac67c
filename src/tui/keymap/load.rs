//! Reading keymap files: the embedded maps, `inherits`, unbinding with `"none"`, and the
//! user's `keymap.toml` merged last. Every mistake stops start-up with file, line and column.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Binding, KeyChord, Keymap, allowed, sequence_label};
use crate::fleet::suggest;
use crate::tui::command::{Command, Mode};
use crate::tui::config_error::{self, ConfigError, LineIndex, Pos};

/// The keymaps built into the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("default", include_str!("../../../keymaps/default.toml")),
    ("vim", include_str!("../../../keymaps/vim.toml")),
];

/// The value that removes an inherited binding.
const UNBIND: &str = "none";

type Section = BTreeMap<String, Spanned<String>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    inherits: Option<Spanned<String>>,
    normal: Option<Section>,
    modal: Option<Section>,
    palette: Option<Section>,
    filter: Option<Section>,
    editor: Option<Section>,
    picker: Option<Section>,
    help: Option<Section>,
}

impl RawKeymap {
    fn sections(self) -> Vec<(Mode, Section)> {
        [
            (Mode::Normal, self.normal),
            (Mode::Modal, self.modal),
            (Mode::Palette, self.palette),
            (Mode::Filter, self.filter),
            (Mode::Editor, self.editor),
            (Mode::Picker, self.picker),
            (Mode::Help, self.help),
        ]
        .into_iter()
        .filter_map(|(m, s)| s.map(|s| (m, s)))
        .collect()
    }
}

/// One file's worth of bindings (`None` = unbind), validated on its own.
struct Layer {
    file: String,
    entries: Vec<(Mode, Vec<KeyChord>, Option<Command>, Pos)>,
}

/// A layer and the map it inherits, with where `inherits` is written.
fn parse_layer(file: &str, source: &str) -> Result<(Layer, Option<(String, Pos)>), ConfigError> {
    let raw: RawKeymap =
        toml::from_str(source).map_err(|e| ConfigError::from_toml(file, source, &e))?;
    let index = LineIndex::new(source);
    let inherits = raw
        .inherits
        .as_ref()
        .map(|s| (s.get_ref().clone(), index.pos(s.span().start)));
    let mut entries = Vec::new();
    let mut seen: BTreeMap<(Mode, Vec<KeyChord>), (String, usize)> = BTreeMap::new();
    for (mode, section) in raw.sections() {
        let mut items: Vec<(String, Spanned<String>)> = section.into_iter().collect();
        items.sort_by_key(|(_, v)| v.span().start);
        for (key_text, value) in items {
            let at = index.pos(value.span().start);
            let line = at.line;
            let keys = KeyChord::parse_sequence(&key_text)
                .map_err(|e| ConfigError::new(file, Some(at), format!("[{}] {e}", mode.name())))?;
            let name = value.get_ref().as_str();
            let command = if name == UNBIND {
                None
            } else {
                let Some(c) = Command::parse(name) else {
                    let hint = suggest::hint(name, Command::ALL.iter().map(|c| c.name()));
                    return Err(ConfigError::new(
                        file,
                        Some(at),
                        format!(
                            "[{}] \"{key_text}\": unknown action \"{name}\"{hint}",
                            mode.name()
                        ),
                    ));
                };
                if !allowed(mode, c) {
                    return Err(ConfigError::new(
                        file,
                        Some(at),
                        format!(
                            "[{}] \"{key_text}\": action \"{name}\" does nothing in {} mode",
                            mode.name(),
                            mode.name()
                        ),
                    ));
                }
                Some(c)
            };
            if let Some((other, other_line)) = seen.get(&(mode, keys.clone())) {
                return Err(ConfigError::new(
                    file,
                    Some(at),
                    format!(
                        "[{}] \"{key_text}\" is the same key as \"{other}\" on line {other_line}: conflicting binding",
                        mode.name()
                    ),
                ));
            }
            seen.insert((mode, keys.clone()), (key_text.clone(), line));
            entries.push((mode, keys, command, at));
        }
    }
    Ok((
        Layer {
            file: file.to_string(),
            entries,
        },
        inherits,
    ))
}

fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Load an embedded keymap by name, with the user's overrides (`keymap.toml`) if present.
pub fn load(name: &str, user_file: Option<&Path>) -> Result<Keymap, ConfigError> {
    let user = match user_file {
        Some(path) if path.exists() => Some(config_error::read(path)?),
        _ => None,
    };
    load_from_sources(name, user.as_ref().map(|(l, t)| (l.as_str(), t.as_str())))
}

/// Load from text (the embedded map `name`, then `user` as (file label, contents)).
pub fn load_from_sources(name: &str, user: Option<(&str, &str)>) -> Result<Keymap, ConfigError> {
    // Each embedded map is parsed once, with what it inherits.
    let mut chain: Vec<(String, Layer)> = Vec::new();
    // The next map to read, and where the previous one names it (None for --keymap).
    let mut next: Option<(String, Option<Pos>)> = Some((name.to_string(), None));
    while let Some((n, named_at)) = next.take() {
        let from = chain
            .last()
            .map(|(c, _)| format!("embedded:keymaps/{c}.toml"));
        let Some(src) = embedded(&n) else {
            let hint = suggest::hint(&n, EMBEDDED.iter().map(|(n, _)| *n));
            return Err(ConfigError::new(
                from.unwrap_or_else(|| "--keymap".into()),
                named_at,
                format!("unknown keymap \"{n}\"{hint}"),
            ));
        };
        if chain.iter().any(|(c, _)| *c == n) {
            let path: Vec<&str> = chain.iter().map(|(c, _)| c.as_str()).collect();
            return Err(ConfigError::new(
                from.unwrap_or_else(|| format!("embedded:keymaps/{n}.toml")),
                named_at,
                format!("keymaps inherit in a circle: {} -> {n}", path.join(" -> ")),
            ));
        }
        let (layer, inherits) = parse_layer(&format!("embedded:keymaps/{n}.toml"), src)?;
        chain.push((n, layer));
        next = inherits.map(|(name, at)| (name, Some(at)));
    }
    let mut layers: Vec<Layer> = chain.into_iter().rev().map(|(_, l)| l).collect();
    if let Some((label, text)) = user {
        let (layer, inherits) = parse_layer(label, text)?;
        if let Some((_, at)) = inherits {
            return Err(ConfigError::new(
                label,
                Some(at),
                "keymap.toml merges over the map chosen with --keymap; \"inherits\" is not allowed here",
            ));
        }
        layers.push(layer);
    }
    merge(name, layers)
}

fn merge(name: &str, layers: Vec<Layer>) -> Result<Keymap, ConfigError> {
    let mut by_mode: BTreeMap<Mode, Vec<Binding>> = BTreeMap::new();
    let mut order = 0;
    for layer in layers {
        for (mode, keys, command, at) in layer.entries {
            let list = by_mode.entry(mode).or_default();
            let existing = list.iter().position(|b| b.keys == keys);
            match (command, existing) {
                (None, Some(i)) => {
                    list.remove(i);
                }
                (None, None) => {
                    return Err(ConfigError::new(
                        &layer.file,
                        Some(at),
                        format!(
                            "[{}] cannot unbind \"{}\": nothing is bound to it",
                            mode.name(),
                            sequence_label(&keys)
                        ),
                    ));
                }
                (Some(command), existing) => {
                    let b = Binding {
                        keys,
                        command,
                        file: layer.file.clone(),
                        at: Some(at),
                        order,
                    };
                    order += 1;
                    match existing {
                        Some(i) => list[i] = b,
                        None => list.push(b),
                    }
                }
            }
        }
    }
    for (mode, list) in &by_mode {
        for a in list {
            for b in list {
                if a.keys.len() < b.keys.len() && b.keys.starts_with(&a.keys) {
                    // Blame whichever binding was defined later.
                    let later = if a.order > b.order { a } else { b };
                    return Err(ConfigError::new(
                        &later.file,
                        later.at,
                        format!(
                            "[{}] conflicting binding: \"{}\" ({}) is the start of \"{}\" ({}); unbind one with \"none\"",
                            mode.name(),
                            sequence_label(&a.keys),
                            a.command,
                            sequence_label(&b.keys),
                            b.command
                        ),
                    ));
                }
            }
        }
    }
    Ok(Keymap::build(name, by_mode))
}
