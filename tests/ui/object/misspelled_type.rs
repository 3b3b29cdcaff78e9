// A definition error names the element chain and the spellings allowed.
lwm2m_macros::object!("tests/ui/xml/misspelled_type.xml");

fn main() {}
