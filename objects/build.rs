//! Generates the object modules from `xml/` into `OUT_DIR` at build time.

fn main() {
    let result = lwm2m_codegen::Config::new()
        .overrides_file("xml/overrides.toml")
        .strict(true)
        .compile(&["xml/3.xml", "xml/4.xml", "xml/5.xml"]);
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
