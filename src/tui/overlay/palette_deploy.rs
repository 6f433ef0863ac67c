//! `deploy TENANT REGION [--set KEY=VALUE]... [--version V]` typed into the palette: the
//! same request `meridian deploy` builds. The plan (with its rendered diff) is made by the
//! app; here only the words are read.

use crate::actions::{Action, Request};

/// Is the query a deploy with arguments? Then the request, or why the words do not make one.
pub fn deploy_request(query: &str) -> Option<Result<Request, String>> {
    let rest = query.trim().strip_prefix("deploy ")?;
    let mut words = rest.split_whitespace();
    let usage = "deploy TENANT REGION [--set KEY=VALUE]... [--version V]";
    let (Some(tenant), Some(region)) = (words.next(), words.next()) else {
        return Some(Err(format!("usage: {usage}")));
    };
    let mut set = Vec::new();
    let mut version = None;
    while let Some(w) = words.next() {
        match w {
            "--set" => match words.next().and_then(|kv| kv.split_once('=')) {
                Some((k, v)) if !k.is_empty() => set.push((k.to_string(), v.to_string())),
                _ => return Some(Err(format!("--set takes KEY=VALUE; usage: {usage}"))),
            },
            "--version" => match words.next() {
                Some(v) => version = Some(v.to_string()),
                None => {
                    return Some(Err(format!(
                        "--version takes a chart version; usage: {usage}"
                    )));
                }
            },
            other => return Some(Err(format!("unexpected \"{other}\"; usage: {usage}"))),
        }
    }
    Some(Ok(Request::new(Action::Deploy {
        tenant: tenant.to_string(),
        region: region.to_string(),
        version,
        set,
        values: Vec::new(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_make_the_request_the_cli_would() {
        let r = deploy_request("deploy aragora eastus --set image.digest=sha256:ab --set a=b=c")
            .unwrap()
            .unwrap();
        match r.action {
            Action::Deploy {
                tenant,
                region,
                set,
                version,
                ..
            } => {
                assert_eq!((tenant.as_str(), region.as_str()), ("aragora", "eastus"));
                assert_eq!(
                    set,
                    vec![
                        ("image.digest".to_string(), "sha256:ab".to_string()),
                        ("a".to_string(), "b=c".to_string())
                    ]
                );
                assert_eq!(version, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(deploy_request("deploy aragora").unwrap().is_err());
        assert!(deploy_request("deploy a b --set nothing").unwrap().is_err());
        assert!(deploy_request("drain").is_none());
    }
}
