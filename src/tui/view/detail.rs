//! The detail pane: everything known about the selection, with ages and last errors.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::util::{age_text, age_text_as_of, apps_current};
use super::wrap::hanging;
use crate::state::{PhaseStatus, rfc3339, short_age};
use crate::tui::app::App;
use crate::tui::command::{Command, Mode};
use crate::tui::nav::Selection;
use crate::tui::symbols;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, block: Block) {
    let lines = match app.selection() {
        Some(Selection::Region(r)) => region_lines(app, &r),
        Some(Selection::Cell { tenant, region }) => cell_lines(app, &tenant, &region),
        Some(Selection::Phase { region, phase }) => phase_lines(app, &region, &phase),
        None if app.filter.is_active() => vec![Line::from(
            "nothing selected (the filter hides every row; Esc clears it)",
        )],
        None => vec![Line::from("nothing selected (this pane has no rows)")],
    };
    let width = block.inner(area).width as usize;
    frame.render_widget(Paragraph::new(hang(lines, width)).block(block), area);
}

/// Width of the key column; values wrap under themselves, not under the keys.
const KEY_W: usize = 11;

/// Wrap `key value` lines (and notes, which sit in the value column) so continuation lines
/// are indented to the value column; other lines wrap plainly.
fn hang(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for line in lines {
        let (lead, value) = match line.spans.as_slice() {
            [k, v] if k.content.chars().count() == KEY_W => (vec![k.clone()], v.clone()),
            [v] if v.content.starts_with(&" ".repeat(KEY_W)) => {
                let text = v.content.chars().skip(KEY_W).collect::<String>();
                (
                    vec![Span::raw(" ".repeat(KEY_W))],
                    Span::styled(text, v.style),
                )
            }
            [v] => (Vec::new(), v.clone()),
            _ => {
                out.push(line);
                continue;
            }
        };
        out.extend(hanging(lead, &value.content, value.style, width));
    }
    out
}

pub(super) fn kv(app: &App, key: &str, value: String, role: Role) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<11}"), app.theme.get(Role::Muted)),
        Span::styled(value, app.theme.get(role)),
    ])
}

pub(super) fn note(app: &App, text: String) -> Line<'static> {
    let role = if text.contains("failed") {
        Role::Danger
    } else {
        Role::Muted
    };
    Line::from(Span::styled(
        format!("           {text}"),
        app.theme.get(role),
    ))
}

