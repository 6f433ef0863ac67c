//! Where meridian reads its configuration and keeps its state.
//!
//! Config: `$XDG_CONFIG_HOME/meridian/` (fleet.toml, keymap.toml, themes/).
//! State: `$XDG_STATE_HOME/meridian/fleets/<fleet>/` (audit log, lock, simulated world),
//! or `$MERIDIAN_STATE_DIR/fleets/<fleet>/` when that is set.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The user-level directories.
#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    pub config_dir: PathBuf,
    /// The fleet file used when neither `-c` nor `MERIDIAN_CONFIG` names one.
    pub default_fleet_file: PathBuf,
    pub state_root: PathBuf,
    pub themes_dir: PathBuf,
    pub keymap_file: PathBuf,
}

impl Paths {
    /// Resolve from the environment (XDG variables, `MERIDIAN_STATE_DIR`).
    pub fn discover() -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "meridian");
        let config_dir = dirs
            .as_ref()
            .map(|d| d.config_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".meridian"));
        let state_root = match std::env::var_os("MERIDIAN_STATE_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs
                .as_ref()
                .map(|d| {
                    d.state_dir()
                        .unwrap_or_else(|| d.data_local_dir())
                        .to_path_buf()
                })
                .unwrap_or_else(|| PathBuf::from(".meridian-state")),
        };
        Paths {
            default_fleet_file: config_dir.join("fleet.toml"),
            themes_dir: config_dir.join("themes"),
            keymap_file: config_dir.join("keymap.toml"),
            config_dir,
            state_root,
        }
    }

    /// The state files of one fleet.
    pub fn fleet(&self, fleet_name: &str) -> FleetPaths {
        FleetPaths::new(&self.state_root.join("fleets").join(fleet_name))
    }
}

/// The state files of one fleet.
#[derive(Debug, Clone, Serialize)]
pub struct FleetPaths {
    pub dir: PathBuf,
    pub audit_log: PathBuf,
    pub lock_file: PathBuf,
    pub sim_world: PathBuf,
}

impl FleetPaths {
    pub fn new(dir: &Path) -> FleetPaths {
        FleetPaths {
            dir: dir.to_path_buf(),
            audit_log: dir.join("audit.jsonl"),
            lock_file: dir.join("fleet.lock"),
            sim_world: dir.join("sim-world.json"),
        }
    }
}
