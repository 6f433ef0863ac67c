//! Fixed worlds for tests, screenshots and benchmarks: the demo fleet frozen at a fixed
//! moment, a synthetic fleet of any size, and helpers to drive and render an `App`
//! without a terminal.

use std::sync::atomic::{AtomicUsize, Ordering};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::app::{App, Effect, Msg};
use super::keymap::{self, KeyChord, KeyCodeKey};
use super::theme;
use crate::engine::poll;
use crate::fleet::{self, Fleet};
use crate::providers::sim::SimOptions;
use crate::providers::{ProviderOptions, Providers};
use crate::state::{FleetState, Millis};

/// The moment fixed worlds are observed at: 2026-01-15 03:00:00 UTC.
pub use crate::synthetic::FIXED_NOW;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The demo fleet, read once from a frozen simulated world (seeded), with every timestamp
/// moved so the snapshot was taken at `FIXED_NOW`.
pub fn demo_state(seed: u64) -> Result<(Fleet, FleetState), String> {
    let fleet = fleet::demo();
    let dir = std::env::temp_dir().join(format!(
        "meridian-fixture-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let providers = Providers::build(
        &fleet,
        &dir,
        &ProviderOptions {
            sim: SimOptions {
                speed: 0.0,
                seed: Some(seed),
            },
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let state = rt.block_on(poll(&fleet, &providers, None));
    let _ = std::fs::remove_dir_all(&dir);
    Ok((fleet, pin(state, FIXED_NOW)))
}

/// Shift every timestamp so the snapshot reads as taken at `now`.
pub fn pin(mut s: FleetState, now: Millis) -> FleetState {
    let d = now - s.observed_at;
    // The simulated world is created a moment before it is read, and how long a moment
    // depends on the machine: round shifted times to the minute so snapshots are stable.
    let round = |t: Millis| ((t + 30_000).div_euclid(60_000)) * 60_000;
    let shift = |t: &mut Option<Millis>| {
        if let Some(v) = t {
            *v = round(*v + d);
        }
    };
    s.observed_at = now;
    for r in &mut s.regions {
        // Ages are measured to the millisecond; round the shift out so "0s old" is stable.
        for at in [
            &mut r.role.at,
            &mut r.health.at,
            &mut r.weight.at,
            &mut r.lag.at,
            &mut r.phases.at,
        ] {
            if at.is_some() {
                *at = Some(now);
            }
        }
        if let Some(h) = &mut r.health.value {
            shift(&mut h.healthy_since);
        }
        for p in r.phases.value.iter_mut().flatten() {
            shift(&mut p.started_at);
            shift(&mut p.finished_at);
        }
    }
    for t in &mut s.tenants {
        for (_, a) in &mut t.apps {
            if a.at.is_some() {
                a.at = Some(now);
            }
            if let Some(v) = a.value.as_mut() {
                let shifted: Vec<_> = v
                    .history
                    .iter()
                    .map(|h| crate::state::HistoryEntry {
                        deployed_at: round(h.deployed_at + d),
                        ..h.clone()
                    })
                    .collect();
                v.history = shifted.into();
            }
        }
    }
    s
}

/// An app on the frozen demo fleet with an embedded theme and keymap.
pub fn demo_app(theme_name: &str, keymap_name: &str, read_only: bool) -> Result<App, String> {
    let (fleet, state) = demo_state(42)?;
    app_for(fleet, state, theme_name, keymap_name, read_only)
}

/// An app on any fleet and state.
pub fn app_for(
    fleet: Fleet,
    state: FleetState,
    theme_name: &str,
    keymap_name: &str,
    read_only: bool,
) -> Result<App, String> {
    let theme = theme::load_from_sources(theme_name, &[], false).map_err(|e| e.to_string())?;
    let keymap = keymap::load_from_sources(keymap_name, None).map_err(|e| e.to_string())?;
    let mut app = App::new(fleet, FleetState::default(), theme, keymap, read_only);
    app.update(Msg::Fleet(Box::new(state), None));
    app.now = FIXED_NOW;
    Ok(app)
}

pub use crate::synthetic::{synthetic, synthetic_fleet};

/// Send keys, spelled as in keymap files (`"d"`, `"tab"`, `"ctrl-c"`); text is typed one
/// character at a time when it is not a key name. Returns every effect.
pub fn press(app: &mut App, keys: &[&str]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for k in keys {
        let chords: Vec<KeyChord> = match KeyChord::parse(k) {
            Ok(c) => vec![c],
            Err(_) => k
                .chars()
                .map(|c| KeyChord::plain(KeyCodeKey::Char(c)))
                .collect(),
        };
        for c in chords {
            effects.extend(app.update(Msg::Key(to_event(c))));
        }
    }
    effects
}

/// Type text character by character (for reasons and names).
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))));
    }
    effects
}

fn to_event(c: KeyChord) -> KeyEvent {
    let mut mods = KeyModifiers::NONE;
    if c.ctrl {
        mods |= KeyModifiers::CONTROL;
    }
    if c.alt {
        mods |= KeyModifiers::ALT;
    }
    let code = match c.code {
        KeyCodeKey::Char(ch) => KeyCode::Char(ch),
        KeyCodeKey::F(n) => KeyCode::F(n),
        KeyCodeKey::Enter => KeyCode::Enter,
        KeyCodeKey::Esc => KeyCode::Esc,
        KeyCodeKey::Tab => KeyCode::Tab,
        KeyCodeKey::BackTab => KeyCode::BackTab,
        KeyCodeKey::Backspace => KeyCode::Backspace,
        KeyCodeKey::Delete => KeyCode::Delete,
        KeyCodeKey::Insert => KeyCode::Insert,
        KeyCodeKey::Up => KeyCode::Up,
        KeyCodeKey::Down => KeyCode::Down,
        KeyCodeKey::Left => KeyCode::Left,
        KeyCodeKey::Right => KeyCode::Right,
        KeyCodeKey::Home => KeyCode::Home,
        KeyCodeKey::End => KeyCode::End,
        KeyCodeKey::PageUp => KeyCode::PageUp,
        KeyCodeKey::PageDown => KeyCode::PageDown,
    };
    KeyEvent::new(code, mods)
}

/// Draw one frame of `app` into a `width` x `height` buffer.
pub fn render(app: &App, width: u16, height: u16) -> Buffer {
    let backend = TestBackend::new(width, height);
    match Terminal::new(backend) {
        Ok(mut term) => {
            let _ = term.draw(|f| super::view::draw(f, app));
            term.backend().buffer().clone()
        }
        Err(_) => Buffer::empty(ratatui::layout::Rect::new(0, 0, width, height)),
    }
}

/// The buffer's text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Where `needle` first appears: (x, y) in cells.
pub fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut xs = Vec::new();
        for x in 0..buf.area.width {
            let s = buf[(x, y)].symbol();
            for _ in s.chars() {
                xs.push(x);
            }
            line.push_str(s);
        }
        if let Some(i) = line.find(needle) {
            let ci = line[..i].chars().count();
            return xs.get(ci).map(|x| (*x, y));
        }
    }
    None
}
