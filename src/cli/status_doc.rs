//! The `status --json` document, written straight to its output. The tenant matrix of a
//! 100-region x 1,000-tenant fleet is 100,000 cells (tens of MB of JSON): building it whole
//! as a `serde_json::Value` first took a second and 330 MB, so each cell is built, written
//! and dropped in turn, and the tenants are written by every core (`write_pretty`).

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

use super::status_argo;
use crate::fleet::{Fleet, Tenant};
use crate::state::{AppCondition, FleetState, HistoryEntry, TenantState, rfc3339};

/// The whole document: the small sections as values, and the tenant matrix, lazily.
pub struct StatusDoc<'a> {
    pub sections: Map<String, Value>,
    pub tenants: Tenants<'a>,
}

impl StatusDoc<'_> {
    /// Add (or replace) a top-level section, e.g. `api` or `check`.
    pub fn insert(&mut self, key: &str, value: Value) {
        self.sections.insert(key.to_string(), value);
    }
}

/// The document on one thread through serde: `write_pretty` writes the same bytes faster,
/// and its test compares the two.
#[cfg(test)]
impl Serialize for StatusDoc<'_> {
    /// Keys in sorted order, as a `Value` would print them, with `tenants` in its place.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.sections.len() + 1))?;
        let mut placed = false;
        for (k, v) in &self.sections {
            if !placed && k.as_str() > "tenants" {
                map.serialize_entry("tenants", &self.tenants)?;
                placed = true;
            }
            map.serialize_entry(k, v)?;
        }
        if !placed {
            map.serialize_entry("tenants", &self.tenants)?;
        }
        map.end()
    }
}

impl StatusDoc<'_> {
    /// Write the document as `serde_json::to_writer_pretty` would, byte for byte, with the
    /// tenant matrix serialised on every core: it is most of a big fleet's `status --json`
    /// (65 MB for 100 x 1,000), and one core spent 40 % of the command on it.
    pub fn write_pretty(&self, out: &mut impl Write) -> io::Result<()> {
        let mut placed = false;
        let mut first = true;
        let mut key = |out: &mut dyn Write, k: &str| -> io::Result<()> {
            out.write_all(if first { b"{\n  " } else { b",\n  " })?;
            first = false;
            serde_json::to_writer(&mut *out, k)?;
            out.write_all(b": ")
        };
        for (k, v) in &self.sections {
            if !placed && k.as_str() > "tenants" {
                key(out, "tenants")?;
                self.tenants.write_pretty(out)?;
                placed = true;
            }
            key(out, k)?;
            write_at(&mut *out, 1, v)?;
        }
        if !placed {
            key(out, "tenants")?;
            self.tenants.write_pretty(out)?;
        }
        out.write_all(b"\n}")
    }
}

/// Tenants serialised per chunk: small enough that the chunks in flight (threads x 2 x
/// about 1 MB on 100 regions) stay small, big enough that handing them out costs nothing.
const CHUNK_TENANTS: usize = 16;

