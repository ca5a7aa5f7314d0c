//! Compiles the Slint UI, with the translations bundled so a fresh machine needs no gettext.

fn main() {
    // Element debug info lets the UI tests find elements by accessible label; release builds
    // (the kiosk itself) leave it out, unless asked with SLINT_EMIT_DEBUG_INFO=1 (the
    // release-profile bench of touches, benches/ui_touch.rs, finds its targets by label).
    let debug_info = std::env::var("PROFILE").map_or(true, |p| p != "release")
        || std::env::var("SLINT_EMIT_DEBUG_INFO").is_ok_and(|v| v == "1");
    println!("cargo:rerun-if-env-changed=SLINT_EMIT_DEBUG_INFO");
    // Read at run time, not compiled in: the script must follow the checkout it builds.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations(format!("{manifest}/assets/translations"))
        .with_debug_info(debug_info)
        // One translation per English string, whatever component it is in.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    slint_build::compile_with_config("ui/app.slint", config).expect("ui/app.slint compiles");
    println!("cargo:rerun-if-changed={manifest}/assets/translations");
    // The kiosk's relative relocations packed (DT_RELR, glibc 2.36 and binutils 2.38 on):
    // the 2.2 MB table of them the loader reads at every start stays resident after it
    // otherwise (docs/benchmarks.md, idle memory).
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
