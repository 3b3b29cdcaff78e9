//! Generates the object modules from `xml/` into `OUT_DIR` at build time, with the state
//! machines of Firmware Update and Software Management.

fn main() {
    let result = lwm2m_codegen::Config::new()
        .overrides_file("xml/overrides.toml")
        .machine_file("xml/5.machine.toml")
        .machine_file("xml/9.machine.toml")
        .strict(true)
        // The `names` feature: names, units and URNs in the objects' facts.
        .names(std::env::var_os("CARGO_FEATURE_NAMES").is_some())
        .compile(&[
            "xml/0.xml",
            "xml/1.xml",
            "xml/3.xml",
            "xml/4.xml",
            "xml/5.xml",
            "xml/9.xml",
        ]);
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
