//! The engine: reading the fleet through its providers and merging what comes back.

mod live;
mod poll;

pub use live::LivePoller;
pub use poll::poll;
