//! Keymaps: per mode, key sequences -> command names, as a trie with its own pending state
//! (`g g`). Embedded maps (`keymaps/*.toml`) with user overrides merged over them.

mod keys;
mod load;

use std::collections::BTreeMap;

pub use keys::{KeyChord, KeyCodeKey, sequence_label};
pub use load::{EMBEDDED, load, load_from_sources};

use super::command::{Command, Mode};
use crate::state::Millis;

/// One binding and where it was defined, for help and for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeyChord>,
    pub command: Command,
    pub file: String,
    pub at: Option<crate::tui::config_error::Pos>,
    /// Definition order across all layers (later overrides and is blamed for conflicts).
    pub order: usize,
}

#[derive(Debug, Clone, Default)]
struct Node {
    command: Option<Command>,
    next: BTreeMap<KeyChord, Node>,
}

/// What a key means in the current mode, given the keys pending before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Command(Command),
    /// The key starts (or continues) a longer sequence; wait for the next one.
    Pending,
    /// Nothing is bound; the pending sequence, if any, is dropped.
    Unbound,
}

/// Keys typed so far of a multi-key sequence. Kept apart from the app so sequences are
/// handled once, here, and not by flags scattered over the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingKeys {
    keys: Vec<KeyChord>,
    mode: Option<Mode>,
    /// When the first key of the sequence was pressed.
    since: Millis,
}

/// A sequence not finished within this long is dropped (`g`, pause, `g` is not `g g`).
pub const SEQUENCE_TIMEOUT_MS: Millis = 1_000;

impl PendingKeys {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn label(&self) -> String {
        sequence_label(&self.keys)
    }

    pub fn clear(&mut self) {
        self.keys.clear();
        self.mode = None;
    }

    /// Drop a sequence left unfinished for too long; true when one was dropped.
    pub fn expire(&mut self, now: Millis) -> bool {
        let expired = !self.keys.is_empty() && now - self.since > SEQUENCE_TIMEOUT_MS;
        if expired {
            self.clear();
        }
        expired
    }
}

/// The key bindings in effect.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    /// The embedded map chosen (`default`, `vim`).
    pub name: String,
    bindings: BTreeMap<Mode, Vec<Binding>>,
    tries: BTreeMap<Mode, Node>,
}

impl Keymap {
    fn build(name: &str, bindings: BTreeMap<Mode, Vec<Binding>>) -> Keymap {
        let mut tries = BTreeMap::new();
        for (mode, list) in &bindings {
            let mut root = Node::default();
            for b in list {
                let mut node = &mut root;
                for k in &b.keys {
                    node = node.next.entry(*k).or_default();
                }
                node.command = Some(b.command);
            }
            tries.insert(*mode, root);
        }
        Keymap {
            name: name.to_string(),
            bindings,
            tries,
        }
    }

    /// Feed one key. Sequences that lead nowhere are dropped, and the key is then tried
    /// on its own, so a stray `g` never swallows the next command.
    pub fn resolve(
        &self,
        mode: Mode,
        pending: &mut PendingKeys,
        key: KeyChord,
        now: Millis,
    ) -> Lookup {
        pending.expire(now);
        if pending.mode != Some(mode) {
            pending.clear();
        }
        if pending.keys.is_empty() {
            pending.since = now;
        }
        let Some(root) = self.tries.get(&mode) else {
            pending.clear();
            return Lookup::Unbound;
        };
        pending.keys.push(key);
        pending.mode = Some(mode);
        let mut node = root;
        for k in &pending.keys {
            match node.next.get(k) {
                Some(n) => node = n,
                None => {
                    let retry = pending.keys.len() > 1;
                    pending.clear();
                    return if retry {
                        self.resolve(mode, pending, key, now)
                    } else {
                        Lookup::Unbound
                    };
                }
            }
        }
        if let Some(c) = node.command {
            pending.clear();
            Lookup::Command(c)
        } else {
            Lookup::Pending
        }
    }

    /// Every binding of a mode, in file order.
    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        self.bindings.get(&mode).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The labels of the keys bound to a command in a mode (`["d"]`, `["g g", "Home"]`).
    pub fn keys_for(&self, mode: Mode, command: Command) -> Vec<String> {
        self.bindings(mode)
            .iter()
            .filter(|b| b.command == command)
            .map(|b| sequence_label(&b.keys))
            .collect()
    }

    /// The first key for a command, for the footer and the palette.
    pub fn key_for(&self, mode: Mode, command: Command) -> Option<String> {
        self.keys_for(mode, command).into_iter().next()
    }
}

/// Which commands mean something in a mode; binding anything else is a mistake.
pub fn allowed(mode: Mode, command: Command) -> bool {
    use Command::*;
    // Leaving is possible from anywhere.
    if command == Quit {
        return true;
    }
    match mode {
        Mode::Normal => !matches!(
            command,
            Confirm
                | NextField
                | PrevField
                | Toggle
                | Accept
                | Increase
                | Decrease
                | IncreaseMore
                | DecreaseMore
                | SteadyWeights
                | DeleteChar
                | Cancel
        ),
        Mode::Modal => matches!(
            command,
            Confirm
                | Accept
                | Cancel
                | NextField
                | PrevField
                | Toggle
                | MoveLeft
                | MoveRight
                | MoveUp
                | MoveDown
                | PageUp
                | PageDown
                | DeleteChar
        ),
        Mode::Palette => matches!(command, Accept | Cancel | MoveUp | MoveDown | DeleteChar),
        Mode::Filter => matches!(command, Accept | Cancel | DeleteChar),
        Mode::Editor => matches!(
            command,
            MoveUp
                | MoveDown
                | Increase
                | Decrease
                | IncreaseMore
                | DecreaseMore
                | SteadyWeights
                | Accept
                | Cancel
                | DeleteChar
        ),
        // The rollout pane is a picker-mode overlay: its controls are keys there; PgUp/PgDn
        // scroll the approvals pane's text (an artifact's plan).
        Mode::Picker => matches!(
            command,
            MoveUp
                | MoveDown
                | GoTop
                | GoBottom
                | Accept
                | Cancel
                | RolloutStart
                | RolloutPause
                | RolloutResume
                | RolloutRetry
                | RolloutSkip
                | RolloutTake
                | RolloutUngraceful
                | PageUp
                | PageDown
        ),
        Mode::Help => matches!(
            command,
            MoveUp | MoveDown | PageUp | PageDown | GoTop | GoBottom | Cancel | Help | Quit
        ),
    }
}
