//! Keymap and theme loading: merges, unbinding, and every mistake stopping start-up with
//! file, line and the problem.

use meridian::tui::command::{Command, Mode};
use meridian::tui::keymap::{self, KeyChord};
use meridian::tui::theme::{self, Role};

fn key_err(user: &str) -> String {
    match keymap::load_from_sources("default", Some(("keymap.toml", user))) {
        Ok(_) => panic!("expected an error for:\n{user}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn embedded_keymaps_load() {
    for (name, _) in keymap::EMBEDDED {
        let k = keymap::load_from_sources(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            k.key_for(Mode::Normal, Command::Drain).as_deref(),
            Some("d")
        );
    }
    let vim = keymap::load_from_sources("vim", None).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        vim.keys_for(Mode::Normal, Command::MoveDown)
            .contains(&"j".to_string())
    );
}

#[test]
fn user_overrides_merge_and_unbind() {
    let user = "[normal]\n\"D\" = \"drain\"\n\"d\" = \"none\"\n\"ctrl-r\" = \"restore-all\"\n";
    let k = keymap::load_from_sources("default", Some(("keymap.toml", user)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        k.keys_for(Mode::Normal, Command::Drain),
        vec!["D".to_string()]
    );
    assert!(
        k.keys_for(Mode::Normal, Command::RestoreAll)
            .contains(&"C-r".to_string())
    );
    // Everything else is still there.
    assert_eq!(k.key_for(Mode::Normal, Command::Quit).as_deref(), Some("q"));
}

#[test]
fn sequences_resolve_through_the_trie() {
    let k = keymap::load_from_sources("default", None).unwrap_or_else(|e| panic!("{e}"));
    let mut pending = keymap::PendingKeys::default();
    let g = KeyChord::parse("g").unwrap_or_else(|e| panic!("{e}"));
    let q = KeyChord::parse("q").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, 0),
        keymap::Lookup::Pending
    );
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, 0),
        keymap::Lookup::Command(Command::GoTop)
    );
    // A sequence that leads nowhere is dropped and the key tried on its own.
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, 0),
        keymap::Lookup::Pending
    );
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, q, 0),
        keymap::Lookup::Command(Command::Quit)
    );
    assert!(pending.is_empty());
}

#[test]
fn unknown_action_names_file_line_and_suggestion() {
    let e = key_err("[normal]\n\"x\" = \"run-phase\"\n\"Z\" = \"drian\"\n");
    assert!(e.starts_with("keymap.toml:3:"), "{e}");
    assert!(e.contains("unknown action \"drian\""), "{e}");
    assert!(e.contains("did you mean \"drain\""), "{e}");
}

#[test]
fn unparseable_key_is_an_error() {
    let e = key_err("[normal]\n\n\"hyper-q\" = \"quit\"\n");
    assert!(e.starts_with("keymap.toml:3:"), "{e}");
    assert!(e.contains("cannot read key"), "{e}");
    let e = key_err("[normal]\n\"f13\" = \"quit\"\n");
    assert!(e.contains("f13"), "{e}");
}

#[test]
fn conflicting_bindings_are_errors() {
    // The same key twice, spelled two ways.
    let e = key_err("[normal]\n\"G\" = \"go-top\"\n\"shift-g\" = \"go-bottom\"\n");
    assert!(e.starts_with("keymap.toml:3:"), "{e}");
    assert!(e.contains("conflicting binding"), "{e}");
    // A key that is also the start of a sequence (`g` vs the default `g g`).
    let e = key_err("[normal]\n\"g\" = \"go-top\"\n");
    assert!(e.starts_with("keymap.toml:2:"), "{e}");
    assert!(e.contains("is the start of"), "{e}");
}

#[test]
fn other_keymap_mistakes() {
    assert!(key_err("[nromal]\n\"q\" = \"quit\"\n").contains("keymap.toml:1"));
    assert!(key_err("[normal]\n\"y\" = \"none\"\n").contains("nothing is bound"));
    assert!(key_err("[normal]\n\"+\" = \"increase\"\n").contains("does nothing in normal mode"));
    assert!(key_err("inherits = \"vim\"\n").contains("not allowed"));
    assert!(key_err("[normal\n").starts_with("keymap.toml:1"));
    let e = keymap::load_from_sources("emacs", None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("unknown keymap \"emacs\""), "{e}");
}