impl Tenants<'_> {
    /// The `tenants` array at depth 1 of the document, pretty, chunks serialised in parallel
    /// a window at a time and written in order.
    fn write_pretty(&self, out: &mut dyn Write) -> io::Result<()> {
        let all = &self.fleet.tenants;
        if all.is_empty() {
            return out.write_all(b"[]");
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let chunks: Vec<(usize, &[Tenant])> = all
            .chunks(CHUNK_TENANTS)
            .enumerate()
            .map(|(i, c)| (i * CHUNK_TENANTS, c))
            .collect();
        out.write_all(b"[")?;
        for window in chunks.chunks(threads * 2) {
            let texts: Vec<io::Result<Vec<u8>>> = std::thread::scope(|scope| {
                let helpers: Vec<_> = (1..threads)
                    .map(|k| scope.spawn(move || self.texts(window, k, threads)))
                    .collect();
                let mine = self.texts(window, 0, threads);
                let mut theirs: Vec<_> = helpers
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect();
                // Back in window order: chunk j was made by thread j % threads.
                let mut per_thread: Vec<std::vec::IntoIter<_>> = std::iter::once(mine)
                    .chain(theirs.drain(..))
                    .map(Vec::into_iter)
                    .collect();
                (0..window.len())
                    .filter_map(|j| per_thread[j % threads].next())
                    .collect()
            });
            if texts.len() != window.len() {
                return Err(io::Error::other(
                    "a thread writing the tenants stopped early",
                ));
            }
            for text in texts {
                out.write_all(&text?)?;
            }
        }
        out.write_all(b"\n  ]")
    }

    /// The text of the window's chunks `k`, `k + step`, ...: each tenant as an array element
    /// at depth 2 (`,` before all but the fleet's first).
    fn texts(
        &self,
        window: &[(usize, &[Tenant])],
        k: usize,
        step: usize,
    ) -> Vec<io::Result<Vec<u8>>> {
        window
            .iter()
            .skip(k)
            .step_by(step)
            .map(|&(start, tenants)| {
                let mut text = Vec::with_capacity(tenants.len() * 1024);
                for (i, t) in tenants.iter().enumerate() {
                    text.extend_from_slice(if start + i == 0 {
                        b"\n    "
                    } else {
                        b",\n    "
                    });
                    write_at(&mut text, 2, &self.doc(start + i, t))?;
                }
                Ok(text)
            })
            .collect()
    }

    fn doc<'b>(&'b self, i: usize, t: &'b Tenant) -> TenantDoc<'b> {
        let routed = self.fleet.tenant_routing.is_some();
        TenantDoc {
            environment: &t.environment,
            home: routed.then(|| self.state.homes().and_then(|h| h.home(&t.id))),
            home_problem: routed
                .then(|| crate::actions::homes::home_problem(self.fleet, self.state, &t.id)),
            id: &t.id,
            production: self.fleet.is_production(&t.environment),
            regions: Cells {
                tenant: t,
                state: self.state.tenant_at(i, &t.id),
                history: self.history,
            },
        }
    }
}

/// Write `value` as `serde_json::to_writer_pretty` would if it sat `depth` levels deep in
/// a document: the document is written in pieces, some on other threads.
fn write_at<W: Write>(out: W, depth: usize, value: &impl Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        Nested {
            depth,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// `serde_json::ser::PrettyFormatter` (two-space indent) starting `depth` levels in; its
/// own depth cannot be set.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        (0..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Every tenant of the fleet with its cells.
pub struct Tenants<'a> {
    pub fleet: &'a Fleet,
    pub state: &'a FleetState,
    /// Each cell's Argo CD and Helm history too (`status --json --history`): ten entries a
    /// cell made a 100 x 1,000 fleet's document 189 MB instead of about 60.
    pub history: bool,
}

#[cfg(test)]
impl Serialize for Tenants<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.fleet.tenants.len()))?;
        for (i, t) in self.fleet.tenants.iter().enumerate() {
            seq.serialize_element(&self.doc(i, t))?;
        }
        seq.end()
    }
}

/// Fields in sorted order, as the document has always printed them.
#[derive(serde::Serialize)]
struct TenantDoc<'a> {
    environment: &'a str,
    /// Fleets with `[tenant_routing]`: the region the routing layer sends the tenant to
    /// (null when the map has no entry or was not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    home: Option<Option<&'a str>>,
    /// Why that home does not fit the fleet (its app missing, OutOfSync or down there).
    #[serde(skip_serializing_if = "Option::is_none")]
    home_problem: Option<Option<String>>,
    id: &'a str,
    production: bool,
    regions: Cells<'a>,
}

struct Cells<'a> {
    tenant: &'a Tenant,
    state: Option<&'a TenantState>,
    history: bool,
}

impl Serialize for Cells<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.tenant;
        let mut seq = s.serialize_seq(Some(t.regions.len()))?;
        for (i, region) in t.regions.iter().enumerate() {
            seq.serialize_element(&Cell {
                tenant: t,
                state: self.state,
                index: i,
                region,
                history: self.history,
            })?;
        }
        seq.end()
    }
}

