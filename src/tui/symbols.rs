//! Symbols and words for every state, with the role that colours them. Meaning is carried
//! by the symbol and the word; colour only repeats it.

use crate::actions::Verdict;
use crate::state::{AppHealth, HealthStatus, PhaseStatus, SyncStatus};

use super::theme::Role;

/// How to show one state: a one-cell symbol, a word, and a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub symbol: &'static str,
    pub word: &'static str,
    pub role: Role,
}

const fn look(symbol: &'static str, word: &'static str, role: Role) -> Look {
    Look { symbol, word, role }
}

pub fn health(h: HealthStatus) -> Look {
    match h {
        HealthStatus::Healthy => look("✓", "healthy", Role::Ok),
        HealthStatus::Degraded => look("▲", "degraded", Role::Warn),
        HealthStatus::Down => look("✗", "down", Role::Danger),
        HealthStatus::Unknown => look("?", "unknown", Role::Muted),
    }
}

pub fn sync(s: SyncStatus) -> Look {
    match s {
        SyncStatus::Synced => look("✓", "Synced", Role::Ok),
        SyncStatus::OutOfSync => look("≠", "OutOfSync", Role::Warn),
        SyncStatus::Unknown => look("?", "Unknown", Role::Muted),
    }
}

pub fn app_health(h: AppHealth) -> Look {
    match h {
        AppHealth::Healthy => look("♥", "Healthy", Role::Ok),
        AppHealth::Progressing => look("◐", "Progressing", Role::Info),
        AppHealth::Degraded => look("✗", "Degraded", Role::Danger),
        AppHealth::Suspended => look("‖", "Suspended", Role::Warn),
        AppHealth::Missing => look("∅", "Missing", Role::Danger),
        AppHealth::Unknown => look("?", "Unknown", Role::Muted),
    }
}

pub fn phase(p: PhaseStatus) -> Look {
    match p {
        PhaseStatus::Pending => look("·", "pending", Role::Muted),
        PhaseStatus::Running => look("▶", "running", Role::Info),
        PhaseStatus::Succeeded => look("✓", "done", Role::Ok),
        PhaseStatus::Failed => look("✗", "failed", Role::Danger),
        PhaseStatus::Interrupted => look("⚠", "interrupted", Role::Warn),
    }
}

pub fn verdict(v: Verdict, overridden: bool) -> Look {
    match (v, overridden) {
        (Verdict::Block, true) => look("⚑", "OVERRIDDEN", Role::Warn),
        (Verdict::Pass, _) => look("✓", "PASS", Role::Ok),
        (Verdict::Warn, _) => look("!", "WARN", Role::Warn),
        (Verdict::Block, false) => look("✗", "BLOCK", Role::Danger),
    }
}

/// A horizontal bar of `width` cells filled to `fraction` (eighths for smoothness).
pub fn bar(fraction: f64, width: usize) -> (String, String) {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (f * width as f64 * 8.0).round() as usize;
    let full = eighths / 8;
    let part = eighths % 8;
    let mut filled = "█".repeat(full.min(width));
    let mut used = full.min(width);
    if part > 0 && used < width {
        filled.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][part - 1]);
        used += 1;
    }
    (filled, "░".repeat(width - used))
}

/// A sparkline of lag samples against a ceiling (the RPO budget): samples at or over the
/// budget show as `!` so the breach is visible without colour.
pub fn sparkline(samples: &[Option<f64>], ceiling: f64, width: usize) -> Vec<(char, bool)> {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let start = samples.len().saturating_sub(width);
    let mut out: Vec<(char, bool)> = samples[start..]
        .iter()
        .map(|s| match s {
            None => ('·', false),
            Some(v) if *v >= ceiling => ('!', true),
            Some(v) => {
                let i = ((v / ceiling.max(f64::EPSILON)) * 8.0).floor() as usize;
                (LEVELS[i.min(7)], false)
            }
        })
        .collect();
    while out.len() < width {
        out.insert(0, (' ', false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_their_width() {
        let (a, b) = bar(0.5, 10);
        assert_eq!(a.chars().count() + b.chars().count(), 10);
        assert_eq!(bar(1.0, 4).0, "████");
        assert_eq!(bar(0.0, 4).1, "░░░░");
    }

    #[test]
    fn sparkline_marks_budget_breaches() {
        let s = sparkline(&[Some(1.0), None, Some(90.0)], 60.0, 5);
        assert_eq!(s.len(), 5);
        assert_eq!(s[4], ('!', true));
        assert_eq!(s[3].0, '·');
    }
}
