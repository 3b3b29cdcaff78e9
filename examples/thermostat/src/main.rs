//! Prints Objects 3, 4, 5 and the example thermostat, then serves a few requests to the
//! thermostat through its generated `Handler`.

use lwm2m_runtime::{ExecuteArgs, ObjectSpec};
use lwm2m_thermostat::generated::example_thermostat::{self as thermostat, Handler, Mode};
use lwm2m_thermostat::{Thermostat, describe};

fn main() {
    for info in [
        lwm2m_objects::device::Spec::INFO,
        lwm2m_objects::connectivity_monitoring::Spec::INFO,
        lwm2m_objects::firmware_update::Spec::INFO,
        thermostat::Spec::INFO,
    ] {
        describe(&info);
    }

    let mut t = Thermostat {
        temperature: 19.5,
        set_point: 20,
        mode: Mode::Heat,
        boost_minutes: 0,
    };
    let refused = t.write_set_point(0, 35);
    println!("\nwrite /42100/0/1 = 35 -> {refused:?} (the XML allows 5..30)");
    let accepted = t.write_set_point(0, 22);
    println!(
        "write /42100/0/1 = 22 -> {accepted:?}; set point now {}",
        t.set_point
    );
    let boost = t.execute_boost(0, ExecuteArgs(b"0='45'"));
    println!(
        "execute /42100/0/3 0='45' -> {boost:?}; boost for {} minutes",
        t.boost_minutes
    );
    println!("read /42100/0/2 -> {:?}", t.read_mode(0));
}
