//! The recording on disk: JSON lines in segments (`rec-<start ms>-<pid>.jsonl`) in the
//! fleet's state directory, each starting with every fact so it can be read alone, bounded
//! by total size and by age (older segments are removed whole when a new one starts).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::facts::{AppFact, Facts, app_key};
use super::touched::Touched;
use crate::actions::findings::Finding;
use meridian_model::fleet::Fleet;
use meridian_model::state::{FleetState, Millis};

/// How often traffic shares and lag are sampled for the report's charts (and at once when a
/// share changes).
pub const SAMPLE_EVERY: Millis = 30_000;

/// How much recording is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// All segments together.
    pub max_bytes: u64,
    /// A segment is closed past this size and a new one started.
    pub segment_bytes: u64,
    /// Segments whose every record is older than this are removed.
    pub max_age: Millis,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 64 << 20,
            segment_bytes: 4 << 20,
            max_age: 7 * 24 * 3_600_000,
        }
    }
}

/// One line of the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Record {
    /// A recorder (re)started or a segment began: every fact as it stands.
    Start {
        t: Millis,
        fleet: String,
        by: String,
        facts: Facts,
    },
    /// One fact changed (`to` absent: it is gone, e.g. a finding cleared).
    Change {
        t: Millis,
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Words for a person: a finding's title, a region's health reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Traffic shares (0..1) and replica lag (seconds) per region, for the charts.
    Sample {
        t: Millis,
        share: BTreeMap<String, f64>,
        lag: BTreeMap<String, f64>,
    },
}

impl Record {
    pub fn t(&self) -> Millis {
        match self {
            Record::Start { t, .. } | Record::Change { t, .. } | Record::Sample { t, .. } => *t,
        }
    }
}

/// `dir/recording`, beside the audit log.
pub fn dir_in(state_dir: &Path) -> PathBuf {
    state_dir.join("recording")
}

struct Segment {
    path: PathBuf,
    file: std::fs::File,
    bytes: u64,
    /// The bytes of its start record (every fact), which do not count towards the
    /// segment's size: on a large fleet that record alone can pass `segment_bytes`, and
    /// counting it would start a new segment, every fact again, on every reading.
    start: u64,
}

/// Writes what a dashboard or `meridian watch` observes, as changes.
pub struct Recorder {
    dir: PathBuf,
    limits: Limits,
    fleet: String,
    by: String,
    /// The last reading's board facts (regions, findings).
    last: Option<Facts>,
    /// The last reading's apps, per tenant and region in the fleet's order: most of the
    /// facts on a large fleet, so they are compared cell by cell without formatting.
    apps: Vec<Vec<Option<AppFact>>>,
    sampled: Option<(Millis, BTreeMap<String, f64>)>,
    segment: Option<Segment>,
}

impl Recorder {
    pub fn new(dir: PathBuf, fleet: &str, by: &str, limits: Limits) -> Recorder {
        Recorder {
            dir,
            limits,
            fleet: fleet.to_string(),
            by: by.to_string(),
            last: None,
            apps: Vec::new(),
            sampled: None,
            segment: None,
        }
    }

    /// Record a reading: what changed since the last one, and a sample when one is due.
    /// Every app is compared (a one-shot, or a caller that does not track what it merged).
    /// Returns the records written.
    pub fn observe(
        &mut self,
        fleet: &Fleet,
        state: &FleetState,
        findings: &[Finding],
        now: Millis,
    ) -> std::io::Result<Vec<Record>> {
        self.observe_touched(fleet, state, findings, &Touched::everything(), now)
    }

