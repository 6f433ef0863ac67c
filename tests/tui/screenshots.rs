//! The screenshots in `screenshots/` come from the real renderer. This test renders them
//! again and fails when a file is out of date; regenerate with
//! `MERIDIAN_UPDATE_SCREENSHOTS=1 cargo test --test tui_screenshots` (or scripts/screenshots.sh).

use std::path::PathBuf;

use meridian::state::{AppHealth, HealthStatus, PhaseStatus, SyncStatus};
use meridian::tui::fixture::{FIXED_NOW, app_for, demo_state, press, render, type_text};
use meridian::tui::svg::{self, Canvas};
use meridian::tui::{App, Msg};

/// The frozen demo fleet in the middle of an ordinary bad night: one region degraded, one
/// app drifted out of sync, a phase running in the new region.
fn scene(theme: &str) -> App {
    let (fleet, mut state) = demo_state(42).unwrap_or_else(|e| panic!("{e}"));
    if let Some(r) = state.region_mut("ap-southeast-1")
        && let Some(h) = &mut r.health.value
    {
        h.status = HealthStatus::Degraded;
        h.reason = "2/3 probes ok: /health/ready timed out".into();
        r.lag.error = Some("ap-southeast-1: cloudwatch GetMetricData: throttled".into());
        r.lag.at = Some(FIXED_NOW - 95_000);
    }
    if let Some(r) = state.region_mut("ap-south-1")
        && let Some(phases) = &mut r.phases.value
        && let Some(p) = phases.iter_mut().find(|p| p.id == "platform-services")
    {
        p.state = PhaseStatus::Running;
        p.started_at = Some(FIXED_NOW - 200_000);
        p.current_step = Some("observability stack".into());
    }
    if let Some(t) = state.tenants.iter_mut().find(|t| t.id == "payments-prd")
        && let Some((_, app)) = t.apps.iter_mut().find(|(r, _)| &**r == "ap-southeast-1")
        && let Some(a) = &mut app.value
    {
        a.sync = SyncStatus::OutOfSync;
        a.health = AppHealth::Progressing;
        a.message = Some(
            "Deployment/web: replicas changed outside Git; auto-sync is off, sync to repair".into(),
        );
    }
    let mut app = app_for(fleet, state, theme, "default", false).unwrap_or_else(|e| panic!("{e}"));
    app.update(Msg::Tick(FIXED_NOW));
    app
}

/// The demo release part-way: us-east-1 deployed, its health gate 9m12s into 15 minutes.
fn rollout_scene() -> App {
    use meridian::actions::AuditOutcome;
    use meridian::actions::rollout::{Next, Rollout};
    let mut app = scene("dark");
    let since = FIXED_NOW - 9 * 60_000 - 12_000;
    let fleet = app.fleet.clone();
    let start = since - 5 * 60_000;
    let mut r = Rollout::start(
        &fleet,
        "release",
        Default::default(),
        "CHG-7",
        "alice@laptop",
        start,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut at = since - 4 * 60_000;
    while let Next::Action { index, .. } = r.next() {
        at += 60_000;
        r.record_action(
            index,
            AuditOutcome::Succeeded,
            None,
            "a1",
            "alice@laptop",
            at,
        );
    }
    app.update(Msg::Rollout(Some(Box::new(r))));
    press(&mut app, &["o"]);
    app
}

struct Shot {
    name: &'static str,
    title: &'static str,
    width: u16,
    height: u16,
    canvas: Canvas,
    app: App,
}

fn shots() -> Vec<Shot> {
    let mut out = Vec::new();
    out.push(Shot {
        name: "overview",
        title: "meridian: overview (100x30)",
        width: 100,
        height: 30,
        canvas: svg::DARK,
        app: scene("dark"),
    });
    out.push(Shot {
        name: "overview-wide",
        title: "meridian: overview (160x45)",
        width: 160,
        height: 45,
        canvas: svg::DARK,
        app: scene("dark"),
    });
    let mut blocked = scene("dark");
    // More traffic to a region that is down: unhealthy-target blocks.
    let mut down = blocked.state.clone();
    if let Some(h) = down
        .region_mut("ap-southeast-1")
        .and_then(|r| r.health.value.as_mut())
    {
        h.status = HealthStatus::Down;
        h.reason = "0/3 probes ok: connection refused".into();
    }
    blocked.update(Msg::Fleet(Box::new(down), None));
    blocked.update(Msg::Tick(FIXED_NOW));
    press(&mut blocked, &["w", "down", "down"]);
    type_text(&mut blocked, "40");
    press(&mut blocked, &["enter"]);
    type_text(&mut blocked, "INC-4711");
    out.push(Shot {
        name: "modal-blocked",
        title: "meridian: a plan with a blocking guard",
        width: 100,
        height: 30,
        canvas: svg::DARK,
        app: blocked,
    });
    let mut tenants = scene("dark");
    press(&mut tenants, &["2", "down", "right"]);
    out.push(Shot {
        name: "tenant-matrix",
        title: "meridian: tenant matrix, an OutOfSync cell selected",
        width: 100,
        height: 30,
        canvas: svg::DARK,
        app: tenants,
    });
    let mut phases = scene("dark");
    press(&mut phases, &["3", "G"]);
    for _ in 0..4 {
        press(&mut phases, &["right"]);
    }
    out.push(Shot {
        name: "phase-grid",
        title: "meridian: phase grid, a phase running",
        width: 100,
        height: 30,
        canvas: svg::DARK,
        app: phases,
    });
    out.push(Shot {
        name: "high-contrast",
        title: "meridian: high-contrast theme",
        width: 100,
        height: 30,
        canvas: svg::DARK,
        app: scene("high-contrast"),
    });
    out.push(Shot {
        name: "light",
        title: "meridian: light theme",
        width: 100,
        height: 30,
        canvas: svg::LIGHT,
        app: scene("light"),
    });
    out.push(Shot {
        name: "rollout",
        title: "meridian: a rollout waiting on its health gate (160x45)",
        width: 160,
        height: 45,
        canvas: svg::DARK,
        app: rollout_scene(),
    });
    out.push(Shot {
        name: "small-terminal",
        title: "meridian: a 70x20 terminal",
        width: 70,
        height: 20,
        canvas: svg::DARK,
        app: scene("dark"),
    });
    out
}

#[test]
fn screenshots_are_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let update = std::env::var_os("MERIDIAN_UPDATE_SCREENSHOTS").is_some();
    let mut stale = Vec::new();
    for shot in shots() {
        let svg = svg::to_svg(
            &render(&shot.app, shot.width, shot.height),
            shot.canvas,
            shot.title,
        );
        let path = dir.join(format!("{}.svg", shot.name));
        if update {
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&path, &svg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(svg.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (run scripts/screenshots.sh): {stale:?}"
    );
}
