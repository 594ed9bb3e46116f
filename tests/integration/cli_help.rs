//! `latchkey --help` and `latchkey serve --help` list every variable with its default.

use latchkey::config::{READ_ELSEWHERE, VARIABLES};

fn help(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .env_clear()
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

#[test]
fn help_lists_every_variable_with_its_default() {
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let text = help(args);
        for variable in VARIABLES.iter().chain(READ_ELSEWHERE) {
            let shown = match variable.default {
                Some(default) => format!("{}={default}", variable.name),
                None => variable.name.to_owned(),
            };
            assert!(
                text.contains(&shown),
                "{args:?} does not show {shown}:\n{text}"
            );
        }
    }
    // The subcommands are still described.
    let top = help(&["--help"]);
    assert!(top.contains("serve") && top.contains("admin"), "{top}");
}
