//! Providers against real servers on 127.0.0.1 (moto, PostgreSQL, Redis, HTTP services, processes) and the stand-ins where no real server can be had (the Kubernetes API, Cloudflare, Azure Traffic Manager), in-process and through the real binary.

// A test's panic with the value is its report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod alarms;
mod aurora;
mod azure;
mod cli;
mod cloudflare;
mod cloudwatch;
mod config;
mod db;
mod drill_cli;
mod elasticache;
mod faults;
mod health_http;
mod identity_aws;
mod init;
mod kube;
mod kube_standin;
mod preflight;
mod route53;
mod routing;
mod runner_shell;
mod stores;
mod tenant_kv;
mod topology;
mod topology_redis;
mod traffic_cli;