fn region_lines(app: &App, id: &str) -> Vec<Line<'static>> {
    let Some(r) = app.fleet.region(id) else {
        return vec![];
    };
    let mut out = vec![Line::from(Span::styled(
        format!("{} — {} ({})", r.id, r.name, r.cloud_region),
        app.theme.get(Role::Title),
    ))];
    let Some(s) = app.state.region(id) else {
        out.push(Line::from("not read yet"));
        return out;
    };
    let role = s.role.value.map(|x| x.as_str()).unwrap_or("unknown");
    out.push(kv(
        app,
        "role",
        format!("{role} (configured {})", r.role.as_str()),
        Role::Text,
    ));
    out.push(note(app, age_text(&s.role, app.now)));
    let look = symbols::health(s.health_status());
    let h = s.health.value.as_ref();
    let mut health = format!("{} {}", look.symbol, look.word);
    if let Some(h) = h {
        health.push_str(&format!(" — {}", h.reason));
        if let Some(l) = h.latency_ms {
            health.push_str(&format!(", probe {l:.0}ms"));
        }
        if let Some(since) = h.healthy_since {
            health.push_str(&format!(
                ", healthy for {}",
                short_age(crate::state::elapsed(app.now, since))
            ));
        }
    }
    out.push(kv(app, "health", health, look.role));
    out.push(note(app, age_text(&s.health, app.now)));
    let share = app.state.traffic_share(id).unwrap_or(0.0) * 100.0;
    let rules = app.fleet.traffic.provider.traffic_rules();
    let w = s
        .weight
        .value
        .map(|w| rules.format(w))
        .unwrap_or_else(|| "unknown".into());
    match app.state.traffic_text(id) {
        // No share under latency, failover or geo routing: the policy and rotation.
        Some(text) => out.push(kv(
            app,
            "traffic",
            format!(
                "{text} (steady: {}), record {}",
                if r.steady_weight == 0 {
                    "out of rotation"
                } else {
                    "in rotation"
                },
                r.set_identifier
            ),
            Role::Text,
        )),
        None => out.push(kv(
            app,
            "weight",
            format!(
                "{w} (steady {}) = {share:.0}% of traffic, record {}",
                rules.format_units(r.steady_weight),
                r.set_identifier
            ),
            Role::Text,
        )),
    }
    if let Some(route) = app.state.routes.get(id) {
        out.push(kv(app, "route", route.via.clone(), Role::Muted));
        if !route.only_for.is_empty() {
            out.push(kv(
                app,
                "only here",
                format!(
                    "{} (drained: {})",
                    route.only_for.join(", "),
                    route.instead.as_deref().unwrap_or("?")
                ),
                Role::Muted,
            ));
        }
    }
    out.push(note(app, age_text(&s.weight, app.now)));
    let rpo = app.fleet.policy.rpo_budget.as_secs();
    let lag = match s.lag.value {
        Some(v) => format!("{v:.1}s behind the primary (RPO budget {rpo}s)"),
        None if s.role.value == Some(crate::fleet::Role::Primary) => {
            "none: this region is the writer".into()
        }
        None => match &s.lag.error {
            // Fenced or following a non-writer: the provider's words say which and why.
            Some(e) if crate::state::replication::link_word(&s.lag).is_some() => e.to_string(),
            _ => "unknown (no datapoint)".into(),
        },
    };
    let lag_role = if s.lag.value.is_some_and(|v| v >= rpo as f64) {
        Role::Danger
    } else {
        Role::Text
    };
    out.push(kv(app, "lag", lag, lag_role));
    out.push(note(app, age_text(&s.lag, app.now)));
    out.extend(super::stores::detail_lines(app, r, s));
    out.push(kv(
        app,
        "phases",
        format!(
            "{}/{} succeeded",
            s.phases_succeeded(),
            app.fleet.phases.len()
        ),
        Role::Text,
    ));
    if let Some(e) = &s.phases.error {
        out.push(note(app, format!("last read failed: {e}")));
    }
    for e in &r.endpoints {
        out.push(kv(app, "probe", e.clone(), Role::Muted));
    }
    // Which checks make the health verdict, by their ids (the board shows only the reason).
    for h in r.health_sources() {
        use crate::fleet::settings::Settings as S;
        let which = match &h.settings {
            S::Route53Health(c) => Some(format!("health check {}", c.health_check_id)),
            S::CloudflareHealth(_) => Some(format!("pool {}", r.set_identifier)),
            S::AzureHealth(_) => Some(format!("endpoint {}", r.set_identifier)),
            _ => None,
        };
        if let Some(which) = which {
            out.push(kv(
                app,
                "check",
                format!("{}: {which}", h.provider.as_str()),
                Role::Muted,
            ));
        }
    }
    // A big region runs a thousand tenants: wrapping all their names every frame was most
    // of drawing this pane, and only a few lines show. Name the first ones, count the rest.
    const NAMED: usize = 20;
    let cells = app.merger.cells_in(id);
    let mut tenants = cells
        .iter()
        .take(NAMED)
        .filter_map(|c| app.fleet.tenants.get(c.tenant()))
        .map(|t| t.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if cells.len() > NAMED {
        tenants.push_str(&format!(
            " and {} more ({} in all)",
            cells.len() - NAMED,
            cells.len()
        ));
    }
    out.push(kv(app, "tenants", tenants, Role::Text));
    if app.fleet.tenant_routing.is_some() {
        out.push(routing_line(app, id));
    }
    out
}

