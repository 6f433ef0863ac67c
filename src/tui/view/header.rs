//! The header: environment banner, fleet, read-only badge, lock holder, clock, freshness.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::state::{HealthStatus, rfc3339, short_age};
use crate::tui::app::App;
use crate::tui::theme::Role;

/// Does any tenant of the fleet run in a production environment?
pub fn is_production(app: &App) -> bool {
    app.fleet
        .tenants
        .iter()
        .any(|t| app.fleet.is_production(&t.environment))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut first = Vec::new();
    if is_production(app) {
        // Shape and words as well as colour: the banner must read on any terminal.
        first.push(Span::styled(" ▲ PRODUCTION ▲ ", t.get(Role::Production)));
    } else {
        first.push(Span::styled(" non-production ", t.get(Role::NonProduction)));
    }
    first.push(Span::raw(" "));
    first.push(Span::styled(
        format!("meridian · {}", app.fleet.name),
        t.get(Role::Title),
    ));
    if let Some(label) = app.fleet.simulated_label() {
        first.push(Span::styled(format!(" ({label})"), t.get(Role::Muted)));
    }
    if app.read_only {
        first.push(Span::raw("  "));
        first.push(Span::styled(" READ-ONLY ", t.get(Role::ReadOnly)));
    }
    // A practice copy (`--practice`) or a practice rollout on screen: nothing real moves.
    if crate::actions::practice::is_copy(&app.fleet)
        || app.rollout.as_ref().is_some_and(|r| r.practice)
    {
        first.push(Span::raw("  "));
        first.push(Span::styled(" PRACTICE ", t.get(Role::Accent)));
    }
    if app.replay.is_some() {
        let at = rfc3339(app.now);
        first.push(Span::raw("  "));
        first.push(Span::styled(
            format!(" ⏮ REPLAY {} ", at.get(..10).unwrap_or(&at)),
            t.get(Role::Accent),
        ));
        first.push(Span::styled(" ←→ 10s  [ ] changes", t.get(Role::Muted)));
    }
    first.push(Span::raw("  "));
    match &app.lock {
        Some(h) => {
            let who = if h.pid == std::process::id() {
                "this console".to_string()
            } else {
                format!("{} pid {}", h.user, h.pid)
            };
            first.push(Span::styled(
                format!(
                    "⚿ lock held by {who} ({}, {})",
                    h.action,
                    short_age(crate::state::elapsed(app.now, h.since_ms))
                ),
                t.get(Role::Warn),
            ))
        }
        None => first.push(Span::styled("lock: free", t.get(Role::Muted))),
    }
    let clock = rfc3339(app.now);
    let clock = clock.get(11..19).unwrap_or(&clock).to_string();
    let used: usize = first.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(used + clock.len() + 5);
    first.push(Span::raw(" ".repeat(pad)));
    first.push(Span::styled(format!("{clock} UTC"), t.get(Role::Text)));

    let mut second = Vec::new();
    let age = (app.now - app.state.observed_at).max(0);
    if app.replay.is_some() {
        let at = rfc3339(app.now);
        second.push(Span::styled(
            format!("⏮ as recorded at {} UTC", at.get(11..19).unwrap_or(&at)),
            t.get(Role::Accent),
        ));
    } else if app.frozen {
        second.push(Span::styled(" ❄ FROZEN ", t.get(Role::ReadOnly)));
        second.push(Span::styled(
            format!(
                " showing data {} old; live data is held back",
                short_age(age)
            ),
            t.get(Role::Warn),
        ));
    } else if !app.all_reported() {
        second.push(Span::styled(
            format!(
                "◌ first readings: {} of {}…",
                app.reported.0.len(),
                app.reported.1
            ),
            t.get(Role::Stale),
        ));
    } else {
        // Live only while nothing on screen is stale; the age is the oldest value's.
        let fresh = crate::state::Freshness::of(&app.fleet, &app.state, &app.argo, app.now);
        let oldest = short_age(fresh.oldest_ms.unwrap_or(age));
        match fresh.stale {
            0 => second.push(Span::styled(
                format!("● live · data {oldest} old"),
                t.get(Role::Ok),
            )),
            n => second.push(Span::styled(
                format!(
                    "◷ {n} value{} stale · data up to {oldest} old",
                    if n == 1 { "" } else { "s" }
                ),
                t.get(Role::Warn),
            )),
        }
    }
    // During an incident the recovery clock is what people watch: first, before the
    // counts, so a narrow terminal still shows it.
    for r in app.recovery_readings() {
        let role = match r.recovery.recovered {
            true => Role::Ok,
            false if r.recovery.elapsed_ms > r.recovery.rto_ms => Role::Danger,
            false => Role::Warn,
        };
        second.push(Span::styled(format!("   ⏱ {}", r.short()), t.get(role)));
    }
    // A change freeze (a person's, or a scheduled window): every action will be refused.
    if let Some(f) =
        crate::state::freeze::active(&app.fleet, app.state.freeze.value.as_ref(), app.now)
    {
        second.push(Span::styled(
            format!("   ❄ {}", f.short()),
            t.get(Role::Danger),
        ));
    }
    if !app.approvals.is_empty() {
        let key = app
            .keymap
            .key_for(
                crate::tui::command::Mode::Normal,
                crate::tui::command::Command::Approvals,
            )
            .map(|k| format!(" ({k})"))
            .unwrap_or_default();
        second.push(Span::styled(
            format!("   ⚑ {} waiting for approval{key}", app.approvals.len()),
            t.get(Role::Warn),
        ));
    }
    let mut counts = [0usize; 4];
    for r in &app.state.regions {
        let i = match r.health_status() {
            HealthStatus::Healthy => 0,
            HealthStatus::Degraded => 1,
            HealthStatus::Down => 2,
            HealthStatus::Unknown => 3,
        };
        counts[i] += 1;
    }
    second.push(Span::styled(
        format!(
            "   {} regions: {} healthy, {} degraded, {} down, {} unknown · {} tenants",
            app.fleet.regions.len(),
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            app.fleet.tenants.len()
        ),
        t.get(Role::Muted),
    ));
    if !app.budget.is_empty() {
        let spent: Vec<String> = app.budget.iter().map(|b| b.short()).collect();
        second.push(Span::styled(
            format!("   API {}", spent.join(" · ")),
            if app.budget.iter().any(|b| b.throttled > 0) {
                t.get(Role::Warn)
            } else {
                t.get(Role::Muted)
            },
        ));
    }
    second.extend(weights_warning(app));
    if let Some(f) = &app.filter.regex {
        second.push(Span::styled(
            format!("   filter /{}/", f.as_str()),
            t.get(Role::Accent),
        ));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}

/// Temporary weights (quietly) and their expiry or drift (loudly), with the one key that
/// puts the steady weights back.
fn weights_warning(app: &App) -> Option<Span<'static>> {
    use crate::actions::temporary::Standing;
    let standing = app.weights.as_ref()?;
    // Steady weights say nothing here (and writing out 100 regions' weights each second
    // to say nothing was a tenth of drawing the header).
    if matches!(standing, Standing::Steady | Standing::Unknown) {
        return None;
    }
    let text = standing.text(&app.fleet, &app.state);
    let key = app
        .keymap
        .key_for(
            crate::tui::command::Mode::Normal,
            crate::tui::command::Command::RestoreAll,
        )
        .map(|k| format!(" · {k} restores"))
        .unwrap_or_default();
    let t = &app.theme;
    match standing {
        Standing::Temporary { expired: false, .. } | Standing::Set { .. } => {
            Some(Span::styled(format!("   ⇄ {text}"), t.get(Role::Warn)))
        }
        Standing::Temporary { expired: true, .. } | Standing::Drift { .. } => Some(Span::styled(
            format!("   ⚠ {text}{key}"),
            t.get(Role::Danger),
        )),
        Standing::Steady | Standing::Unknown => None,
    }
}
