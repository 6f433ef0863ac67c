//! Mutation fuzzing of everything meridian parses from people: fleet files, keymaps,
//! themes and command lines. The shipped files are the corpus; each case applies a few
//! mutations (bytes flipped, tokens and edge numbers inserted, lines cut, swapped and
//! spliced, bytes that are not UTF-8) with a seeded generator, so a failure names a case
//! that replays exactly. Every case must finish without a panic, within a generous
//! deadline (a hang detector, not a speed test), and every error must name file, line and
//! column inside the text.
//!
//! `MERIDIAN_FUZZ_CASES` (per parser, default 1500) and `MERIDIAN_FUZZ_SEED` run longer or
//! other campaigns.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use clap::Parser;
use meridian::cli::{Cli, Command, parse_weight};
use meridian::fleet::{FleetSource, parse_bytes};
use meridian::tui::config_error::{self, ConfigError};
use meridian::tui::{keymap, theme};

#[path = "../support/mutate.rs"]
mod mutate;

use mutate::{Rng, mutate};

/// Longest any single case may take before the test calls it a hang.
const CASE_DEADLINE: Duration = Duration::from_secs(10);

/// An error must point inside the text it came from.
fn check_position(input: &[u8], line: usize, column: usize, shown: &str) -> Result<(), String> {
    let lines: Vec<&[u8]> = input.split(|c| *c == b'\n').collect();
    let Some(text) = lines.get(line.wrapping_sub(1)) else {
        return Err(format!(
            "line {line} is outside the text ({} lines): {shown}",
            lines.len()
        ));
    };
    if column == 0 || column > text.len() + 1 {
        return Err(format!("column {column} is outside line {line}: {shown}"));
    }
    Ok(())
}

fn check_config_error(input: &[u8], files: &[&str], e: &ConfigError) -> Result<(), String> {
    let shown = e.to_string();
    if !files.contains(&e.file.as_str()) {
        return Err(format!("error names no file of the input: {shown}"));
    }
    let Some(at) = e.at else {
        return Err(format!("error without line and column: {shown}"));
    };
    check_position(input, at.line, at.column, &shown)?;
    if !shown.starts_with(&format!("{}:{}:{}: ", e.file, at.line, at.column))
        || e.problem.is_empty()
    {
        return Err(format!("badly formed error: {shown}"));
    }
    Ok(())
}

fn fleet_case(input: &[u8]) -> Result<(), String> {
    match parse_bytes(input, "fleet.toml", FleetSource::Demo) {
        Ok(_) => Ok(()),
        Err(errors) if errors.0.is_empty() => Err("refused without an error".into()),
        Err(errors) => errors.0.iter().try_for_each(|e| {
            let shown = e.to_string();
            if e.file != "fleet.toml" || e.message.is_empty() || shown.contains("secret@") {
                return Err(format!("badly formed error: {shown}"));
            }
            check_position(input, e.line, e.column, &shown)
        }),
    }
}

fn keymap_case(input: &[u8]) -> Result<(), String> {
    let text = match config_error::decode("keymap.toml", input) {
        Ok(t) => t,
        Err(e) => return check_config_error(input, &["keymap.toml"], &e),
    };
    let base = if input.len().is_multiple_of(2) {
        "default"
    } else {
        "vim"
    };
    match keymap::load_from_sources(base, Some(("keymap.toml", text))) {
        Ok(_) => Ok(()),
        Err(e) => check_config_error(input, &["keymap.toml"], &e),
    }
}

/// `mine.toml` is the mutated theme; `other.toml` inherits it, so circles can form.
fn theme_case(input: &[u8]) -> Result<(), String> {
    let text = match config_error::decode("mine.toml", input) {
        Ok(t) => t,
        Err(e) => return check_config_error(input, &["mine.toml"], &e),
    };
    let other = "inherits = \"mine\"\n[roles]\nok = { fg = \"green\" }\n";
    let user = [("mine", "mine.toml", text), ("other", "other.toml", other)];
    match theme::load_from_sources("mine", &user, input.len().is_multiple_of(3)) {
        Ok(_) => Ok(()),
        // A circle through other.toml is blamed on other.toml's `inherits`.
        Err(e) if e.file == "other.toml" => {
            check_config_error(other.as_bytes(), &["other.toml"], &e)
        }
        Err(e) => check_config_error(input, &["mine.toml"], &e),
    }
}

const ARGS: &[&str] = &[
    "status",
    "drain",
    "restore",
    "weights",
    "promote",
    "rollback",
    "phase",
    "run",
    "audit",
    "config",
    "check",
    "paths",
    "demo",
    "reset",
    "fault",
    "down",
    "lag",
    "flap",
    "clear",
    "eu-west-1",
    "us-east-1",
    "x=1",
    "eu-west-1=-1",
    "eu-west-1=256",
    "eu-west-1=99999999999",
    "eu-west-1=",
    "=5",
    "a=b=c",
    "--json",
    "--yes",
    "--dry-run",
    "--read-only",
    "--demo",
    "--reason",
    "--override",
    "--sim-speed",
    "--sim-speed=1e-300",
    "--sim-speed=-1",
    "--sim-speed=nan",
    "--sim-speed=0",
    "--seed",
    "--seed=-1",
    "--seed=18446744073709551616",
    "--limit",
    "--limit=-1",
    "--to",
    "--region",
    "--theme",
    "--keymap",
    "-c",
    "--",
    "-",
    "",
    "é",
    "\u{202e}",
    "--accept-data-loss",
    "--help",
    "--version",
    "-y",
    "1e308",
    "NaN",
];

