//! Compiles the Slint UI, with the translations bundled so a fresh machine needs no gettext.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/translations"));
    slint_build::compile_with_config("ui/app.slint", config).expect("ui/app.slint compiles");
    println!("cargo:rerun-if-changed=assets/translations");
}
