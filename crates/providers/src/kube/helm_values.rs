//! The deploy's read-back of values: `helm get values NAME -o json` (the values the release
//! was given) compared with every `--set` asked for, and with what the `--values` files
//! asked for (`helm_values_files`), so a deploy that Helm reports as done but with other
//! values (a typo'd key path, a wrapper dropping a flag) is not verified.

use serde_json::Value;

use super::client::Target;
use meridian_model::fleet::Tenant;

use crate::{DeployRequest, Progress, ProviderError, ProviderResult};

/// `value` at a dotted `path` (`image.digest`), as `--set` would have written it.
fn at<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(values, |v, k| v.get(k))
}

/// How `--set` text reads back: strings as they are, numbers and booleans as written.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every asked-for `--set` that the values read back do not hold: `(key, asked, found)`.
pub fn mismatches(
    values: &Value,
    set: &[(String, String)],
) -> Vec<(String, String, Option<String>)> {
    set.iter()
        .filter_map(|(k, asked)| {
            let found = at(values, k).map(text);
            (found.as_deref() != Some(asked.as_str())).then(|| (k.clone(), asked.clone(), found))
        })
        .collect()
}

/// Read the release's values back and compare them with the `--set`s asked for.
pub async fn check(
    t: &Tenant,
    target: &Target,
    req: &DeployRequest,
    progress: &Progress,
) -> ProviderResult<()> {
    if req.set.is_empty() && req.values.is_empty() {
        return Ok(());
    }
    // Read before asking Helm: a file that cannot be read now says so plainly.
    let files = super::helm_values_files::read(&req.values)
        .map_err(|e| ProviderError::new(Some(&req.region), "read --values", e))?;
    let helm = t.helm_binary();
    let mut args = vec![
        "get".to_string(),
        "values".into(),
        t.helm_release_name().to_string(),
        "-o".into(),
        "json".into(),
    ];
    args.extend(super::helm_render::target_flags(t, target));
    let call = "helm get values";
    let out = super::helm_render::run(&helm, &args, &req.region, call).await?;
    let values: Value = serde_json::from_str(out.trim()).map_err(|e| {
        ProviderError::new(
            Some(&req.region),
            call,
            format!("the values helm printed are not JSON ({e})"),
        )
    })?;
    let asked = super::helm_values_files::merged(&files);
    if let Some((key, want, found)) =
        super::helm_values_files::first_mismatch(&asked, &values, &req.set)
    {
        let is = match found {
            Some(f) => format!("{key} is {f}, not {want}"),
            None => format!("{key} is not set (asked {want})"),
        };
        return Err(ProviderError::new(
            Some(&req.region),
            call,
            format!(
                "the release was upgraded but its values are not as the --values files asked: {is}"
            ),
        )
        .with_hint(format!(
            "compare `helm get values` with {}; roll back with `meridian rollback` if the release is wrong",
            req.values.join(", ")
        )));
    }
    let wrong = mismatches(&values, &req.set);
    if wrong.is_empty() {
        let mut said: Vec<String> = req.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !req.values.is_empty() {
            said.push(format!(
                "{} key(s) of {}",
                super::helm_values_files::flatten(&asked).len(),
                req.values.join(", ")
            ));
        }
        progress.say(&format!(
            "{}: helm get values: {} as asked",
            req.region,
            said.join(", ")
        ));
        return Ok(());
    }
    let said: Vec<String> = wrong
        .iter()
        .map(|(k, asked, found)| match found {
            Some(f) => format!("{k} is {f}, not {asked}"),
            None => format!("{k} is not set (asked {asked})"),
        })
        .collect();
    Err(ProviderError::new(
        Some(&req.region),
        call,
        format!(
            "the release was upgraded but its values are not as asked: {}",
            said.join("; ")
        ),
    )
    .with_hint("compare `helm get values` with the deploy's --set; roll back with `meridian rollback` if the release is wrong"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_is_found_at_its_dotted_path_as_written() {
        let v: Value =
            serde_json::json!({"image": {"digest": "sha256:ab", "pull": true}, "replicas": 3});
        let set = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(
            mismatches(
                &v,
                &set(&[
                    ("image.digest", "sha256:ab"),
                    ("replicas", "3"),
                    ("image.pull", "true")
                ])
            )
            .is_empty()
        );
        assert_eq!(
            mismatches(
                &v,
                &set(&[("image.digest", "sha256:cd"), ("image.tag", "1.5")])
            ),
            vec![
                (
                    "image.digest".to_string(),
                    "sha256:cd".to_string(),
                    Some("sha256:ab".to_string())
                ),
                ("image.tag".to_string(), "1.5".to_string(), None),
            ]
        );
    }
}
