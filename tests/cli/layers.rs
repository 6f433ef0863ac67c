//! No module imports from a layer above its own. Between crates the compiler holds this
//! (a lower crate does not depend on a higher one); inside a crate this test does, by
//! reading every source file for `crate::<module>` paths.

use std::path::{Path, PathBuf};

/// For each crate, its top-level modules from the ground up; a module may use those
/// before it in the list, never those after.
const LAYERS: &[(&str, &[&[&str]])] = &[
    (
        "crates/model/src",
        &[
            &["host", "pace", "cron"],
            &["traffic"],
            &["fleet"],
            &["state"],
            &["synthetic"],
        ],
    ),
    ("crates/core/src", &[&["engine"], &["actions"]]),
    (
        "src",
        &[
            &["alloc", "paths", "signals"],
            &["session"],
            // The two front ends: neither imports the other.
            &["cli"],
            &["tui"],
        ],
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`crates/core/src/actions/plan.rs` -> actions).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn layer_of(layers: &[&[&str]], module: &str) -> Option<usize> {
    layers.iter().position(|l| l.contains(&module))
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let mut wrong = Vec::new();
    for (dir, layers) in LAYERS {
        let src = root().join(dir);
        let mut files = Vec::new();
        sources(&src, &mut files);
        assert!(!files.is_empty(), "no sources under {dir}");
        for file in files {
            let from = module_of(&src, &file);
            let Some(mine) = layer_of(layers, &from) else {
                continue;
            };
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let used: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    // The front ends share a layer each; `cli` and `tui` sit side by side.
                    let above = match layer_of(layers, &used) {
                        Some(theirs) if from == "cli" || from == "tui" => {
                            theirs > mine || (used != from && (used == "cli" || used == "tui"))
                        }
                        Some(theirs) => theirs > mine,
                        None => false,
                    };
                    if above {
                        wrong.push(format!(
                            "{}:{}: {from} uses crate::{used}",
                            file.strip_prefix(root()).unwrap().display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports from a higher layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_lower_crate_depends_on_no_higher_one() {
    let order = ["meridian-model", "meridian-providers", "meridian-core"];
    for (i, krate) in order.iter().enumerate() {
        let dir = krate.trim_start_matches("meridian-");
        let manifest =
            std::fs::read_to_string(root().join("crates").join(dir).join("Cargo.toml")).unwrap();
        for higher in &order[i + 1..] {
            assert!(
                !manifest.contains(&format!("{higher}.workspace")),
                "{krate} depends on {higher}"
            );
        }
    }
}
