//! ApplicationSets: which one generates an app, and whether its controller would put back a
//! hand-set `spec.syncPolicy` (undoing a paused auto-sync, and with it a rollback).

use serde_json::Value;

/// The pointer meridian's rollback changes on a generated app.
const SYNC_POLICY: &str = "/spec/syncPolicy";

/// True when the ApplicationSet leaves the app's `spec.syncPolicy` alone: it only creates
/// apps (`applicationsSync: create-only` or `create-delete`), or an
/// `ignoreApplicationDifferences` rule for this app covers `/spec/syncPolicy`.
pub fn preserves_sync_policy(appset: &Value, app_name: &str) -> bool {
    let policy = appset
        .pointer("/spec/syncPolicy/applicationsSync")
        .and_then(Value::as_str);
    if matches!(policy, Some("create-only" | "create-delete")) {
        return true;
    }
    let Some(rules) = appset
        .pointer("/spec/ignoreApplicationDifferences")
        .and_then(Value::as_array)
    else {
        return false;
    };
    rules.iter().any(|rule| {
        let for_app = rule
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(|n| n.is_empty() || n == app_name);
        let strings = |key: &str| -> Vec<String> {
            rule.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let pointers = strings("jsonPointers").into_iter();
        // jq paths that are plain field paths (`.spec.syncPolicy`) name the same thing.
        let jq = strings("jqPathExpressions")
            .into_iter()
            .filter(|e| {
                e.starts_with('.')
                    && e[1..]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '.' || c == '_')
            })
            .map(|e| e.replace('.', "/"));
        for_app && pointers.chain(jq).any(|p| covers(&p, SYNC_POLICY))
    })
}

/// Does ignoring `pointer` ignore `target`? (A pointer covers itself and what is below it.)
fn covers(pointer: &str, target: &str) -> bool {
    let p = pointer.trim_end_matches('/');
    p.is_empty() || target == p || target.starts_with(&format!("{p}/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plain_applicationset_puts_sync_policy_back() {
        assert!(!preserves_sync_policy(&json!({"spec": {}}), "a"));
        let other = json!({"spec": {"ignoreApplicationDifferences": [{"jsonPointers": ["/spec/source/targetRevision"]}]}});
        assert!(!preserves_sync_policy(&other, "a"));
    }

    #[test]
    fn ignoring_sync_policy_or_creating_only_preserves_it() {
        let ptr = json!({"spec": {"ignoreApplicationDifferences": [{"jsonPointers": ["/spec/syncPolicy"]}]}});
        assert!(preserves_sync_policy(&ptr, "a"));
        let parent =
            json!({"spec": {"ignoreApplicationDifferences": [{"jsonPointers": ["/spec"]}]}});
        assert!(preserves_sync_policy(&parent, "a"));
        let jq = json!({"spec": {"ignoreApplicationDifferences": [{"jqPathExpressions": [".spec.syncPolicy"]}]}});
        assert!(preserves_sync_policy(&jq, "a"));
        let create_only = json!({"spec": {"syncPolicy": {"applicationsSync": "create-only"}}});
        assert!(preserves_sync_policy(&create_only, "a"));
    }

    #[test]
    fn a_rule_named_for_another_app_does_not_count() {
        let named = json!({"spec": {"ignoreApplicationDifferences": [{"name": "b", "jsonPointers": ["/spec/syncPolicy"]}]}});
        assert!(!preserves_sync_policy(&named, "a"));
        assert!(preserves_sync_policy(&named, "b"));
        let prefix =
            json!({"spec": {"ignoreApplicationDifferences": [{"jsonPointers": ["/spec/sync"]}]}});
        assert!(
            !preserves_sync_policy(&prefix, "a"),
            "a pointer covers whole segments only"
        );
    }
}
