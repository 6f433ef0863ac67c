//! The fleet file: types, loading, validation, and the embedded demo fleet.

mod action;
pub mod approval;
mod clusters;
pub mod error;
pub mod freeze;
pub mod load;
pub mod model;
pub mod probes;
pub mod raw;
pub mod reference;
pub mod rollout;
pub mod schema;
pub mod settings;
pub mod step;
pub mod suggest;

pub use action::{Action, Via};
pub use approval::{ApprovalKind, ApprovalPolicy, ApprovalRule, IdentityPolicy, IdentitySource};
pub use error::{ConfigError, ConfigErrors};
pub use load::{LoadError, demo, load_file, parse, parse_bytes};
pub use model::*;
