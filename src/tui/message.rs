//! The messages the main loop hands to `App::update`, and the effects it gets back.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::actions::{AuditOutcome, LockHolder, Operation, Plan, Request};
use crate::engine::Observation;
use crate::providers::budget::BudgetLine;
use crate::state::{FleetState, Millis};

/// What the loop hands to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A click or wheel turn, matched against what the last frame drew where.
    Mouse(MouseEvent),
    /// A whole snapshot (tests, screenshots): replaces the state.
    Fleet(Box<FleetState>, Option<LockHolder>),
    /// Readings from the engine (one subject each), merged and shown at once.
    Observed(Vec<Observation>),
    /// One reading from the live engine, merged as it arrives and shown at the next
    /// `Settle` (the loop settles at most every quarter second, and before any draw).
    Arrived(Box<Observation>),
    /// Show what arrived since the last time.
    Settle,
    /// Who holds the fleet lock now.
    Lock(Option<LockHolder>),
    /// What the providers' APIs have spent (read from the meter once a second).
    Budget(Vec<BudgetLine>),
    /// The header clock (at most once a second).
    Tick(Millis),
    Resize,
    /// A progress line from a running action.
    Progress(String),
    /// The backend's own description of a planned operation (e.g. a Route 53 change batch).
    PlanNotes(Box<Operation>, Vec<String>),
    /// The tail of a phase run's output, loaded for the detail pane.
    Evidence(Box<super::evidence::EvidenceTail>),
    /// The fleet's rollout as its state file holds it now (re-read once a second, so a
    /// partner's steps and approvals show here too).
    Rollout(Option<Box<crate::actions::rollout::Rollout>>),
    /// Where the weights stand against their records (temporary, expired, drift).
    Weights(Option<crate::actions::temporary::Standing>),
    /// Plans waiting for a second person's approval.
    Pending(Vec<crate::actions::approvals::ApprovalRequest>),
    /// What approving one came to: what to say, or why not.
    Approved(Result<String, String>),
    /// A command gate's verdict, from the task that ran it.
    CommandGate(usize, crate::actions::rollout::GateVerdict),
    /// The recovery clocks still running (a drain, promote or rollout left them).
    Clocks(Vec<crate::actions::recovery_open::OpenClock>),
    /// A running action finished.
    Finished {
        label: String,
        outcome: AuditOutcome,
        detail: Option<String>,
        /// A drain's or promote's recovery clock ("recovered in 42s (RTO 5m00s: within)").
        recovery: Option<String>,
    },
    /// The change freeze a person set, as the shared store holds it now.
    Freeze(crate::state::Observed<crate::state::freeze::Freeze>),
    /// What a change to the rollout (start, pause, skip, ...) came to: what the library
    /// said, or why it refused.
    RolloutSaid(Result<String, String>),
    /// The fleet's failover and recovery templates judged by preflight (in a task).
    Preflight(Vec<crate::actions::preflight::Preflight>),
    /// A deploy's diff was rendered (the request now carries it), or why it could not be.
    DeployRendered(Box<Request>, Result<(), String>),
}

/// What `update` asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run a confirmed plan through the executor (in a spawned task).
    Execute(Box<Request>, Box<Plan>),
    /// The operator declined a plan: record it in the audit log.
    Decline(Box<Plan>),
    /// Ask the backends how they would carry out a plan (they may read, never change).
    DescribePlan(Box<Plan>),
    /// Load the tail of a phase run's output (from its evidence folder).
    LoadEvidence {
        region: String,
        phase: String,
        dir: String,
        key: String,
    },
    /// Stop a running phase through its runner.
    CancelPhase {
        region: String,
        phase: String,
    },
    /// Ask the engine to read everything again now.
    Refresh,
    /// Approve the approval gate the rollout waits at, as this user.
    ApproveRollout,
    /// Record a rollout gate's verdict (met or failed) in the rollout's state file.
    RolloutGate(usize, crate::actions::rollout::GateVerdict),
    /// Run a rollout's command gate (in a task, with its deadline); its verdict comes back
    /// as `Msg::CommandGate`.
    CommandGate(usize, crate::fleet::StepCommand),
    /// Approve a pending request as this user (audited, through the library).
    ApprovePlan(Box<crate::actions::approvals::ApprovalRequest>),
    /// Stop recovery clocks that found the fleet recovered (audit, remove).
    StopRecovery(Vec<crate::actions::recovery_open::ClockReading>),
    /// Write a line to the log pane.
    Log(log::Level, String),
    Quit,
    /// Start a rollout from a template, as this person (through the executor).
    StartRollout(Box<crate::actions::executor::StartOptions>),
    /// Pause, resume, retry, skip or take over the rollout, as this person.
    ControlRollout(super::overlay::RolloutControl),
    /// Decide a rollout's alarms gate from CloudWatch's alarm history (in a task, with its
    /// deadline); its verdict comes back as `Msg::CommandGate`.
    AlarmsGate(usize, crate::fleet::rollout::GateSpec),
    /// Run preflight on the failover and recovery templates against this state (in a
    /// task); the reports come back as `Msg::Preflight`.
    Preflight(Box<FleetState>),
    /// Check whether a second person approved the artifact the rollout's gate at this
    /// step waits on; its verdict comes back as `Msg::CommandGate`.
    ArtifactGate(usize),
    /// Render a deploy's diff (a read, in a task); it comes back as `Msg::DeployRendered`
    /// and the plan opens then.
    RenderDeploy(Box<Request>),
}