    /// Record a reading whose apps changed only in the `touched` cells since the last
    /// record: only those are compared. The regions' and findings' facts (a few per
    /// region) are compared whole. Returns the records written.
    pub fn observe_touched(
        &mut self,
        fleet: &Fleet,
        state: &FleetState,
        findings: &[Finding],
        touched: &Touched,
        now: Millis,
    ) -> std::io::Result<Vec<Record>> {
        let board = Facts::board(fleet, state, findings);
        let last = self.last.take();
        let mut out = Vec::new();
        let fresh_segment = self
            .segment
            .as_ref()
            .is_none_or(|s| s.bytes.saturating_sub(s.start) >= self.limits.segment_bytes);
        let app_changes = self.compare_apps(fleet, state, touched);
        if fresh_segment || last.is_none() {
            self.start_segment(now)?;
            let mut facts = board.clone();
            facts.0.extend(Facts::apps(fleet, state).0);
            out.push(Record::Start {
                t: now,
                fleet: self.fleet.clone(),
                by: self.by.clone(),
                facts,
            });
        } else if let Some(last_board) = &last {
            let board_changes = last_board.changes(&board).into_iter().map(|(k, from, to)| {
                (
                    k.to_string(),
                    from.map(str::to_string),
                    to.map(str::to_string),
                )
            });
            for (key, from, to) in board_changes.chain(app_changes) {
                let note = note(&key, to.is_some(), state, findings);
                out.push(Record::Change {
                    t: now,
                    key,
                    from,
                    to,
                    note,
                });
            }
        }
        let (share, lag) = sample(fleet, state);
        // A lag crossing a band is sampled at once too, so the numbers agree with it.
        let lag_moved = out
            .iter()
            .any(|r| matches!(r, Record::Change { key, .. } if key.starts_with("lag/")));
        let due = match &self.sampled {
            None => true,
            Some((t, before)) => {
                now - t >= SAMPLE_EVERY || now < *t || *before != share || lag_moved
            }
        };
        if due {
            self.sampled = Some((now, share.clone()));
            out.push(Record::Sample { t: now, share, lag });
        }
        self.last = Some(board);
        self.write(&out)?;
        Ok(out)
    }

    /// The apps that changed since the last reading, as (key, before, after), and the
    /// remembered apps brought up to date. Only the touched cells are compared (every cell
    /// the first time, or when the remembered apps no longer fit the fleet), and only a
    /// changed app is formatted.
    fn compare_apps(
        &mut self,
        fleet: &Fleet,
        state: &FleetState,
        touched: &Touched,
    ) -> Vec<(String, Option<String>, Option<String>)> {
        let mut changes = Vec::new();
        let fits = self.apps.len() == fleet.tenants.len()
            && self
                .apps
                .iter()
                .zip(&fleet.tenants)
                .all(|(cells, t)| cells.len() == t.regions.len());
        if touched.is_all() || !fits {
            self.apps.resize_with(fleet.tenants.len(), Vec::new);
            for (ti, t) in fleet.tenants.iter().enumerate() {
                self.apps[ti].resize_with(t.regions.len(), || None);
                for ci in 0..t.regions.len() {
                    self.compare_app(fleet, state, ti, ci, &mut changes);
                }
            }
        } else {
            for (ti, ci) in touched.cells() {
                self.compare_app(fleet, state, ti, ci, &mut changes);
            }
        }
        changes
    }