fn cli_case(rng: &mut Rng) -> Result<(), String> {
    let n = rng.below(7);
    let mut argv = vec!["meridian".to_string()];
    for _ in 0..n {
        argv.push(rng.pick(ARGS).to_string());
    }
    match Cli::try_parse_from(&argv) {
        Ok(cli) => {
            if let Some(Command::Weights { weights, .. }) = &cli.command {
                let rules = [
                    meridian::traffic::rules::ROUTE53,
                    meridian::traffic::rules::AZURE,
                    meridian::traffic::rules::CLOUDFLARE,
                ];
                for (w, rules) in weights
                    .iter()
                    .flat_map(|w| rules.iter().map(move |r| (w, r)))
                {
                    if let Err(e) = parse_weight(w, rules)
                        && !e.message.contains(w.as_str())
                    {
                        return Err(format!(
                            "{argv:?}: the error does not name the argument: {}",
                            e.message
                        ));
                    }
                }
            }
            Ok(())
        }
        Err(e) if e.to_string().trim().is_empty() => Err(format!("{argv:?}: an empty error")),
        Err(_) => Ok(()),
    }
}

/// Run `cases` cases of one parser on a worker thread, each under the deadline.
fn campaign(
    name: &'static str,
    cases: usize,
    run: impl Fn(&mut Rng) -> (String, Result<(), String>) + Send + 'static,
) {
    let seed: u64 = std::env::var("MERIDIAN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6d65_7269_6469_616e);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for case in 0..cases {
            let mut rng = Rng(seed ^ (case as u64).wrapping_mul(0x9e37_79b9) ^ name.len() as u64);
            let outcome = catch_unwind(AssertUnwindSafe(|| run(&mut rng)));
            let report = match outcome {
                Ok((_, Ok(()))) => Ok(()),
                Ok((input, Err(why))) => Err(format!("{why}\ninput: {input}")),
                Err(_) => Err("panicked (message above)".to_string()),
            };
            if tx.send((case, report)).is_err() {
                return;
            }
        }
    });
    for expected in 0..cases {
        match rx.recv_timeout(CASE_DEADLINE) {
            Ok((case, Ok(()))) => assert_eq!(case, expected),
            Ok((case, Err(why))) => panic!("{name} case {case} (seed {seed}): {why}"),
            Err(_) => {
                panic!("{name} case {expected} (seed {seed}) did not finish in {CASE_DEADLINE:?}")
            }
        }
    }
}

fn cases() -> usize {
    std::env::var("MERIDIAN_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500)
}

fn corpus(files: &[&str]) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| {
            let path = format!("{}/{f}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect()
}

fn file_campaign(name: &'static str, files: &[&str], check: fn(&[u8]) -> Result<(), String>) {
    let corpus = corpus(files);
    campaign(name, cases(), move |rng| {
        let seed = rng.pick(&corpus).clone();
        let input = mutate(rng, &seed, &corpus);
        let shown = String::from_utf8_lossy(&input).chars().take(3000).collect();
        (shown, check(&input))
    });
}

#[test]
fn fleet_files() {
    file_campaign(
        "fleet",
        &["crates/model/src/fleet/demo.toml", "examples/fleet.toml"],
        fleet_case,
    );
}

#[test]
fn keymaps() {
    file_campaign(
        "keymap",
        &["keymaps/default.toml", "keymaps/vim.toml"],
        keymap_case,
    );
}

#[test]
fn themes() {
    let files = [
        "themes/dark.toml",
        "themes/light.toml",
        "themes/high-contrast.toml",
        "themes/colour-blind.toml",
    ];
    file_campaign("theme", &files, theme_case);
}

#[test]
fn command_lines() {
    campaign("cli", cases() * 2, |rng| (String::new(), cli_case(rng)));
}

#[test]
fn the_mutator_reaches_the_error_paths() {
    // A fuzzer that only ever produced valid files would prove nothing.
    let corpus = corpus(&["crates/model/src/fleet/demo.toml"]);
    let mut rng = Rng(1);
    let (mut ok, mut invalid, mut not_utf8) = (0, 0, 0);
    for _ in 0..300 {
        let input = mutate(&mut rng, &corpus[0], &corpus);
        match parse_bytes(&input, "fleet.toml", FleetSource::Demo) {
            Ok(_) => ok += 1,
            Err(e) if e.to_string().contains("not UTF-8") => not_utf8 += 1,
            Err(_) => invalid += 1,
        }
    }
    assert!(
        ok > 10 && invalid > 100 && not_utf8 > 5,
        "ok {ok}, invalid {invalid}, not UTF-8 {not_utf8}"
    );
}
