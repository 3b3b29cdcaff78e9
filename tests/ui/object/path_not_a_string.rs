// The argument is the path as a string literal.
lwm2m_macros::object!(5);

fn main() {}
