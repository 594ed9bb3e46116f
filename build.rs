//! Compiles the site into the binary when `LATCHKEY_EMBED_SITE` names a built site directory
//! (`./scripts/release` and `./scripts/test` set it; see `src/http/site.rs`).

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_site)");
    println!("cargo::rerun-if-env-changed=LATCHKEY_EMBED_SITE");
    let Some(dir) = std::env::var_os("LATCHKEY_EMBED_SITE").filter(|d| !d.is_empty()) else {
        return;
    };
    let dir = Path::new(&dir);
    let pkg = dir.join("pkg");
    if !pkg.is_dir() {
        println!(
            "cargo::error=LATCHKEY_EMBED_SITE={} has no pkg/ directory: build the site first \
             (cargo leptos build), then point LATCHKEY_EMBED_SITE at a copy of target/site",
            dir.display()
        );
        return;
    }
    println!("cargo::rerun-if-changed={}", dir.display());
    println!("cargo::rustc-cfg=embedded_site");
}
