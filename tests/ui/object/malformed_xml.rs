// An XML syntax error gives the file, line and column.
lwm2m_macros::object!("tests/ui/xml/malformed.xml");

fn main() {}
