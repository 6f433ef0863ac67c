//! The report as Markdown (for the postmortem document) and as one self-contained HTML page
//! with the traffic shares and replica lag over time drawn as inline SVG.

use std::fmt::Write;

use super::report::{Measured, Report, Series};
use meridian_model::state::{Millis, rfc3339, short_age};

fn at(t: Millis) -> String {
    rfc3339(t)
}

fn dur(ms: Option<Millis>) -> String {
    ms.map(short_age).unwrap_or_else(|| "-".into())
}

fn measured(m: &Measured) -> String {
    let verdict = match m.within {
        Some(true) => "within",
        Some(false) => "OVER",
        None => "not measured",
    };
    format!(
        "{} against {} ({verdict}): {}",
        dur(m.measured_ms),
        short_age(m.budget_ms),
        m.how
    )
}

/// The milestones and durations as (label, value) rows, shared by both formats.
fn summary(r: &Report) -> Vec<(&'static str, String)> {
    let moment = |m: &Option<super::report::Moment>| match m {
        Some(m) => format!("{} — {}", at(m.t), m.what),
        None => "-".into(),
    };
    vec![
        ("First sign of trouble", moment(&r.first_sign)),
        ("Detected (first finding)", moment(&r.detected)),
        ("First action", moment(&r.first_action)),
        ("Recovered", moment(&r.recovered)),
        ("Sign -> detected", dur(r.durations.sign_to_detected_ms)),
        (
            "Detected -> first action",
            dur(r.durations.detected_to_first_action_ms),
        ),
        (
            "First action -> recovered",
            dur(r.durations.first_action_to_recovered_ms),
        ),
        ("Recovery time (RTO)", measured(&r.rto)),
        ("Data at promotion (RPO)", measured(&r.rpo)),
    ]
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Incident report: fleet {}\n\n{} to {}\n",
        r.fleet,
        at(r.from),
        at(r.to)
    );
    if !r.recorded {
        let _ = writeln!(
            s,
            "> Nothing was recorded in this window: run the dashboard or `meridian watch` to record.\n"
        );
    }
    let _ = writeln!(s, "## Summary\n\n| | |\n|---|---|");
    for (k, v) in summary(r) {
        let _ = writeln!(s, "| {k} | {} |", v.replace('|', "\\|"));
    }
    let _ = writeln!(s, "\n## Actions\n");
    if r.actions.is_empty() {
        let _ = writeln!(s, "No action through meridian in this window.");
    }
    for a in &r.actions {
        let _ = writeln!(
            s,
            "- **{}** {} {} by {} — **{}**{}",
            at(a.t),
            a.action,
            a.target,
            a.who,
            a.outcome,
            a.detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
        let _ = writeln!(s, "  - plan: {}", a.summary);
        for c in &a.changes {
            let _ = writeln!(s, "    - {c}");
        }
        if let Some(reason) = &a.reason {
            let _ = writeln!(s, "  - reason: {reason}");
        }
        if let Some(by) = &a.approved_by {
            let _ = writeln!(s, "  - approved by: {by}");
        }
        if !a.overrides.is_empty() {
            let _ = writeln!(s, "  - overrides: {}", a.overrides.join(", "));
        }
        let _ = writeln!(s, "  - command: `{}` (audit id {})", a.command, a.id);
    }
    let _ = writeln!(s, "\n## Traffic moved\n");
    if r.traffic_moved.is_empty() {
        let _ = writeln!(s, "No change of traffic recorded.");
    }
    for m in &r.traffic_moved {
        let _ = writeln!(s, "- {} {}", at(m.t), m.what);
    }
    let _ = writeln!(s, "\n## Data promoted\n");
    if r.data_promoted.is_empty() {
        let _ = writeln!(s, "No database promoted.");
    }
    for m in &r.data_promoted {
        let _ = writeln!(s, "- {} {}", at(m.t), m.what);
    }
    let _ = writeln!(s, "\n## Timeline\n");
    for e in &r.timeline {
        let _ = writeln!(s, "- `{}` {} — {}", at(e.t), e.kind, e.text);
    }
    let _ = writeln!(s, "\n## Evidence\n");
    for e in &r.evidence {
        let _ = writeln!(s, "- {e}");
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLOURS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// A line chart of one series per region, as SVG, with a legend and the y range.
pub fn chart(
    title: &str,
    unit: &str,
    series: &Series,
    from: Millis,
    to: Millis,
    budget: Option<f64>,
) -> String {
    let (w, h, left, top) = (720.0, 220.0, 50.0, 24.0);
    let (pw, ph) = (w - left - 140.0, h - top - 30.0);
    let max = series
        .values()
        .flatten()
        .map(|(_, v)| *v)
        .chain(budget)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let span = (to - from).max(1) as f64;
    let x = |t: Millis| left + (t - from) as f64 / span * pw;
    let y = |v: f64| top + ph - v / max * ph;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{}</text>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#888\"/>\
         <text x=\"4\" y=\"{}\" font-size=\"11\">{max:.1}{unit}</text>\
         <text x=\"4\" y=\"{}\" font-size=\"11\">0</text>\
         <text x=\"{left}\" y=\"{}\" font-size=\"11\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        esc(title),
        top + ph,
        left + pw,
        top + ph,
        top + ph,
        top + 10.0,
        top + ph,
        top + ph + 16.0,
        esc(&at(from)),
        left + pw,
        top + ph + 16.0,
        esc(&at(to)),
    );
    if let Some(b) = budget {
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{1:.1}\" y=\"{0:.1}\" font-size=\"10\" fill=\"#d62728\">budget</text>",
            y(b),
            left + pw
        );
    }
    for (i, (region, points)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        // Steps, not slopes: a value holds until the next sample says otherwise (a drain
        // moves traffic at once).
        let mut pts: Vec<String> = Vec::new();
        for (i, (t, v)) in points.iter().enumerate() {
            if let Some((_, before)) = i.checked_sub(1).and_then(|j| points.get(j)) {
                pts.push(format!("{:.1},{:.1}", x(*t), y(*before)));
            }
            pts.push(format!("{:.1},{:.1}", x(*t), y(*v)));
        }
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>",
            pts.join(" "),
            left + pw + 10.0,
            top + 12.0 + 14.0 * i as f64,
            esc(region)
        );
    }
    s.push_str("</svg>");
    s
}

