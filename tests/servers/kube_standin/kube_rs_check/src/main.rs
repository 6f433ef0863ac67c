//! kube-rs 5 against the stand-in: discovery (legacy and aggregated), typed clients, 409s,
//! server-side apply, DynamicObject Applications, the watcher (list-watch and streaming
//! lists) following a sync, and a 410 on an expired watch. Prints what it saw.
//! Run: cargo run -- KUBECONFIG (context us-east-1; start the stand-in with --history 5).
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{
    Api, DynamicObject, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiResource, Discovery};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config};
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("kubeconfig");
    let kc = Kubeconfig::read_from(&path)?;
    let opts = KubeConfigOptions {
        context: Some("us-east-1".into()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kc, &opts).await?;
    let client = Client::try_from(config)?;
    println!(
        "version: {:?}",
        client.apiserver_version().await?.git_version
    );

    let d = Discovery::new(client.clone()).run().await?;
    let groups: Vec<String> = d.groups().map(|g| g.name().to_string()).collect();
    println!("legacy discovery groups: {groups:?}");
    let d = Discovery::new(client.clone()).run_aggregated().await?;
    let groups: Vec<String> = d.groups().map(|g| g.name().to_string()).collect();
    println!("aggregated discovery groups: {groups:?}");
    let (app_res, caps) = d
        .get("argoproj.io")
        .and_then(|g| g.recommended_kind("Application"))
        .expect("Application discovered");
    println!(
        "Application: plural {} scope {:?} subresources {:?}",
        app_res.plural,
        caps.scope,
        caps.subresources
            .iter()
            .map(|s| s.0.plural.clone())
            .collect::<Vec<_>>()
    );

    let ns: Api<Namespace> = Api::all(client.clone());
    println!(
        "namespaces: {}",
        ns.list(&ListParams::default()).await?.items.len()
    );

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    println!(
        "get_opt missing: {:?}",
        cms.get_opt("nope").await?.is_none()
    );
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "k"}, "data": {"a": "1"}}))?;
    let made = cms.create(&PostParams::default(), &cm).await?;
    let rv = made.metadata.resource_version.clone().unwrap();
    match cms.create(&PostParams::default(), &cm).await {
        Err(kube::Error::Api(s)) => println!("create twice: {} {}", s.code, s.reason),
        other => println!("create twice UNEXPECTED: {other:?}"),
    }
    let p = json!({"metadata": {"resourceVersion": rv}, "data": {"b": "2"}});
    cms.patch("k", &PatchParams::default(), &Patch::Merge(&p))
        .await?;
    match cms
        .patch("k", &PatchParams::default(), &Patch::Merge(&p))
        .await
    {
        Err(kube::Error::Api(s)) => println!("stale merge patch: {} {}", s.code, s.reason),
        other => println!("stale merge patch UNEXPECTED: {other:?}"),
    }
    let ssa = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "k"}, "data": {"c": "3"}});
    let applied = cms
        .patch(
            "k",
            &PatchParams::apply("meridian").force(),
            &Patch::Apply(&ssa),
        )
        .await?;
    println!("after apply: {:?}", applied.data);
    let mut stale = made.clone();
    stale.data = Some([("z".to_string(), "9".to_string())].into());
    match cms.replace("k", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(s)) => println!("stale replace: {} {}", s.code, s.reason),
        other => println!("stale replace UNEXPECTED: {other:?}"),
    }
    let deleted = cms.delete("k", &Default::default()).await?;
    println!("delete: {}", deleted.is_right());

    let leases: Api<Lease> = Api::namespaced(client.clone(), "default");
    let lease: Lease = serde_json::from_value(
        json!({"metadata": {"name": "lock"}, "spec": {"holderIdentity": "a"}}),
    )?;
    let l = leases.create(&PostParams::default(), &lease).await?;
    let mut l2 = l.clone();
    l2.spec.as_mut().unwrap().holder_identity = Some("b".into());
    leases.replace("lock", &PostParams::default(), &l2).await?;
    match leases.replace("lock", &PostParams::default(), &l2).await {
        Err(kube::Error::Api(s)) => println!("stale lease replace: {} {}", s.code, s.reason),
        other => println!("stale lease replace UNEXPECTED: {other:?}"),
    }

    let ar = ApiResource::from_gvk_with_plural(
        &kube::api::GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
        "applications",
    );
    let apps: Api<DynamicObject> = Api::namespaced_with(client.clone(), "argocd", &ar);
    let app: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "checkout", "namespace": "argocd", "labels": {"team": "pay"}},
        "spec": {"project": "default", "source": {"repoURL": "https://git.example.com/x.git", "targetRevision": "main", "path": "p"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"}}
    }))?;
    apps.create(&PostParams::default(), &app).await?;
    println!(
        "apps by label: {}",
        apps.list(&ListParams::default().labels("team=pay"))
            .await?
            .items
            .len()
    );
    println!(
        "apps by field: {}",
        apps.list(&ListParams::default().fields("metadata.name=checkout"))
            .await?
            .items
            .len()
    );

    for streaming in [false, true] {
        let cfg = if streaming {
            watcher::Config::default().streaming_lists()
        } else {
            watcher::Config::default()
        };
        let mut stream = watcher(apps.clone(), cfg).default_backoff().boxed();
        let mut seen = vec![];
        while let Some(ev) = stream.try_next().await? {
            let tag = match &ev {
                watcher::Event::Init => "Init",
                watcher::Event::InitApply(_) => "InitApply",
                watcher::Event::InitDone => "InitDone",
                watcher::Event::Apply(_) => "Apply",
                watcher::Event::Delete(_) => "Delete",
            };
            seen.push(tag);
            if tag == "InitDone" {
                let op = json!({"operation": {"sync": {"revision": ""}, "initiatedBy": {"username": "kube-rs"}}});
                apps.patch("checkout", &PatchParams::default(), &Patch::Merge(&op))
                    .await?;
            }
            if let watcher::Event::Apply(o) = &ev {
                let phase = o.data["status"]["operationState"]["phase"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                if phase == "Succeeded" && o.data.get("operation").is_none() {
                    seen.push("(Succeeded)");
                    break;
                }
            }
        }
        println!("watcher streaming={streaming}: {seen:?}");
        let reset = json!({"status": {"operationState": null}});
        apps.patch("checkout", &PatchParams::default(), &Patch::Merge(&reset))
            .await?;
    }

    // A raw watch from a resourceVersion that is too old must surface a 410.
    let mut w = cms
        .watch(&WatchParams::default().timeout(2), "1")
        .await?
        .boxed();
    while let Some(ev) = w.try_next().await? {
        match ev {
            WatchEvent::Error(e) => {
                println!("old watch: error {} {}", e.code, e.reason);
                break;
            }
            other => println!("old watch: {:?}", std::mem::discriminant(&other)),
        }
    }
    Ok(())
}
