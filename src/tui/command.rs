//! The dashboard's commands by stable kebab-case name. Keymaps, the palette and the help
//! screen all refer to commands by these names, so an unknown name can fail at load.

use std::fmt;

/// An input mode: each has its own key bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    pub const ALL: &'static [Mode] = &[
        Mode::Normal,
        Mode::Modal,
        Mode::Palette,
        Mode::Filter,
        Mode::Editor,
        Mode::Picker,
        Mode::Help,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Modal => "modal",
            Mode::Palette => "palette",
            Mode::Filter => "filter",
            Mode::Editor => "editor",
            Mode::Picker => "picker",
            Mode::Help => "help",
        }
    }

    pub fn parse(name: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.name() == name)
    }
}

macro_rules! commands {
    ($($variant:ident $name:literal $doc:literal;)*) => {
        /// Something a key, the palette or the help screen can ask for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command { $($variant,)* }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The stable kebab-case name keymaps use.
            pub fn name(self) -> &'static str {
                match self { $(Command::$variant => $name,)* }
            }

            /// One line for the help screen and the palette.
            pub fn describe(self) -> &'static str {
                match self { $(Command::$variant => $doc,)* }
            }
        }
    };
}

commands! {
    MoveUp "move-up" "move the selection up";
    MoveDown "move-down" "move the selection down";
    MoveLeft "move-left" "move the selection left";
    MoveRight "move-right" "move the selection right";
    GoTop "go-top" "jump to the first row";
    GoBottom "go-bottom" "jump to the last row";
    PageUp "page-up" "scroll up a page";
    PageDown "page-down" "scroll down a page";
    NextPane "next-pane" "focus the next pane";
    PrevPane "prev-pane" "focus the previous pane";
    FocusRegions "focus-regions" "focus the region board";
    FocusTenants "focus-tenants" "focus the tenant matrix";
    FocusPhases "focus-phases" "focus the phase grid";
    FocusLog "focus-log" "focus the log pane";
    DrillDown "drill-down" "drill into the selection (region -> tenants -> detail)";
    Back "back" "go back (unzoom, clear the filter, back to regions)";
    Filter "filter" "filter rows by regex (region, tenant or state)";
    Palette "palette" "open the command palette";
    Help "help" "show the keys in effect";
    Freeze "freeze" "freeze or unfreeze live data for reading";
    Zoom "zoom" "zoom the focused pane, or unzoom";
    ToggleLog "toggle-log" "hide or show the log pane";
    Quit "quit" "leave meridian";
    Drain "drain" "drain the selected region (weight to 0)";
    Restore "restore" "restore the selected region to its steady weight";
    RestoreAll "restore-all" "restore every region to its steady weight";
    SetWeights "set-weights" "edit weights (shares shown live)";
    Promote "promote" "promote the selected region's database to primary";
    RunPhase "run-phase" "run the selected (or next) phase in a region";
    Rollback "rollback" "roll the selected tenant back to a revision from its history";
    Sync "sync" "ask Argo CD to sync the selected tenant to its target";
    ResumeAutoSync "resume-auto-sync" "put back the auto-sync a rollback paused";
    Confirm "confirm" "confirm: press the action's button (or accept)";
    Cancel "cancel" "cancel and close";
    NextField "next-field" "next field";
    PrevField "prev-field" "previous field";
    Toggle "toggle" "tick or untick (acknowledge warnings)";
    Accept "accept" "accept the entry";
    Increase "increase" "weight +1";
    Decrease "decrease" "weight -1";
    IncreaseMore "increase-more" "weight +10";
    DecreaseMore "decrease-more" "weight -10";
    SteadyWeights "steady-weights" "reset the editor to steady-state weights";
    DeleteChar "delete-char" "delete the character before the cursor";
}

impl Command {
    pub fn parse(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
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