    /// One cell against what was last recorded of it (a cell the fleet does not have is
    /// skipped).
    fn compare_app(
        &mut self,
        fleet: &Fleet,
        state: &FleetState,
        ti: usize,
        ci: usize,
        changes: &mut Vec<(String, Option<String>, Option<String>)>,
    ) {
        let Some(t) = fleet.tenants.get(ti) else {
            return;
        };
        let (Some(region), Some(cell)) = (
            t.regions.get(ci),
            self.apps.get_mut(ti).and_then(|c| c.get_mut(ci)),
        ) else {
            return;
        };
        let now = AppFact::at(state, ti, &t.id, ci, region);
        let same = match (&*cell, &now) {
            (Some(a), Some(b)) => a.same(b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            changes.push((
                app_key(&t.id, region),
                cell.as_ref().map(AppFact::text),
                now.as_ref().map(AppFact::text),
            ));
            *cell = now;
        }
    }

    fn start_segment(&mut self, now: Millis) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self
            .dir
            .join(format!("rec-{now:015}-{}.jsonl", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.segment = Some(Segment {
            path,
            file,
            bytes,
            start: 0,
        });
        prune(&self.dir, &self.limits, now)?;
        Ok(())
    }

    fn write(&mut self, records: &[Record]) -> std::io::Result<()> {
        let Some(seg) = self.segment.as_mut() else {
            return Ok(());
        };
        let mut buf = Vec::new();
        for r in records {
            let before = buf.len();
            serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
            buf.push(b'\n');
            if matches!(r, Record::Start { .. }) {
                seg.start += (buf.len() - before) as u64;
            }
        }
        seg.file.write_all(&buf)?;
        seg.bytes += buf.len() as u64;
        Ok(())
    }

    /// The segment being written.
    pub fn segment(&self) -> Option<&Path> {
        self.segment.as_ref().map(|s| s.path.as_path())
    }
}

fn note(key: &str, present: bool, state: &FleetState, findings: &[Finding]) -> Option<String> {
    if let Some(id) = key.strip_prefix("finding/") {
        return present
            .then(|| {
                findings
                    .iter()
                    .find(|f| f.id == id)
                    .map(|f| f.title.clone())
            })
            .flatten();
    }
    let region = key.strip_prefix("health/")?;
    let reason = &state.region(region)?.health.value.as_ref()?.reason;
    (!reason.is_empty()).then(|| reason.clone())
}

/// Traffic share and lag per region, now.
pub fn sample(fleet: &Fleet, state: &FleetState) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut share = BTreeMap::new();
    let mut lag = BTreeMap::new();
    for r in &fleet.regions {
        if let Some(s) = state.traffic_share(&r.id) {
            share.insert(r.id.clone(), (s * 1000.0).round() / 1000.0);
        }
        if let Some(l) = state
            .region(&r.id)
            .filter(|s| s.lag.error.is_none())
            .and_then(|s| s.lag.value)
        {
            lag.insert(r.id.clone(), (l * 10.0).round() / 10.0);
        }
    }
    (share, lag)
}

/// The segments, oldest first, with the time each starts.
fn segments(dir: &Path) -> Vec<(Millis, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(Millis, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let start = name
                .strip_prefix("rec-")?
                .strip_suffix(".jsonl")?
                .split('-')
                .next()?
                .parse()
                .ok()?;
            Some((start, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// Remove whole segments: those that ended before `now - max_age` (a segment ends where
/// the next begins), then the oldest while all together exceed `max_bytes`. The newest
/// segment is never removed.
pub fn prune(dir: &Path, limits: &Limits, now: Millis) -> std::io::Result<()> {
    let segs = segments(dir);
    let cutoff = now - limits.max_age;
    let mut kept = Vec::new();
    for (i, (_, path)) in segs.iter().enumerate() {
        let ended = segs.get(i + 1).map(|(start, _)| *start);
        match ended {
            Some(end) if end < cutoff => std::fs::remove_file(path)?,
            _ => kept.push(path.clone()),
        }
    }
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut total: u64 = kept.iter().map(size).sum();
    let mut i = 0;
    while total > limits.max_bytes && i + 1 < kept.len() {
        total -= size(&kept[i]);
        std::fs::remove_file(&kept[i])?;
        i += 1;
    }
    Ok(())
}

/// Every record between `from` and `to` (inclusive), oldest first, with the facts as they
/// stood at `from` (a Start made of what was recorded before it). A damaged line (a crash
/// mid-write) is skipped.
pub fn load(dir: &Path, from: Millis, to: Millis) -> (Facts, Vec<Record>) {
    let mut all = Vec::new();
    for (_, path) in segments(dir) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        all.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<Record>(l).ok()),
        );
    }
    all.sort_by_key(Record::t);
    let mut at_from = Facts::default();
    let mut out = Vec::new();
    for r in all {
        if r.t() < from {
            apply(&mut at_from, &r);
        } else if r.t() <= to {
            out.push(r);
        }
    }
    (at_from, out)
}

/// The facts after a record.
pub fn apply(facts: &mut Facts, r: &Record) {
    match r {
        Record::Start { facts: f, .. } => *facts = f.clone(),
        Record::Change { key, to, .. } => match to {
            Some(v) => {
                facts.0.insert(key.clone(), v.clone());
            }
            None => {
                facts.0.remove(key);
            }
        },
        Record::Sample { .. } => {}
    }
}
