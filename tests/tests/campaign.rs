//! A campaign over a fleet: 55 in-process devices (the update library's device on simulated
//! NOR flash, booted through embassy-boot) and one FOTA campaign, on a simulated clock.
//!
//! Two devices of the third wave fail their self-test with the new image, one more than the
//! wave may fail: the campaign halts there, the report says so, and no later device is
//! touched. Resumed, it updates the rest.

mod fleet;
mod world;

use fleet::{Fleet, Node};
use lwm2m_fota::Version;
use lwm2m_fota_server::campaign::{
    Campaign, CampaignEvent, Choice, Halt, Plan, Start, Target, Wave,
};
use lwm2m_fota_server::{Event, Settings};
use lwm2m_objects::firmware_update::FirmwareUpdateDeliveryMethod as Delivery;
use world::{FACTORY, LAYOUT, factory_flash, signed};

#[test]
fn a_wave_with_too_many_failures_halts_the_campaign_and_the_report_says_so() {
    let target = Version::new(2, 0, 0, 0);
    let image = signed(target, 6 * 1024, true);
    // 52 meters, of which 015 and 020 break with the new image; every fifth takes PULL only.
    let mut nodes: Vec<Node> = (0..52)
        .map(|i| {
            let delivery = if i % 5 == 0 {
                Delivery::PullOnly
            } else {
                Delivery::BothPushAndPull
            };
            Node::new(
                format!("meter-{i:03}"),
                factory_flash(&LAYOUT),
                i == 15 || i == 20,
                delivery,
            )
        })
        .collect();
    // Not targeted: two valves, and a meter already at 2.0.0.
    for i in 0..2 {
        nodes.push(Node::new(
            format!("valve-{i}"),
            factory_flash(&LAYOUT),
            false,
            Delivery::BothPushAndPull,
        ));
    }
    let mut current = world::factory_flash(&LAYOUT);
    lwm2m_fota::slot::provision(&mut current, &LAYOUT, &image).unwrap();
    nodes.push(Node::new(
        "meter-100".into(),
        current,
        false,
        Delivery::BothPushAndPull,
    ));
    let plan = Plan {
        name: "meters 2.0.0".into(),
        image: image.into(),
        version: target.to_string(),
        target: Target {
            endpoints: "meter-*".into(),
            versions: vec![FACTORY.to_string()],
        },
        waves: vec![
            Wave::Devices(2),
            Wave::Percent(20),
            Wave::Percent(50),
            Wave::Percent(100),
        ],
        max_failures: 1,
        min_rssi: Some(-90),
        method: Choice::Auto {
            base: "coap://fota.example".into(),
            prefer_pull: false,
        },
        start: Start {
            devices: 52,
            after_ms: 60_000,
        },
        device_timeout_ms: 600_000,
    };
    let settings = Settings {
        attempts: 1,
        ..Settings::default()
    };
    let mut fleet = Fleet::new(Campaign::new(plan, settings), nodes);
    fleet.run(3_600_000);

    let report = fleet.campaign.report(fleet.now);
    assert_eq!(report.status, "halted", "{}", report.summary());
    let halt = Halt {
        wave: 2,
        failures: 2,
        limit: 1,
    };
    assert_eq!(report.halted, Some(halt));
    assert!(fleet.events.contains(&CampaignEvent::Halted(halt)));
    // Waves: 2 canaries, then up to 20 % (11) and 50 % (26) of the 52 targeted meters.
    let sizes: Vec<(usize, usize, usize)> = report
        .waves
        .iter()
        .map(|w| (w.devices, w.updated, w.failed))
        .collect();
    assert_eq!(sizes, [(2, 2, 0), (9, 9, 0), (15, 13, 2)]);
    for d in &report.devices {
        let n: Option<usize> = d
            .endpoint
            .strip_prefix("meter-")
            .and_then(|n| n.parse().ok());
        match n {
            Some(15 | 20) => {
                assert_eq!(d.status, "failed", "{d:?}");
                assert_eq!(
                    (d.wave, d.result, d.version.as_deref()),
                    (Some(2), Some(8), Some("1.0.0")),
                    "{d:?}"
                );
                assert!(
                    d.reason.as_deref().unwrap().contains("Update Result 8"),
                    "{d:?}"
                );
            }
            Some(100) => assert_eq!(
                (d.status, d.reason.as_deref()),
                ("skipped", Some("already runs 2.0.0"))
            ),
            Some(n) if n <= 25 => {
                assert_eq!(
                    (d.status, d.result, d.version.as_deref()),
                    ("updated", Some(1), Some("2.0.0")),
                    "{d:?}"
                );
                assert_eq!(
                    d.method,
                    Some(if n % 5 == 0 { "pull" } else { "push" }),
                    "{d:?}"
                );
                assert!(d.bytes >= 6 * 1024, "{d:?}");
                assert_eq!(d.attempts, 1);
            }
            Some(_) => assert_eq!(
                (d.status, d.wave, d.bytes),
                ("queued", None, 0),
                "untouched: {d:?}"
            ),
            None => assert_eq!(d.status, "skipped", "{d:?}"),
        }
    }
    // The untouched devices still run the factory image.
    assert_eq!(fleet.version_of("meter-026"), FACTORY);
    // The first wave's devices, their radios still rising from -110 dBm, waited for their
    // signal before the image went.
    assert!(fleet.events.iter().any(|e| matches!(
        e,
        CampaignEvent::Device {
            event: Event::WaitingForSignal { min: -90, .. },
            ..
        }
    )));
    // The machine-readable report says the same.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["status"], "halted");
    assert_eq!(
        json["halted"],
        serde_json::json!({"wave": 2, "failures": 2, "limit": 1})
    );
    let meter_15 = json["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["endpoint"] == "meter-015")
        .unwrap();
    assert_eq!(meter_15["result"], 8);
    assert_eq!(meter_15["result_label"], "Firmware update failed");
    let summary = report.summary();
    println!("{summary}");
    assert!(
        summary.contains("HALTED after wave 2: 2 failed, 1 allowed"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "failed: meter-015 (Update Result 8 (Firmware update failed), running 1.0.0)"
        ),
        "{summary}"
    );

    // Resumed, the last wave updates the rest.
    fleet.campaign.resume(fleet.now, None);
    fleet.run(3_600_000);
    let report = fleet.campaign.report(fleet.now);
    println!("{}", report.summary());
    assert_eq!(report.status, "done", "{}", report.summary());
    assert_eq!(
        (
            report.count("updated"),
            report.count("failed"),
            report.count("skipped")
        ),
        (50, 2, 3)
    );
    assert_eq!(
        report.waves.last().map(|w| (w.wave, w.devices, w.updated)),
        Some((3, 26, 26))
    );
    assert_eq!(fleet.version_of("meter-051"), target);
}

/// The plan of the smaller tests: every device, PUSH, `waves`, starting with `expect` devices.
fn small_plan(waves: Vec<Wave>, expect: usize) -> Plan {
    let target = Version::new(2, 0, 0, 0);
    Plan {
        name: "small".into(),
        image: signed(target, 4 * 1024, true).into(),
        version: target.to_string(),
        target: Target::all(),
        waves,
        max_failures: 0,
        min_rssi: None,
        method: Choice::Push,
        start: Start {
            devices: expect,
            after_ms: 30_000,
        },
        device_timeout_ms: 600_000,
    }
}

#[test]
fn devices_the_waves_leave_queued_get_one_more_wave() {
    let nodes = (0..3)
        .map(|i| {
            Node::new(
                format!("d-{i}"),
                factory_flash(&LAYOUT),
                false,
                Delivery::BothPushAndPull,
            )
        })
        .collect();
    let plan = small_plan(vec![Wave::Devices(1)], 3);
    let mut fleet = Fleet::new(Campaign::new(plan, Settings::default()), nodes);
    fleet.run(3_600_000);
    let report = fleet.campaign.report(fleet.now);
    assert_eq!(report.status, "done", "{}", report.summary());
    let waves: Vec<(usize, usize)> = report
        .waves
        .iter()
        .map(|w| (w.devices, w.updated))
        .collect();
    assert_eq!(waves, [(1, 1), (2, 2)]);
    assert_eq!(fleet.version_of("d-2"), Version::new(2, 0, 0, 0));
}

#[test]
fn a_fleet_with_nothing_to_update_is_done_once_its_enrolment_time_is_up() {
    let plan = small_plan(vec![Wave::Percent(100)], 2);
    let mut current = factory_flash(&LAYOUT);
    lwm2m_fota::slot::provision(&mut current, &LAYOUT, &plan.image).unwrap();
    let nodes = vec![Node::new(
        "d-0".into(),
        current,
        false,
        Delivery::BothPushAndPull,
    )];
    let mut fleet = Fleet::new(Campaign::new(plan, Settings::default()), nodes);
    fleet.run(120_000);
    let report = fleet.campaign.report(fleet.now);
    assert_eq!(
        (report.status, report.count("skipped")),
        ("done", 1),
        "{}",
        report.summary()
    );
    // It waited for more devices until its enrolment time, no longer.
    assert!(
        (30_000..40_000).contains(&fleet.now),
        "done at {} ms",
        fleet.now
    );
}
