// A path that names no file is an error on the path literal.
lwm2m_macros::object!("objects/xml/999.xml");

fn main() {}