fn theme_err(name: &str, user: &[(&str, &str, &str)]) -> String {
    match theme::load_from_sources(name, user, false) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn embedded_themes_load_and_user_themes_inherit() {
    for name in ["dark", "light", "high-contrast", "colour-blind"] {
        assert!(theme::load_from_sources(name, &[], false).is_ok(), "{name}");
    }
    let user = [(
        "mine",
        "/cfg/themes/mine.toml",
        "inherits = \"light\"\n[roles]\naccent = { fg = \"#ff8800\" }\n",
    )];
    let t = theme::load_from_sources("mine", &user, false).unwrap_or_else(|e| panic!("{e}"));
    let light = theme::load_from_sources("light", &[], false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        t.get(Role::Accent).fg,
        Some(ratatui::style::Color::Rgb(255, 136, 0))
    );
    assert_eq!(t.get(Role::Ok), light.get(Role::Ok));
}

#[test]
fn theme_mistakes_name_file_and_line() {
    let bad_role = [(
        "mine",
        "mine.toml",
        "[roles]\naccent = { fg = \"red\" }\naccnet = { fg = \"red\" }\n",
    )];
    let e = theme_err("mine", &bad_role);
    assert!(e.starts_with("mine.toml:3:"), "{e}");
    assert!(e.contains("unknown role \"accnet\""), "{e}");
    let bad_colour = [(
        "mine",
        "mine.toml",
        "[roles]\n\nok = { fg = \"blurple\" }\n",
    )];
    let e = theme_err("mine", &bad_colour);
    assert!(
        e.starts_with("mine.toml:3:") && e.contains("unknown colour"),
        "{e}"
    );
    let bad_parent = [("mine", "mine.toml", "inherits = \"drak\"\n")];
    let e = theme_err("mine", &bad_parent);
    assert!(
        e.starts_with("mine.toml:1:") && e.contains("did you mean \"dark\""),
        "{e}"
    );
    assert!(theme_err("nope", &[]).contains("unknown theme \"nope\""));
    let bad_key = [("mine", "mine.toml", "[roles]\nok = { colour = \"red\" }\n")];
    assert!(theme_err("mine", &bad_key).starts_with("mine.toml:2"));
}

#[test]
fn loops_misplaced_inherits_and_bad_bytes_are_located() {
    let circle = [
        ("a", "a.toml", "inherits = \"b\"\n"),
        ("b", "b.toml", "# b\ninherits = \"a\"\n"),
    ];
    let e = theme_err("a", &circle);
    assert_eq!(e, "b.toml:2:12: themes inherit in a circle: a -> b -> a");
    let e = key_err("\n\ninherits = \"vim\"\n");
    assert!(
        e.starts_with("keymap.toml:3:12: ") && e.contains("not allowed"),
        "{e}"
    );
    for (file, bytes) in [
        ("keymap.toml", &b"[normal]\n\"q\" = \"qu\xffit\"\n"[..]),
        ("mine.toml", &b"[roles]\n\xc3\x28 = {}\n"[..]),
    ] {
        let e = meridian::tui::config_error::decode(file, bytes)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with(&format!("{file}:2:")) && e.contains("not UTF-8"),
            "{e}"
        );
    }
}

#[test]
fn no_color_keeps_meaning_without_colour() {
    let t = theme::load_from_sources("dark", &[], true).unwrap_or_else(|e| panic!("{e}"));
    for r in Role::ALL {
        assert_eq!(t.get(*r).fg, None);
        assert_eq!(t.get(*r).bg, None);
    }
    assert!(
        t.get(Role::Production)
            .add_modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}

#[test]
fn the_binary_refuses_to_start_on_a_bad_keymap() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cfg = dir.path().join("meridian");
    std::fs::create_dir_all(&cfg).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        cfg.join("keymap.toml"),
        "[normal]\n\"q\" = \"quit\"\n\"Q\" = \"qiut\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = assert_cmd::Command::cargo_bin("meridian")
        .unwrap_or_else(|e| panic!("{e}"))
        .env("XDG_CONFIG_HOME", dir.path())
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keymap.toml:3:") && err.contains("unknown action \"qiut\""),
        "{err}"
    );
    let out = assert_cmd::Command::cargo_bin("meridian")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["--theme", "neon"])
        .env("XDG_CONFIG_HOME", dir.path().join("none"))
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown theme \"neon\""));
}

#[test]
fn a_broken_user_theme_stops_start_up_even_when_not_chosen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let themes = dir.path().join("meridian/themes");
    std::fs::create_dir_all(&themes).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        themes.join("mine.toml"),
        "[roles]\nok = { fg = \"grene\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = assert_cmd::Command::cargo_bin("meridian")
        .unwrap_or_else(|e| panic!("{e}"))
        .env("XDG_CONFIG_HOME", dir.path())
        .env("MERIDIAN_STATE_DIR", dir.path().join("state"))
        .env("MERIDIAN_SIM_SPEED", "0")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mine.toml:2:") && err.contains("unknown colour \"grene\""),
        "{err}"
    );
}

#[test]
fn an_unfinished_sequence_times_out() {
    let k = keymap::load_from_sources("default", None).unwrap_or_else(|e| panic!("{e}"));
    let mut pending = keymap::PendingKeys::default();
    let g = KeyChord::parse("g").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, 10_000),
        keymap::Lookup::Pending
    );
    let later = 10_000 + keymap::SEQUENCE_TIMEOUT_MS + 1;
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, later),
        keymap::Lookup::Pending,
        "starts afresh"
    );
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, later + 200),
        keymap::Lookup::Command(Command::GoTop)
    );
    assert_eq!(
        k.resolve(Mode::Normal, &mut pending, g, 0),
        keymap::Lookup::Pending
    );
    assert!(pending.expire(keymap::SEQUENCE_TIMEOUT_MS + 1));
    assert!(pending.is_empty());
}
