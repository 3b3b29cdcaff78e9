// Options are checked, with a suggestion.
lwm2m_macros::object!("objects/xml/5.xml", overides = "objects/xml/overrides.toml");

fn main() {}