/// What the routing layer's map says of a region: how many tenants live there and whether
/// it takes new ones at sign-up.
fn routing_line(app: &App, id: &str) -> Line<'static> {
    let r = &app.state.routing;
    let Some(homes) = app.state.homes() else {
        let why = r.error.as_deref().unwrap_or("not read yet");
        return kv(
            app,
            "routing",
            format!("tenant map unknown: {why}"),
            Role::Stale,
        );
    };
    let n = homes.homed_in(id);
    let signups = match homes.takes_signups(id) {
        Some(true) => "takes new tenants at sign-up",
        Some(false) => "closed to sign-ups",
        None => "sign-ups not in the map",
    };
    kv(
        app,
        "routing",
        format!(
            "{n} tenant{} homed here · {signups}",
            if n == 1 { "" } else { "s" }
        ),
        if r.error.is_some() {
            Role::Stale
        } else {
            Role::Text
        },
    )
}

fn cell_lines(app: &App, tenant: &str, region: &str) -> Vec<Line<'static>> {
    let Some(t) = app.fleet.tenant(tenant) else {
        return vec![];
    };
    let mut out = vec![Line::from(Span::styled(
        format!("{tenant} in {region}"),
        app.theme.get(Role::Title),
    ))];
    if !t.runs_in(region) {
        out.push(Line::from(format!(
            "{tenant} does not run in {region}; it runs in {}",
            t.regions.join(", ")
        )));
        return out;
    }
    let Some(o) = app.state.tenant(tenant).and_then(|ts| ts.app(region)) else {
        out.push(Line::from("not read yet"));
        return out;
    };
    let Some(a) = &o.value else {
        if t.helm.is_some() && o.error.is_none() {
            out.extend(super::detail_gitops::helm_lines(app, t, region));
        } else {
            out.push(note(
                app,
                age_text_as_of(o, apps_current(app, region), app.now),
            ));
        }
        return out;
    };
    let sync = symbols::sync(a.sync);
    let health = symbols::app_health(a.health);
    out.push(kv(
        app,
        "sync",
        format!("{} {}", sync.symbol, sync.word),
        sync.role,
    ));
    out.push(kv(
        app,
        "health",
        format!("{} {}", health.symbol, health.word),
        health.role,
    ));
    // The answer to "why is it OutOfSync?", in Argo CD's words.
    out.push(kv(
        app,
        "why",
        a.message
            .as_deref()
            .unwrap_or("nothing to report")
            .to_string(),
        if a.message.is_some() {
            Role::Warn
        } else {
            Role::Muted
        },
    ));
    out.push(kv(
        app,
        "app",
        format!(
            "{} (helm release {}, env {})",
            t.argo_app_in(region),
            t.helm_release,
            t.environment
        ),
        Role::Text,
    ));
    out.push(note(
        app,
        age_text_as_of(o, apps_current(app, region), app.now),
    ));
    out.push(kv(app, "revision", a.revision.to_string(), Role::Text));
    if app.fleet.tenant_routing.is_some() {
        let home = app.state.homes().and_then(|h| h.home(tenant));
        let problem = crate::actions::homes::home_problem(&app.fleet, &app.state, tenant);
        let (text, role) = match (home, problem) {
            (_, Some(p)) => (format!("⌂ {p}"), Role::Danger),
            (Some(h), None) if h == region => {
                ("⌂ the routing layer sends it here".into(), Role::Info)
            }
            (Some(h), None) => (
                format!("{h} (its requests go there, not here)"),
                Role::Muted,
            ),
            (None, None) => ("not in the routing map".into(), Role::Muted),
        };
        out.push(kv(app, "home", text, role));
    }
    out.push(kv(
        app,
        "auto-sync",
        match (a.auto_sync, &a.detail.paused) {
            (true, _) => "⟳ on (a rollback pauses it)".into(),
            (false, Some(p)) => format!("⏸ paused by {} (resume-auto-sync puts it back)", p.by),
            (false, None) => "off".to_string(),
        },
        Role::Text,
    ));
    out.extend(super::detail_gitops::argo_lines(app, a));
    out.push(kv(
        app,
        "history",
        format!("{} entries, newest first:", a.history.len()),
        Role::Muted,
    ));
    // After a rollback the same revision is in the history twice: mark the newest only.
    let running_at = a.history.iter().rposition(|e| *e.revision == *a.revision);
    for (i, e) in a.history.iter().enumerate().rev() {
        let current = if running_at == Some(i) {
            "  ◀ running"
        } else {
            ""
        };
        out.push(Line::from(Span::styled(
            format!(
                "           #{:<3} {}  {}{current}",
                e.id,
                e.revision.get(..7).unwrap_or(&e.revision),
                rfc3339(e.deployed_at)
            ),
            app.theme.get(Role::Text),
        )));
    }
    if t.helm.is_some() {
        out.extend(super::detail_gitops::helm_lines(app, t, region));
    }
    out
}

