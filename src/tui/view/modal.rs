//! Drawing the plan modal: target and environment, before -> after, blast radius, every
//! guard's verdict with its reason, the CLI equivalent, the inputs the plan asks for and
//! the buttons. The confirm button is named after the action; read-only shows none.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::util::centered;
use crate::actions::Verdict;
use crate::fleet::ConfirmStrength;
use crate::tui::app::App;
use crate::tui::command::Command;
use crate::tui::mouse::Target;
use crate::tui::overlay::{ConfirmModal, Field};
use crate::tui::symbols;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, body: Rect, app: &App, m: &ConfirmModal) {
    let t = &app.theme;
    let p = &m.plan;
    let area = centered(body, body.width.saturating_sub(4).min(110), body.height);
    frame.render_widget(Clear, area);
    let mut title = vec![Span::styled(
        format!(" {} ", p.button_label()),
        t.get(Role::Title),
    )];
    if p.blast_radius.production {
        title.push(Span::styled(" ▲ PRODUCTION ▲ ", t.get(Role::Production)));
    }
    if p.read_only {
        title.push(Span::styled(" READ-ONLY ", t.get(Role::ReadOnly)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(if p.blast_radius.production {
            t.get(Role::Danger)
        } else {
            t.get(Role::BorderFocused)
        })
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let fields = m.fields();
    let form_h = fields.len() as u16 + 3;
    let [plan_area, form_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(form_h)]).areas(inner);

    let muted = t.get(Role::Muted);
    let head = |s: &str| Line::from(Span::styled(s.to_string(), t.get(Role::Accent)));
    let mut lines = vec![Line::from(Span::styled(
        p.summary.clone(),
        t.get(Role::Text).add_modifier(Modifier::BOLD),
    ))];
    let envs = if p.environments.is_empty() {
        "none".to_string()
    } else {
        p.environments.join(", ")
    };
    let prod = if p.blast_radius.production {
        " — PRODUCTION"
    } else {
        ""
    };
    lines.push(Line::from(vec![
        Span::styled("target ", muted),
        Span::styled(p.target.clone(), t.get(Role::Title)),
        Span::styled("   environments ", muted),
        Span::styled(
            format!("{envs}{prod}"),
            if p.blast_radius.production {
                t.get(Role::Danger)
            } else {
                t.get(Role::Text)
            },
        ),
    ]));
    lines.push(head("changes (before -> after)"));
    if p.changes.is_empty() {
        lines.push(Line::from(Span::styled("  nothing changes", muted)));
    }
    for c in &p.changes {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} {}: ", c.subject, c.field), t.get(Role::Text)),
            Span::styled(c.before.clone(), muted),
            Span::styled(" -> ", t.get(Role::Accent)),
            Span::styled(c.after.clone(), t.get(Role::Title)),
        ]));
    }
    let b = &p.blast_radius;
    lines.push(Line::from(vec![
        Span::styled("blast radius ", t.get(Role::Accent)),
        Span::styled(
            format!(
                "{} tenant(s): {} · {}",
                b.tenants.len(),
                if b.tenants.is_empty() {
                    "none".into()
                } else {
                    b.tenants.join(", ")
                },
                b.traffic_text()
            ),
            t.get(Role::Text),
        ),
    ]));
    lines.push(head("guards"));
    let name_w = p
        .checks
        .iter()
        .map(|c| c.guard.name().len())
        .max()
        .unwrap_or(10);
    // What stops or worries first; passes after.
    let mut checks: Vec<&crate::actions::Check> = p.checks.iter().collect();
    checks.sort_by_key(|c| match (c.verdict, c.overridden) {
        (Verdict::Block, false) => 0,
        (Verdict::Block, true) => 1,
        (Verdict::Warn, _) => 2,
        (Verdict::Pass, _) => 3,
    });
    for c in checks {
        let look = symbols::verdict(c.verdict, c.overridden);
        let style = if c.verdict == Verdict::Pass {
            t.get(Role::Ok)
        } else {
            t.get(look.role)
        };
        // A long reason wraps under itself, not under the verdict column.
        lines.extend(super::wrap::hanging(
            vec![
                Span::styled(format!("  {} {:<10}", look.symbol, look.word), style),
                Span::styled(format!("{:<name_w$}  ", c.guard.name()), t.get(Role::Text)),
            ],
            &c.reason,
            if c.verdict == Verdict::Pass {
                muted
            } else {
                t.get(Role::Text)
            },
            plan_area.width as usize,
        ));
    }
    for n in p.notes.iter().chain(m.backend_notes.iter().flatten()) {
        lines.push(Line::from(Span::styled(format!("  note: {n}"), muted)));
    }
    // A deploy's rendered diff: the summary, the image changes, then the whole diff
    // (PgDn/PgUp scroll the plan).
    if let Some(d) = &m.request.deploy_diff {
        // The diff's first line is its summary (added, changed, removed).
        lines.push(head("rendered diff"));
        for i in &d.images {
            lines.push(Line::from(Span::styled(
                format!("  image {i}"),
                t.get(Role::Accent),
            )));
        }
        for l in d.text.lines() {
            let role = match l.chars().next() {
                Some('+') => Role::Ok,
                Some('-') => Role::Danger,
                Some('~') | Some('@') => Role::Info,
                _ => Role::Muted,
            };
            lines.push(Line::from(Span::styled(format!("  {l}"), t.get(role))));
        }
    }
    lines.push(Line::from(vec![
        Span::styled("cli ", t.get(Role::Accent)),
        Span::styled(p.cli_equivalent.clone(), t.get(Role::Text)),
    ]));
    let scroll = m.scroll.min(lines.len().saturating_sub(1)) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        plan_area,
    );

    let mut form: Vec<Line> = vec![Line::from(Span::styled(
        "─".repeat(form_area.width as usize),
        t.get(Role::Border),
    ))];
    for f in &fields {
        let focused = *f == m.focus;
        let cursor = if focused { "▏" } else { "" };
        let mark = if focused { "▶ " } else { "  " };
        let input = |text: &str| {
            Span::styled(
                format!("{text}{cursor} "),
                if focused {
                    t.get(Role::Input).add_modifier(Modifier::UNDERLINED)
                } else {
                    t.get(Role::Input)
                },
            )
        };
        let line = match f {
            Field::Reason => Line::from(vec![
                Span::raw(mark),
                Span::styled("reason:   ", t.get(Role::Text)),
                input(&m.reason),
                Span::styled(
                    if p.blast_radius.production {
                        "  required in production (incident or change id)"
                    } else if matches!(p.action, crate::actions::Action::TenantMove { .. }) {
                        // The planner blocks a move without one, in any environment.
                        "  required: a tenant move says why (its data is not moved)"
                    } else {
                        "  optional, recorded in the audit log"
                    },
                    muted,
                ),
            ]),
            Field::Override => Line::from(vec![
                Span::raw(mark),
                Span::styled("override: ", t.get(Role::Text)),
                input(&m.override_guard),
                Span::styled(
                    "  type a blocking guard's name to override it (needs a reason)",
                    muted,
                ),
            ]),
            Field::DrainOld => {
                let (drain, region, share) = p
                    .old_writer
                    .as_ref()
                    .map(|o| (o.drain, o.region.clone(), o.share_text()))
                    .unwrap_or_default();
                Line::from(vec![
                    Span::raw(mark),
                    Span::styled(if drain { "[x]" } else { "[ ]" }, t.get(Role::Warn)),
                    Span::styled(
                        format!(
                            " also drain {region} ({share}) once promoted: its database will take no writes (Space toggles)"
                        ),
                        t.get(Role::Text),
                    ),
                ])
            }
            Field::Acknowledge => Line::from(vec![
                Span::raw(mark),
                Span::styled(
                    if m.acknowledged { "[x]" } else { "[ ]" },
                    t.get(Role::Warn),
                ),
                Span::styled(
                    " I have read the warnings above (Space ticks)",
                    t.get(Role::Text),
                ),
            ]),
            Field::TypeName => Line::from(vec![
                Span::raw(mark),
                Span::styled(format!("type {} to confirm: ", p.target), t.get(Role::Text)),
                input(&m.typed_name),
                Span::styled(
                    if m.typed_name == p.target {
                        "  ✓ matches"
                    } else {
                        ""
                    },
                    t.get(Role::Ok),
                ),
            ]),
            Field::Buttons => buttons(app, m, focused),
        };
        form.push(line);
    }
    let why = match (&m.refusal, m.can_confirm()) {
        (Some(r), _) => Line::from(Span::styled(format!("✗ {r}"), t.get(Role::Danger))),
        (None, Err(r)) if !p.read_only => Line::from(Span::styled(
            format!("cannot confirm yet: {r}"),
            t.get(Role::Warn),
        )),
        (None, Err(_)) => Line::from(Span::styled(
            "read-only mode: this is the plan; nothing will be changed",
            t.get(Role::ReadOnly),
        )),
        (None, Ok(())) => Line::from(Span::styled(
            "ready: nothing happens until you press the button",
            t.get(Role::Ok),
        )),
    };
    form.push(why);
    if let Some(i) = fields.iter().position(|f| *f == Field::Buttons) {
        // The buttons' line comes after the separator and the fields before it, some of
        // which may have wrapped.
        let above = Paragraph::new(form[..i + 1].to_vec())
            .wrap(Wrap { trim: false })
            .line_count(form_area.width) as u16;
        button_hits(app, m, form_area.x, form_area.y + above);
    }
    frame.render_widget(Paragraph::new(form).wrap(Wrap { trim: false }), form_area);
}

