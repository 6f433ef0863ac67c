//! The phase detail's view of a run's output, and stopping a running phase from the board.
//! Reading evidence files is I/O, so the app only asks for it (an effect) and the loop
//! hands the tail back (a message).

use std::path::Path;

use super::app::{App, Effect, Status};
use super::nav::Selection;
use crate::providers::shell::evidence::RunRecord;
use crate::providers::shell::output::sanitize;
use crate::state::PhaseStatus;

/// Lines of output the detail pane shows.
pub const TAIL_LINES: usize = 12;
/// Bytes read from the end of a step's output file.
const TAIL_BYTES: u64 = 16 * 1024;

/// The tail of a phase run's output, as last loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceTail {
    pub region: String,
    pub phase: String,
    /// What was loaded: the folder and the phase state it was loaded for.
    pub key: String,
    pub dir: String,
    /// Which step's output: `2. terraform apply (failed, exit 3)`.
    pub step: String,
    pub lines: Vec<String>,
}

impl App {
    /// Ask for the selected phase's latest output when it is not loaded yet, or the phase
    /// is running (its output grows).
    pub(super) fn evidence_effects(&self) -> Vec<Effect> {
        let Some(Selection::Phase { region, phase }) = self.selection() else {
            return Vec::new();
        };
        let Some(p) = self.state.region(&region).and_then(|r| r.phase(&phase)) else {
            return Vec::new();
        };
        let Some(dir) = p.evidence.clone() else {
            return Vec::new();
        };
        let key = format!(
            "{dir}|{}|{:?}|{}",
            p.state.as_str(),
            p.step_index,
            self.state.observed_at
        );
        let loaded = self
            .evidence
            .as_ref()
            .filter(|e| e.region == region && e.phase == phase);
        let stale = match loaded {
            None => true,
            Some(e) if p.state == PhaseStatus::Running => e.key != key,
            Some(e) => !e.key.starts_with(&format!("{dir}|{}|", p.state.as_str())),
        };
        if stale {
            vec![Effect::LoadEvidence {
                region,
                phase,
                dir,
                key,
            }]
        } else {
            Vec::new()
        }
    }

    /// The cancel key: the first press arms, the second (on the same phase) stops it.
    pub(super) fn cancel_phase(&mut self) -> Vec<Effect> {
        let target = match self.selection() {
            Some(Selection::Phase { region, phase }) => Some((region, phase)),
            _ => self.selected_region().and_then(|region| {
                let running = self
                    .state
                    .region(&region)?
                    .phases
                    .value
                    .as_ref()?
                    .iter()
                    .find(|p| p.state == PhaseStatus::Running)?
                    .id
                    .clone();
                Some((region, running))
            }),
        };
        let Some((region, phase)) = target else {
            self.status =
                Status::Info("select a running phase in the phase grid to stop it".into());
            return Vec::new();
        };
        let state = self
            .state
            .region(&region)
            .and_then(|r| r.phase(&phase))
            .map(|p| p.state);
        if state != Some(PhaseStatus::Running) {
            self.status = Status::Info(format!("{phase} is not running in {region}"));
            self.cancel_armed = None;
            return Vec::new();
        }
        if self.read_only {
            self.status = Status::Failed("read-only mode: nothing is changed".into());
            return Vec::new();
        }
        let target = (region.clone(), phase.clone());
        if self.cancel_armed.as_ref() == Some(&target) {
            self.cancel_armed = None;
            self.status = Status::Running(format!("stopping {phase} in {region}"));
            return vec![Effect::CancelPhase { region, phase }];
        }
        let key = self
            .keymap
            .key_for(
                super::command::Mode::Normal,
                super::command::Command::CancelPhase,
            )
            .unwrap_or_else(|| "the key".into());
        self.status = Status::Info(format!(
            "stop {phase} in {region}? Its step gets SIGTERM, then SIGKILL. Press {key} again to stop it"
        ));
        self.cancel_armed = Some(target);
        Vec::new()
    }
}

/// Read the tail of a run's most relevant step output: the running or failed one, else the
/// last that has output. Blocking file I/O: call it off the main loop.
pub fn load_tail(region: &str, phase: &str, dir: &str, key: String) -> EvidenceTail {
    let mut tail = EvidenceTail {
        region: region.into(),
        phase: phase.into(),
        key,
        dir: dir.into(),
        step: String::new(),
        lines: Vec::new(),
    };
    let record: Option<RunRecord> = std::fs::read_to_string(Path::new(dir).join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let Some(record) = record else {
        tail.lines
            .push("no run.json in the evidence folder yet".into());
        return tail;
    };
    let step = record
        .steps
        .iter()
        .find(|s| {
            matches!(
                s.status.as_str(),
                "running" | "failed" | "timed-out" | "cancelled"
            )
        })
        .or_else(|| record.steps.iter().rev().find(|s| s.output.is_some()));
    let Some(step) = step else { return tail };
    let code = step
        .exit_code
        .map(|c| format!(", exit {c}"))
        .unwrap_or_default();
    tail.step = format!("{}. {} ({}{code})", step.index, step.name, step.status);
    let Some(file) = step.output.as_ref().or(step.check_output.as_ref()) else {
        return tail;
    };
    tail.lines = read_tail(&Path::new(dir).join(file));
    tail
}

fn read_tail(path: &Path) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return vec![format!("cannot read {}", path.display())];
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)));
    let mut buf = Vec::new();
    let _ = f.take(TAIL_BYTES).read_to_end(&mut buf);
    let mut lines: Vec<&[u8]> = buf
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    if len > TAIL_BYTES && !lines.is_empty() {
        lines.remove(0);
    }
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| {
            // `TIME tag text`: the time of day and the text are what a person reads.
            let mut parts = l.splitn(3, |b| *b == b' ');
            let time = parts
                .next()
                .map(|t| String::from_utf8_lossy(t).to_string())
                .unwrap_or_default();
            let tag = parts.next().unwrap_or_default();
            let text = parts.next().unwrap_or_default();
            let clock = time.get(11..19).unwrap_or("");
            let mark = if tag == b"err" { "!" } else { " " };
            format!("{clock}{mark}{}", sanitize(text, 200))
        })
        .collect()
}