pub fn html(r: &Report, rpo_budget_s: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Incident report: {0}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}}\
         code{{background:#f4f4f4;padding:0 .2rem}}.over{{color:#b00;font-weight:bold}}</style></head><body>\
         <h1>Incident report: fleet {0}</h1><p>{1} to {2}</p>",
        esc(&r.fleet),
        esc(&at(r.from)),
        esc(&at(r.to))
    );
    if !r.recorded {
        s.push_str("<p class=\"over\">Nothing was recorded in this window: run the dashboard or <code>meridian watch</code> to record.</p>");
    }
    s.push_str("<h2>Summary</h2><table>");
    for (k, v) in summary(r) {
        let class = if v.contains("(OVER)") {
            " class=\"over\""
        } else {
            ""
        };
        let _ = write!(s, "<tr><th>{}</th><td{class}>{}</td></tr>", esc(k), esc(&v));
    }
    s.push_str("</table><h2>Traffic and lag</h2>");
    let shares: Series = r
        .share
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().map(|(t, x)| (*t, x * 100.0)).collect()))
        .collect();
    // Over what was recorded, not the whole window: a drill of two minutes in a two-hour
    // window would be a line at the edge.
    let times = || {
        r.share
            .values()
            .chain(r.lag.values())
            .flatten()
            .map(|(t, _)| *t)
    };
    let (lo, hi) = match (times().min(), times().max()) {
        (Some(lo), Some(hi)) if hi > lo => (lo, hi),
        _ => (r.from, r.to),
    };
    s.push_str(&chart(
        "Traffic share per region",
        "%",
        &shares,
        lo,
        hi,
        None,
    ));
    s.push_str(&chart(
        "Replica lag per region",
        "s",
        &r.lag,
        lo,
        hi,
        Some(rpo_budget_s),
    ));
    s.push_str("<h2>Actions</h2>");
    if r.actions.is_empty() {
        s.push_str("<p>No action through meridian in this window.</p>");
    }
    for a in &r.actions {
        let _ = write!(
            s,
            "<h3>{} {} — {}</h3><p>{} by {}{}{}</p><ul>",
            esc(&a.action),
            esc(&a.target),
            esc(&a.outcome),
            esc(&at(a.t)),
            esc(&a.who),
            a.reason
                .as_ref()
                .map(|x| format!(", reason {}", esc(x)))
                .unwrap_or_default(),
            a.approved_by
                .as_ref()
                .map(|x| format!(", approved by {}", esc(x)))
                .unwrap_or_default()
        );
        let _ = write!(s, "<li>plan: {}</li>", esc(&a.summary));
        for c in &a.changes {
            let _ = write!(s, "<li>{}</li>", esc(c));
        }
        let _ = write!(
            s,
            "<li><code>{}</code> (audit id {})</li></ul>",
            esc(&a.command),
            esc(&a.id)
        );
    }
    s.push_str("<h2>Timeline</h2><table><tr><th>time</th><th>what</th><th></th></tr>");
    for e in &r.timeline {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&at(e.t)),
            esc(&e.kind),
            esc(&e.text)
        );
    }
    s.push_str("</table><h2>Evidence</h2><ul>");
    for e in &r.evidence {
        let _ = write!(s, "<li>{}</li>", esc(e));
    }
    s.push_str("</ul></body></html>\n");
    s
}
