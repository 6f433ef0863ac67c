//! From a command to a plan on screen: which target the selection names, which overlay
//! gathers the rest (weights editor, revision picker), and what a closed overlay asks for.
//! Planning is pure, so it happens here; executing is an effect for the loop.

use super::app::{App, Effect, Pane, Status};
use super::command::Command;
use super::nav::Selection;
use super::overlay::{ConfirmModal, Outcome, Overlay, RevisionPicker, WeightsEditor};
use crate::actions::{Action, Operation, Request, plan};
use crate::state::PhaseStatus;

impl App {
    /// A fleet action key: build the request from the selection and show its plan.
    pub(super) fn fleet_action(&mut self, cmd: Command) -> Vec<Effect> {
        let region = self.selected_region();
        let need_region = |app: &mut App| {
            app.status = Status::Info("select a region first (↑↓ on the region board)".into());
            Vec::new()
        };
        let action = match cmd {
            Command::Drain => match region {
                Some(region) => Action::Drain { region },
                None => return need_region(self),
            },
            Command::Restore => match region {
                Some(region) => Action::Restore {
                    regions: vec![region],
                },
                None => return need_region(self),
            },
            Command::RestoreAll => Action::Restore {
                regions: Vec::new(),
            },
            Command::Promote => match region {
                Some(region) => Action::Promote { region },
                None => return need_region(self),
            },
            Command::SetWeights => {
                // A latency, failover or geo record has no weight to edit: say what fits.
                let steered = self.fleet.regions.iter().find_map(|r| {
                    let w = self.state.region(&r.id)?.weight.value?;
                    (!w.has_share()).then(|| (r.id.clone(), w))
                });
                if let Some((id, w)) = steered {
                    let policy = crate::traffic::steering::describe_policy(w);
                    self.status = Status::Info(format!(
                        "{id} is routed by {policy}: there are no weights to set; drain takes a region out of rotation and restore puts it back"
                    ));
                    return Vec::new();
                }
                self.overlay = Some(Overlay::Weights(WeightsEditor::new(
                    &self.fleet,
                    &self.state,
                    region.as_deref(),
                )));
                return Vec::new();
            }
            Command::RunPhase => match self.phase_target() {
                Some((region, phase)) => Action::RunPhase { region, phase },
                None => {
                    self.status = Status::Info("every phase has succeeded in this region; pick one in the phase grid to run it again".into());
                    return Vec::new();
                }
            },
            Command::Sync | Command::ResumeAutoSync => match self.selection() {
                Some(Selection::Cell { tenant, region }) => {
                    if cmd == Command::Sync {
                        Action::Sync {
                            tenant,
                            region,
                            revision: None,
                        }
                    } else {
                        Action::ResumeAutoSync { tenant, region }
                    }
                }
                _ => {
                    self.focus = Pane::Tenants;
                    self.status = Status::Info(format!(
                        "{cmd} works on a tenant cell: pick one in the tenant matrix, then press the key again"
                    ));
                    return Vec::new();
                }
            },
            Command::Rollback => match self.selection() {
                Some(Selection::Cell { tenant, region })
                    if self.fleet.tenant(&tenant).is_some_and(|t| t.helm.is_some()) =>
                {
                    // Helm rollbacks go to the previous revision; the plan names it.
                    Action::Rollback {
                        tenant,
                        region,
                        to: None,
                        via: None,
                    }
                }
                Some(Selection::Cell { tenant, region }) => {
                    match RevisionPicker::new(&self.state, &tenant, &region) {
                        Ok(p) => self.overlay = Some(Overlay::Revisions(p)),
                        Err(why) => self.status = Status::Info(why),
                    }
                    return Vec::new();
                }
                _ => {
                    self.focus = Pane::Tenants;
                    self.status = Status::Info("rollback works on a tenant cell: pick one in the tenant matrix, then press the key again".into());
                    return Vec::new();
                }
            },
            Command::OpenSignups | Command::CloseSignups => match region {
                Some(region) => Action::Signups {
                    region,
                    open: cmd == Command::OpenSignups,
                },
                None => return need_region(self),
            },
            // The tenant matrix names both: the row's tenant, and the column's region as
            // its new home. The plan asks for the reason a move always needs.
            Command::MoveTenant => match self.selection() {
                Some(Selection::Cell { tenant, region }) => {
                    Action::TenantMove { tenant, to: region }
                }
                _ => {
                    self.focus = Pane::Tenants;
                    self.status = Status::Info("move-tenant works on a tenant cell: pick the tenant's row in the region that becomes its home, then press the key again".into());
                    return Vec::new();
                }
            },
            _ => return Vec::new(),
        };
        self.open_plan(Request::new(action))
    }

