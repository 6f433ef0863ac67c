//! The command palette: every command by name, fuzzy-matched, with its key.

use super::Outcome;
use crate::tui::command::Command;

/// The palette's state: what was typed and which match is selected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
}

/// One match: the command and its score (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaletteEntry {
    pub command: Command,
    pub score: i64,
}

/// Subsequence match with bonuses for word starts and runs; None when not all of
/// `query` appears in order.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    if query.is_empty() {
        return Some(0);
    }
    let cand: Vec<char> = candidate.to_lowercase().chars().collect();
    let mut score = 0i64;
    let mut pos = 0usize;
    let mut prev_hit: Option<usize> = None;
    for q in query.to_lowercase().chars().filter(|c| !c.is_whitespace()) {
        let found = (pos..cand.len()).find(|i| cand[*i] == q)?;
        score += 10;
        if found == 0 || matches!(cand[found - 1], '-' | ' ') {
            score += 15;
        }
        if prev_hit.is_some_and(|p| p + 1 == found) {
            score += 10;
        }
        score -= (found - pos) as i64;
        prev_hit = Some(found);
        pos = found + 1;
    }
    Some(score)
}

impl Palette {
    /// Matching commands, best first.
    pub fn matches(&self) -> Vec<PaletteEntry> {
        let mut out: Vec<PaletteEntry> = Command::ALL
            .iter()
            .copied()
            .filter(|c| c.in_palette())
            .filter_map(|c| {
                let by_name = fuzzy_score(&self.query, c.name()).map(|s| s + 20);
                let by_doc = fuzzy_score(&self.query, c.describe());
                by_name
                    .max(by_doc)
                    .map(|score| PaletteEntry { command: c, score })
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.command.name().cmp(b.command.name()))
        });
        out
    }

    pub fn command(&mut self, cmd: Command) -> Outcome {
        let n = self.matches().len();
        match cmd {
            Command::MoveUp => self.selected = self.selected.saturating_sub(1),
            Command::MoveDown => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Command::DeleteChar => {
                self.query.pop();
                self.selected = 0;
            }
            Command::Cancel => return Outcome::Close,
            Command::Accept => {
                // `deploy TENANT REGION --set k=v`: a command with arguments.
                if let Some(r) = super::palette_deploy::deploy_request(&self.query) {
                    return match r {
                        Ok(request) => Outcome::OpenPlan(Box::new(request)),
                        Err(why) => Outcome::Refused(why),
                    };
                }
                return match self.matches().get(self.selected) {
                    Some(e) => Outcome::Run(e.command),
                    None => Outcome::Stay,
                };
            }
            _ => {}
        }
        Outcome::Stay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_prefers_word_starts() {
        assert!(fuzzy_score("sw", "set-weights") > fuzzy_score("sw", "answer"));
        assert_eq!(fuzzy_score("xyz", "drain"), None);
        let p = Palette {
            query: "drn".into(),
            selected: 0,
        };
        assert_eq!(p.matches().first().map(|e| e.command), Some(Command::Drain));
    }
}