/// Where the buttons lie on their line (laid out as `buttons` draws them).
fn button_hits(app: &App, m: &ConfirmModal, x: u16, y: u16) {
    let width = |s: &str| s.chars().count() as u16;
    let no = if m.plan.read_only {
        "[ Close ]"
    } else if m.plan.confirm == ConfirmStrength::YesNo {
        "[ No ]"
    } else {
        "[ Cancel ]"
    };
    let no_x = x + 2;
    app.hits.add(
        Rect::new(no_x, y, width(no), 1),
        Target::Button(Command::Cancel),
    );
    if !m.plan.read_only {
        let yes = format!("[ {} ]", m.plan.button_label());
        app.hits.add(
            Rect::new(no_x + width(no) + 3, y, width(&yes), 1),
            Target::Button(Command::Confirm),
        );
    }
}

fn buttons(app: &App, m: &ConfirmModal, focused: bool) -> Line<'static> {
    let t = &app.theme;
    let mark = if focused { "▶ " } else { "  " };
    if m.plan.read_only {
        return Line::from(vec![
            Span::raw(mark),
            Span::styled("[ Close ]", t.get(Role::Button)),
        ]);
    }
    let no_label = if m.plan.confirm == ConfirmStrength::YesNo {
        "[ No ]"
    } else {
        "[ Cancel ]"
    };
    let yes_label = format!("[ {} ]", m.plan.button_label());
    let enabled = m.can_confirm().is_ok();
    let sel = |on: bool| {
        if on && focused {
            t.get(Role::Button)
        } else {
            t.get(Role::Text)
        }
    };
    let yes_style = if enabled {
        sel(m.on_confirm_button)
    } else {
        t.get(Role::ButtonDisabled)
    };
    let mut spans = vec![
        Span::raw(mark),
        Span::styled(no_label, sel(!m.on_confirm_button)),
        Span::raw("   "),
        Span::styled(yes_label, yes_style),
    ];
    if !enabled {
        let why = if m.plan.is_blocked() {
            "  ✗ blocked"
        } else {
            "  (not yet)"
        };
        spans.push(Span::styled(why, t.get(Role::Danger)));
    }
    if m.plan.confirm == ConfirmStrength::YesNo {
        spans.push(Span::styled(
            "   y/N, No is the default",
            t.get(Role::Muted),
        ));
    }
    Line::from(spans)
}
