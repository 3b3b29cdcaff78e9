//! The simulated firmware: a demo image body that says who it is and whether its self-test
//! passes (the `lwm2m-demo-image` crate, which the firmware for the chip shares).

pub use lwm2m_demo_image::{DEMO_MAGIC, demo_body, self_test};