    /// The phase to run: the one selected in the grid, else the region's next unfinished one.
    fn phase_target(&self) -> Option<(String, String)> {
        if let Some(Selection::Phase { region, phase }) = self.selection() {
            return Some((region, phase));
        }
        let region = self.selected_region()?;
        let rs = self.state.region(&region);
        let next = self.fleet.phases.iter().find(|p| {
            rs.and_then(|r| r.phase(&p.id))
                .is_none_or(|ps| ps.state != PhaseStatus::Succeeded)
        })?;
        Some((region, next.id.clone()))
    }

    /// Plan a request against what is on screen and show it in a modal.
    pub(super) fn open_plan(&mut self, request: Request) -> Vec<Effect> {
        // A deploy's plan needs its rendered diff (Helm, a read): rendered in a task first,
        // the plan opens when it comes back (`Msg::DeployRendered`).
        if matches!(request.action, crate::actions::Action::Deploy { .. })
            && request.deploy_diff.is_none()
        {
            if let crate::actions::Action::Deploy { tenant, region, .. } = &request.action {
                self.status = Status::Running(format!(
                    "deploy {tenant} in {region}: rendering the diff (helm get manifest against helm template)…"
                ));
            }
            return vec![Effect::RenderDeploy(Box::new(request))];
        }
        self.open_plan_now(request)
    }

    /// Plan and show the modal (a deploy's diff already rendered, or known not to be).
    pub(super) fn open_plan_now(&mut self, request: Request) -> Vec<Effect> {
        let request = request.read_only(self.read_only);
        match plan(&request, &self.fleet, &self.state, self.now) {
            Ok(p) => self.overlay = Some(Overlay::Confirm(Box::new(ConfirmModal::new(request, p)))),
            Err(e) => self.status = Status::Failed(format!("cannot plan: {e}")),
        }
        self.describe_plan()
    }

    /// Ask the backends how they would carry the plan out, once per operation (the real
    /// traffic provider shows its exact change batch, a database how promotion goes), as
    /// the CLI does.
    fn describe_plan(&self) -> Vec<Effect> {
        match &self.overlay {
            Some(Overlay::Confirm(m))
                if m.backend_notes.is_none() && m.plan.operation.is_some() =>
            {
                vec![Effect::DescribePlan(Box::new(m.plan.clone()))]
            }
            _ => Vec::new(),
        }
    }

    /// The backends answered: show their notes if the same operation is still on screen.
    pub(super) fn plan_notes(&mut self, operation: &Operation, notes: Vec<String>) {
        if let Some(Overlay::Confirm(m)) = &mut self.overlay
            && m.plan.operation.as_ref() == Some(operation)
        {
            m.backend_notes = Some(notes);
        }
    }

    /// What to do when an overlay reports back.
    pub(super) fn on_overlay_outcome(&mut self, outcome: Outcome) -> Vec<Effect> {
        self.dirty = true;
        self.preview_rollout_start();
        if let Some(effects) = self.rollout_outcome(&outcome) {
            return effects;
        }
        match outcome {
            Outcome::Stay => Vec::new(),
            Outcome::Close => {
                self.overlay = None;
                Vec::new()
            }
            Outcome::Declined(p) => {
                self.overlay = None;
                self.status = Status::Info(format!(
                    "{}: not confirmed, nothing changed",
                    p.button_label()
                ));
                if p.read_only {
                    Vec::new()
                } else {
                    vec![Effect::Decline(p)]
                }
            }
            Outcome::Replan(request) => {
                let planned = plan(&request, &self.fleet, &self.state, self.now);
                if let Some(Overlay::Confirm(m)) = &mut self.overlay {
                    m.replanned(*request, planned.map_err(|e| e.to_string()));
                }
                self.describe_plan()
            }
            Outcome::OpenPlan(request) => {
                self.overlay = None;
                self.open_plan(*request)
            }
            Outcome::Run(cmd) => {
                self.overlay = None;
                self.run(cmd)
            }
            Outcome::Approve(index) => self.approve_pending(index),
            Outcome::Refused(why) => {
                self.status = Status::Failed(why);
                Vec::new()
            }
            Outcome::Finding(index) => {
                let last = self.attention.findings.len().saturating_sub(1);
                self.act_on_finding(index.min(last))
            }
            // Handled by `rollout_outcome` above.
            Outcome::StartRollout(_) | Outcome::RolloutControl(_) => Vec::new(),
            Outcome::Confirmed(request, p) => {
                self.overlay = None;
                if let Some(running) = &self.running {
                    self.status = Status::Failed(format!(
                        "{running} is still running; wait for it to finish"
                    ));
                    return Vec::new();
                }
                let label = p.button_label();
                self.running = Some(label.clone());
                self.status = Status::Running(format!("{label}: starting"));
                vec![
                    Effect::Log(
                        log::Level::Info,
                        format!("{label}: confirmed ({})", p.cli_equivalent),
                    ),
                    Effect::Execute(request, p),
                ]
            }
        }
    }
}
