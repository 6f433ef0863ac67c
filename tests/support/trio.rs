//! The lab's shape for replication tests: one primary and two replicas in three regions.

use std::path::Path;

/// The lab's regions, in the order of a trio's servers: primary, replica, second replica.
pub const TRIO_REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-1"];

/// A 3-region fleet on one primary + two replicas of `provider`; connection strings in a
/// secrets file; an RPO budget of 5 s.
pub fn trio_fleet(provider: &str, urls: &[String; 3], dir: &Path) -> meridian::fleet::Fleet {
    fleet_of(provider, urls, dir)
}

/// The same for the first `urls.len()` regions (a primary + replica pair is two).
pub fn fleet_of(provider: &str, urls: &[String], dir: &Path) -> meridian::fleet::Fleet {
    write_secrets(urls, dir);
    let src = fleet_text(provider, urls.len(), dir);
    match meridian::fleet::parse(&src, "trio.toml", meridian::fleet::FleetSource::Demo) {
        Ok(f) => f,
        Err(e) => panic!("test fleet invalid: {e}"),
    }
}

/// The fleet file's text for the first `n` regions, reading `dir/secrets.toml`.
pub fn fleet_text(provider: &str, n: usize, dir: &Path) -> String {
    let secrets = dir.join("secrets.toml");
    let regions: String = TRIO_REGIONS[..n]
        .iter()
        .map(|r| {
            let role = if *r == "us-east-1" {
                "primary"
            } else {
                "secondary"
            };
            format!(
                "[[regions]]\nid = \"{r}\"\nrole = \"{role}\"\nsteady_weight = 30\n\
                 database = {{ provider = \"{provider}\", dsn_file = \"{s}\" }}\n\
                 lag = {{ provider = \"{provider}\", dsn_file = \"{s}\" }}\n",
                s = secrets.display()
            )
        })
        .collect();
    format!("[fleet]\nname = \"trio\"\n[policy]\nrpo_budget = \"5s\"\n{regions}")
}

/// `dir/secrets.toml`: each region's connection string, in `TRIO_REGIONS` order.
pub fn write_secrets(urls: &[String], dir: &Path) {
    let text: String = TRIO_REGIONS
        .iter()
        .zip(urls)
        .map(|(r, u)| format!("\"{r}\" = \"{u}\"\n"))
        .collect();
    std::fs::write(dir.join("secrets.toml"), text).expect("write secrets");
}
