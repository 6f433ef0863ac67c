//! The dashboard's commands by stable kebab-case name. Keymaps, the palette and the help
//! screen all refer to commands by these names, so an unknown name can fail at load.

use std::fmt;

/// An input mode: each has its own key bindings.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Mode {
    Normal,
    Modal,
    Palette,
    Filter,
    Editor,
    Picker,
    Help,
}

impl Mode {
    /// Every mode, in declaration order.
    pub const ALL: &'static [Mode] = <Mode as strum::VariantArray>::VARIANTS;

    /// The name keymap files use (`normal`, `modal`, ...).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The mode with this name.
    pub fn parse(name: &str) -> Option<Mode> {
        name.parse().ok()
    }
}

/// Something a key, the palette or the help screen can ask for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Command {
    #[strum(message = "move the selection up")]
    MoveUp,
    #[strum(message = "move the selection down")]
    MoveDown,
    #[strum(message = "move the selection left")]
    MoveLeft,
    #[strum(message = "move the selection right")]
    MoveRight,
    #[strum(message = "jump to the first row")]
    GoTop,
    #[strum(message = "jump to the last row")]
    GoBottom,
    #[strum(message = "scroll up a page")]
    PageUp,
    #[strum(message = "scroll down a page")]
    PageDown,
    #[strum(message = "focus the next pane")]
    NextPane,
    #[strum(message = "focus the previous pane")]
    PrevPane,
    #[strum(message = "focus the region board")]
    FocusRegions,
    #[strum(message = "focus the tenant matrix")]
    FocusTenants,
    #[strum(message = "focus the phase grid")]
    FocusPhases,
    #[strum(message = "focus the log pane")]
    FocusLog,
    #[strum(message = "drill into the selection (region -> tenants -> detail)")]
    DrillDown,
    #[strum(message = "go back (unzoom, clear the filter, back to regions)")]
    Back,
    #[strum(message = "filter rows by regex (region, tenant or state)")]
    Filter,
    #[strum(message = "open the command palette")]
    Palette,
    #[strum(message = "show the keys in effect")]
    Help,
    #[strum(message = "freeze or unfreeze live data for reading")]
    Freeze,
    #[strum(message = "zoom the focused pane, or unzoom")]
    Zoom,
    #[strum(message = "hide or show the log pane")]
    ToggleLog,
    #[strum(message = "leave meridian")]
    Quit,
    #[strum(message = "drain the selected region (weight to 0)")]
    Drain,
    #[strum(message = "restore the selected region to its steady weight")]
    Restore,
    #[strum(message = "restore every region to its steady weight")]
    RestoreAll,
    #[strum(message = "edit weights (shares shown live)")]
    SetWeights,
    #[strum(message = "promote the selected region's database to primary")]
    Promote,
    #[strum(message = "run the selected (or next) phase in a region")]
    RunPhase,
    #[strum(message = "roll the selected tenant back to a revision from its history")]
    Rollback,
    #[strum(message = "ask Argo CD to sync the selected tenant to its target")]
    Sync,
    #[strum(message = "put back the auto-sync a rollback paused")]
    ResumeAutoSync,
    #[strum(message = "stop the selected running phase (press twice)")]
    CancelPhase,
    #[strum(message = "show the rollout: its steps, gates and who did what")]
    Rollout,
    #[strum(message = "rollout: plan the next step, check its gate, or approve it")]
    RolloutNext,
    #[strum(message = "plans waiting for a second person's approval; Enter approves one")]
    Approvals,
    #[strum(message = "confirm: press the action's button (or accept)")]
    Confirm,
    #[strum(message = "cancel and close")]
    Cancel,
    #[strum(message = "next field")]
    NextField,
    #[strum(message = "previous field")]
    PrevField,
    #[strum(message = "tick or untick (acknowledge warnings)")]
    Toggle,
    #[strum(message = "accept the entry")]
    Accept,
    #[strum(message = "weight +1")]
    Increase,
    #[strum(message = "weight -1")]
    Decrease,
    #[strum(message = "weight +10")]
    IncreaseMore,
    #[strum(message = "weight -10")]
    DecreaseMore,
    #[strum(message = "reset the editor to steady-state weights")]
    SteadyWeights,
    #[strum(message = "delete the character before the cursor")]
    DeleteChar,
    #[strum(message = "what is wrong, most urgent first; Enter opens a finding's plan")]
    Findings,
    #[strum(message = "replay: jump to the previous recorded change")]
    PrevChange,
    #[strum(message = "replay: jump to the next recorded change")]
    NextChange,
    #[strum(message = "rollout: start one from a template (parameters, reason, its whole plan)")]
    RolloutStart,
    #[strum(message = "rollout: pause it, with a reason (no step runs, no gate counts)")]
    RolloutPause,
    #[strum(message = "rollout: resume a paused or stopped rollout, with a reason")]
    RolloutResume,
    #[strum(message = "rollout: try the failed step again (the driver)")]
    RolloutRetry,
    #[strum(
        message = "rollout: skip the current step with a comment (production: a second person approves)"
    )]
    RolloutSkip,
    #[strum(message = "rollout: take over driving it, with a reason (audited)")]
    RolloutTake,
    #[strum(
        message = "rollout: switch a failover to ungraceful (leaves out the steps that need the old region)"
    )]
    RolloutUngraceful,
    #[strum(message = "open the selected region to new tenants (sign-ups, in the routing map)")]
    OpenSignups,
    #[strum(message = "close the selected region to new tenants (teardown's first step)")]
    CloseSignups,
    #[strum(
        message = "move the selected tenant's home to the selected cell's region (routing entry only; asks a reason)"
    )]
    MoveTenant,
}

impl Command {
    /// Every command, in declaration order.
    pub const ALL: &'static [Command] = <Command as strum::VariantArray>::VARIANTS;

    /// The stable kebab-case name keymaps use.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// One line for the help screen and the palette.
    pub fn describe(self) -> &'static str {
        strum::EnumMessage::get_message(&self).unwrap_or_default()
    }

    /// The command with this stable name.
    pub fn parse(name: &str) -> Option<Command> {
        name.parse().ok()
    }

    /// Commands that act on the fleet (they open a plan).
    pub fn is_fleet_action(self) -> bool {
        matches!(
            self,
            Command::Drain
                | Command::Restore
                | Command::RestoreAll
                | Command::SetWeights
                | Command::Promote
                | Command::RunPhase
                | Command::Rollback
                | Command::Sync
                | Command::ResumeAutoSync
                | Command::OpenSignups
                | Command::CloseSignups
                | Command::MoveTenant
        )
    }

    /// Commands offered in the palette (everything that makes sense from the board).
    pub fn in_palette(self) -> bool {
        !matches!(
            self,
            Command::Confirm
                | Command::Cancel
                | Command::NextField
                | Command::PrevField
                | Command::Toggle
                | Command::Accept
                | Command::Increase
                | Command::Decrease
                | Command::IncreaseMore
                | Command::DecreaseMore
                | Command::SteadyWeights
                | Command::DeleteChar
                | Command::Palette
        )
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