/// One tenant cell: the app in that region (and the Helm release, for Helm tenants),
/// written field by field in sorted order. A `Value` per cell spent most of a big fleet's
/// `status --json` in map inserts and frees.
struct Cell<'a> {
    tenant: &'a Tenant,
    state: Option<&'a TenantState>,
    index: usize,
    region: &'a str,
    history: bool,
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (t, region) = (self.tenant, self.region);
        let o = self.state.and_then(|ts| ts.app_at(self.index, region));
        let app = o.and_then(|o| o.value.as_ref());
        let mut m = s.serialize_map(None)?;
        match app {
            // The name the provider read it by, else the configured one.
            Some(a) => m.serialize_entry("app", &a.name)?,
            None => m.serialize_entry("app", &t.argo_app_in(region))?,
        }
        if let Some(a) = app {
            m.serialize_entry("applicationset", &a.detail.owner.as_ref().map(|o| &o.name))?;
        }
        m.serialize_entry("auto_sync", &app.map(|a| a.auto_sync))?;
        if let Some(a) = app {
            m.serialize_entry("conditions", &Conditions(&a.detail.conditions))?;
        }
        m.serialize_entry("error", &o.and_then(|o| o.error.as_ref()))?;
        if let Some(a) = app {
            m.serialize_entry("head", &a.head)?;
        }
        m.serialize_entry(
            "health",
            app.map(|a| a.health.as_str()).unwrap_or("Unknown"),
        )?;
        if t.helm.is_some() {
            let r = self.state.and_then(|ts| ts.release(region));
            m.serialize_entry("helm", &status_argo::helm_json(t, r, self.history))?;
        }
        if let Some(a) = app {
            if self.history {
                m.serialize_entry("history", &History(&a.history))?;
            }
            m.serialize_entry("history_id", &a.history_id())?;
        }
        m.serialize_entry("message", &app.and_then(|a| a.message.as_ref()))?;
        m.serialize_entry("observed_at", &o.and_then(|o| o.at).map(rfc3339))?;
        if let Some(a) = app {
            m.serialize_entry(
                "operation",
                &a.detail
                    .operation
                    .as_deref()
                    .map(status_argo::operation_json),
            )?;
            m.serialize_entry("paused_auto_sync", &a.detail.paused)?;
            m.serialize_entry("project", &a.detail.project)?;
            m.serialize_entry("prune", &a.prune)?;
        }
        m.serialize_entry("region", region)?;
        m.serialize_entry("revision", &app.map(|a| &*a.revision))?;
        if let Some(a) = app {
            m.serialize_entry("self_heal", &a.self_heal)?;
        }
        m.serialize_entry("sync", app.map(|a| a.sync.as_str()).unwrap_or("Unknown"))?;
        m.end()
    }
}

/// An app's Argo CD history, oldest first.
struct History<'a>(&'a [HistoryEntry]);

impl Serialize for History<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|h| {
            json!({"id": h.id, "revision": h.revision, "deployed_at": rfc3339(h.deployed_at),
                   "source": h.source, "initiated_by": h.initiated_by})
        }))
    }
}

/// `status.conditions`, as `{type, message}`.
struct Conditions<'a>(&'a [AppCondition]);

impl Serialize for Conditions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|c| json!({"type": c.kind, "message": c.message})),
        )
    }
}

#[cfg(test)]
mod tests {
    /// The parallel writer must print exactly what serde's pretty printer prints, for a fleet
    /// big enough to need several windows of chunks, with and without history, and for one
    /// without tenants.
    #[test]
    fn the_parallel_writer_prints_what_serde_prints() {
        for (regions, tenants) in [(3, 150), (2, 1), (2, 0)] {
            let (fleet, mut state) =
                crate::synthetic::synthetic(regions, tenants).expect("synthetic fleet");
            if let Some(cell) = state.tenants.first_mut().and_then(|t| t.apps.first_mut()) {
                cell.1.error = Some("read failed:\n\"quoted\"\ttab".into());
            }
            for history in [false, true] {
                let mut doc = crate::cli::status::to_json(&fleet, &state, None, false);
                doc.tenants.history = history;
                doc.insert(
                    "zz_last",
                    serde_json::json!({"a": [1, {"b": null}], "c": {}}),
                );
                let want = serde_json::to_string_pretty(&doc).expect("serde");
                let mut got = Vec::new();
                doc.write_pretty(&mut got).expect("write");
                let got = String::from_utf8(got).expect("utf-8");
                assert!(
                    got == want,
                    "{regions} x {tenants}, history {history}: differs at byte {}",
                    got.bytes()
                        .zip(want.bytes())
                        .take_while(|(a, b)| a == b)
                        .count()
                );
            }
        }
    }
}
