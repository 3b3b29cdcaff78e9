// An index of definitions is not a definition.
lwm2m_macros::object!("tests/ui/xml/index.xml");

fn main() {}
