//! A firmware crate's own object, generated like prost-build generates messages.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    lwm2m_codegen::Config::new()
        .strict(true)
        .compile(&["xml/thermostat.xml"])?;
    Ok(())
}
