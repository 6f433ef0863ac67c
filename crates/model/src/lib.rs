//! meridian's model, the ground floor: the fleet file (`fleet`: types, loading,
//! validation, the embedded demo fleet), observed state (`state`: every datum with its age
//! and error), the provider-neutral traffic model (`traffic`), facts about this machine
//! (`host`), the slot grid readings share (`pace`), and synthetic fleets for benches and
//! tests (`synthetic`). It knows no backend and no front end.

pub mod cron;
pub mod fleet;
pub mod host;
pub mod pace;
pub mod state;
pub mod synthetic;
pub mod traffic;
