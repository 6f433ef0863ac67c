//! Kubernetes: Argo CD Applications and ApplicationSets (`[gitops] provider = "argocd"`),
//! Helm releases (`helm = { provider = "helm" }` per tenant) and the fleet lock as a Lease
//! (`[lock] provider = "kube"`), with one client per region's kubeconfig context.

pub mod application;
pub mod applicationset;
pub mod argocd;
pub mod client;
pub mod discover;
pub mod error;
pub mod helm;
mod helm_deploy;
pub mod helm_render;
mod helm_rollback;
mod helm_values;
mod helm_values_files;
pub mod lease;
pub mod manifest_diff;
mod operation;
pub mod shared;
mod view;
mod watch;

pub use argocd::ArgoCd;
pub use client::{Clients, Target};
pub use helm::HelmReleases;
pub use lease::{LeaseLock, LeasePlace};
