//! The engine: reading the fleet through its providers and merging what comes back.

mod poll;

pub use poll::poll;