fn phase_lines(app: &App, region: &str, phase: &str) -> Vec<Line<'static>> {
    let Some(i) = app.fleet.phase_index(phase) else {
        return vec![];
    };
    let def = &app.fleet.phases[i];
    let mut out = vec![Line::from(Span::styled(
        format!("phase {} — {} in {region}", i + 1, def.name),
        app.theme.get(Role::Title),
    ))];
    let rs = app.state.region(region);
    let ps = rs.and_then(|r| r.phase(phase));
    let look = symbols::phase(
        ps.map(|p| p.state)
            .unwrap_or(crate::state::PhaseStatus::Pending),
    );
    out.push(kv(
        app,
        "state",
        format!("{} {}", look.symbol, look.word),
        look.role,
    ));
    if let Some(p) = ps {
        if let Some(s) = p.started_at {
            out.push(kv(app, "started", rfc3339(s), Role::Text));
        }
        if let Some(f) = p.finished_at {
            out.push(kv(app, "finished", rfc3339(f), Role::Text));
        }
        if let Some(d) = super::phases::duration(p, app.now) {
            out.push(kv(app, "duration", d, Role::Text));
        }
        if let Some(step) = &p.current_step {
            out.push(kv(app, "step", step.clone(), Role::Info));
        }
        if let Some(e) = &p.error {
            out.push(kv(app, "error", e.clone(), Role::Danger));
        }
        if let Some(o) = p.owner.as_ref().filter(|_| p.state == PhaseStatus::Running) {
            out.push(kv(app, "run by", o.to_string(), Role::Text));
        }
        if p.state == PhaseStatus::Interrupted {
            out.push(note(
                app,
                "run the phase again (x) to resume at this step".into(),
            ));
        }
        if p.state == PhaseStatus::Running {
            let key = app
                .keymap
                .key_for(Mode::Normal, Command::CancelPhase)
                .unwrap_or_else(|| "cancel-phase".into());
            out.push(note(app, format!("{key} twice stops it")));
        }
        if let Some(dir) = &p.evidence {
            out.push(kv(app, "evidence", dir.clone(), Role::Muted));
        }
    }
    if let Some(rs) = rs {
        out.push(note(app, age_text(&rs.phases, app.now)));
    }
    for (n, s) in def.steps.iter().enumerate() {
        out.push(kv(
            app,
            if n == 0 { "steps" } else { "" },
            format!("{}. {}", n + 1, s.name),
            Role::Text,
        ));
    }
    if let Some(e) = app
        .evidence
        .as_ref()
        .filter(|e| e.region == region && e.phase == phase)
    {
        out.push(kv(app, "output", e.step.clone(), Role::Info));
        for l in &e.lines {
            out.push(Line::from(Span::styled(
                format!("           {l}"),
                app.theme.get(Role::Text),
            )));
        }
    }
    out
}
