//! Who is asking, and who approves. The OS user@host; with the fleet lock as a Lease, also
//! the Kubernetes user of the lock's context: `ana@laptop (kube: ana-admin)`. Two
//! identities are the same person when either part matches, so one engineer on two
//! laptops with the same cluster credentials cannot approve their own request.
//! A guard against mistakes, not authentication: both parts come from this machine.

use crate::actions::audit::whoami;
use crate::fleet::Fleet;
use crate::providers::kube::LeasePlace;
use crate::providers::kube::client::context_user;

/// This process's identity for approvals on `fleet`.
pub fn identity(fleet: &Fleet) -> String {
    let me = whoami();
    match LeasePlace::of(fleet).and_then(|p| context_user(&p.target)) {
        Some(user) => format!("{me} (kube: {user})"),
        None => me,
    }
}

/// `ana@laptop (kube: ana-admin)` -> (`ana@laptop`, Some(`ana-admin`)).
fn parts(id: &str) -> (&str, Option<&str>) {
    match id.split_once(" (kube: ") {
        Some((os, rest)) => (os, rest.strip_suffix(')')),
        None => (id, None),
    }
}

/// The same person: the same OS user name (on any host: one engineer on two laptops), or
/// the same cluster identity.
pub fn same_person(a: &str, b: &str) -> bool {
    let ((os_a, kube_a), (os_b, kube_b)) = (parts(a), parts(b));
    let user = |os: &str| os.split('@').next().unwrap_or(os).to_ascii_lowercase();
    user(os_a) == user(os_b) || (kube_a.is_some() && kube_a == kube_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_part_makes_the_same_person() {
        assert!(same_person("ana@a", "ANA@a"));
        assert!(same_person("ana@laptop", "ana@desktop"));
        assert!(!same_person("ana@a", "bo@b"));
        assert!(same_person("ana@a (kube: ana)", "ana2@b (kube: ana)"));
        assert!(same_person("ana@a (kube: ana)", "ana@b (kube: other)"));
        assert!(!same_person("ana@a (kube: ana)", "bo@b (kube: bo)"));
        // Without a cluster identity on one side, only the OS identity counts.
        assert!(!same_person("ana@a", "bo@b (kube: ana)"));
    }
}
