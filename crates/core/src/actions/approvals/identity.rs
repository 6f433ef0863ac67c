//! Who is asking, and who approves. The OS user@host; with the fleet lock as a Lease, also
//! the Kubernetes user of the lock's context, recorded beside it: `ana@laptop (kube:
//! ana-admin)`. Only the OS user name decides who is the same person: a kubeconfig's user
//! entry is often shared by a whole team (`aws eks update-kubeconfig` names it after the
//! cluster), so comparing it would stop every second person. A guard against mistakes, not
//! authentication: both parts come from this machine.

use meridian_model::fleet::Fleet;
use meridian_model::host::whoami;
use meridian_providers::kube::LeasePlace;
use meridian_providers::kube::client::context_user;

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

/// The same person: the same OS user name, on any host (one engineer on two laptops).
pub fn same_person(a: &str, b: &str) -> bool {
    let user = |id: &str| {
        let os = parts(id).0;
        os.split('@').next().unwrap_or(os).to_ascii_lowercase()
    };
    user(a) == user(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_user_name_decides_on_any_host() {
        assert!(same_person("ana@a", "ANA@a"));
        assert!(same_person("ana@laptop", "ana@desktop"));
        assert!(!same_person("ana@a", "bo@b"));
        assert!(same_person("ana@a (kube: ana)", "ana@b (kube: other)"));
        // A kubeconfig user shared by the team is not one person.
        assert!(!same_person(
            "ana@a (kube: eks-prod)",
            "bo@b (kube: eks-prod)"
        ));
        assert_eq!(parts("ana@a (kube: x)"), ("ana@a", Some("x")));
    }
}
