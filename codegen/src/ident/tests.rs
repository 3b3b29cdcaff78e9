use super::*;
use crate::range::Label;

fn forms(name: &str) -> (String, String, String) {
    let n = Name::from_oma(name);
    (n.snake_ident(), n.camel(), n.screaming())
}

#[test]
fn registry_names_in_every_case() {
    let cases = [
        (
            "Firmware Update",
            "firmware_update",
            "FirmwareUpdate",
            "FIRMWARE_UPDATE",
        ),
        ("Package URI", "package_uri", "PackageUri", "PACKAGE_URI"),
        ("PkgName", "pkg_name", "PkgName", "PKG_NAME"),
        ("SignalSNR", "signal_snr", "SignalSnr", "SIGNAL_SNR"),
        (
            "LWM2M  Server URI",
            "lwm2m_server_uri",
            "Lwm2mServerUri",
            "LWM2M_SERVER_URI",
        ),
        (
            "3-Phase Active Power",
            "three_phase_active_power",
            "ThreePhaseActivePower",
            "THREE_PHASE_ACTIVE_POWER",
        ),
        ("5QI", "five_qi", "FiveQi", "FIVE_QI"),
        (
            "5GNR Connectivity",
            "five_gnr_connectivity",
            "FiveGnrConnectivity",
            "FIVE_GNR_CONNECTIVITY",
        ),
        (
            "Group\u{a0} Address",
            "group_address",
            "GroupAddress",
            "GROUP_ADDRESS",
        ),
        (
            "SMS Binding Secret Key(s)",
            "sms_binding_secret_key_s",
            "SmsBindingSecretKeyS",
            "SMS_BINDING_SECRET_KEY_S",
        ),
        (
            "DTLS/TLS Ciphersuite",
            "dtls_tls_ciphersuite",
            "DtlsTlsCiphersuite",
            "DTLS_TLS_CIPHERSUITE",
        ),
        ("PM2.5", "pm2_5", "Pm25", "PM2_5"),
        (
            "AT&T Connectivity Extension",
            "at_and_t_connectivity_extension",
            "AtAndTConnectivityExtension",
            "AT_AND_T_CONNECTIVITY_EXTENSION",
        ),
        (
            "eDRX parameters for A/Gb mode",
            "edrx_parameters_for_a_gb_mode",
            "EdrxParametersForAGbMode",
            "EDRX_PARAMETERS_FOR_A_GB_MODE",
        ),
        ("eUICC", "euicc", "Euicc", "EUICC"),
        ("IP address (2)", "ip_address", "IpAddress", "IP_ADDRESS"),
        (
            "DALI part 201 - Device Type 0",
            "dali_part_201_device_type_0",
            "DaliPart201DeviceType0",
            "DALI_PART_201_DEVICE_TYPE_0",
        ),
        ("NB-IoT", "nb_iot", "NbIot", "NB_IOT"),
        (
            "CoAP over TCP",
            "coap_over_tcp",
            "CoapOverTcp",
            "COAP_OVER_TCP",
        ),
        ("rsrp-Result ", "rsrp_result", "RsrpResult", "RSRP_RESULT"),
        ("On/Off", "on_off", "OnOff", "ON_OFF"),
    ];
    for (oma, snake, camel, screaming) in cases {
        assert_eq!(
            forms(oma),
            (snake.to_owned(), camel.to_owned(), screaming.to_owned()),
            "{oma}"
        );
    }
}

#[test]
fn signs_keep_meaning_so_metering_names_stay_apart() {
    let a = Name::from_oma("Instantaneous Active Power (|+A|+|-A|)").snake();
    let b = Name::from_oma("Instantaneous Active Power (|+A|-|-A|)").snake();
    assert_eq!(a, "instantaneous_active_power_plus_a_plus_minus_a");
    assert_eq!(b, "instantaneous_active_power_plus_a_minus_minus_a");
    assert_eq!(
        Name::from_oma("Active power+ (QI+QIV)").snake(),
        "active_power_plus_qi_plus_qiv"
    );
    assert_eq!(
        Name::from_oma("Active power- (QII+QIII)").snake(),
        "active_power_minus_qii_plus_qiii"
    );
    assert_eq!(
        Name::from_oma("Battery Level %").snake(),
        "battery_level_percent"
    );
}

#[test]
fn keywords_become_raw_or_suffixed() {
    assert_eq!(Name::from_oma("Type").snake_ident(), "r#type");
    assert_eq!(
        Name::from_oma("Type").snake(),
        "type",
        "method stems are not escaped"
    );
    assert_eq!(Name::from_oma("Match").snake_ident(), "r#match");
    assert_eq!(Name::from_oma("self").snake_ident(), "self_");
    assert_eq!(Name::from_oma("Self").camel(), "Self_");
    assert_eq!(Name::from_oma("Crate").snake_ident(), "crate_");
    assert_eq!(Name::from_oma("Type").camel(), "Type");
}

#[test]
fn leading_numbers_are_spelled() {
    assert_eq!(Name::from_oma("42 Things").snake(), "forty_two_things");
    assert_eq!(Name::from_oma("20 Hz").camel(), "TwentyHz");
    assert_eq!(Name::from_oma("802.15.4 Radio").snake(), "n802_15_4_radio");
    assert_eq!(Name::from_oma("0").camel(), "Zero");
}

#[test]
fn collisions_resolve_by_id_the_lowest_keeping_the_plain_name() {
    // 3392.xml has two resources called "Object enabled".
    let names = [
        (5851u16, Name::from_oma("Object enabled")),
        (5850, Name::from_oma("Object Enabled")),
        (7, Name::from_oma("Other")),
    ];
    let got: Vec<String> = unique(&names, &[]).iter().map(Name::snake).collect();
    assert_eq!(got, ["object_enabled_5851", "object_enabled", "other"]);
    // Snake forms differ but CamelCase forms are equal: still a collision.
    let names = [(1u16, Name::from_oma("PM2.5")), (2, Name::from_oma("PM25"))];
    let got: Vec<String> = unique(&names, &[]).iter().map(Name::camel).collect();
    assert_eq!(got, ["Pm25", "Pm252"]);
    // Reserved names push members aside.
    let got = unique(&[(3u16, Name::from_oma("Handler"))], &["Handler"]);
    assert_eq!(got[0].camel(), "Handler3");
}

#[test]
fn module_names_are_unique_across_a_set() {
    let set = [
        (6u16, (1, 0), "Location"),
        (3336, (1, 0), "Location"),
        (5, (1, 1), "Firmware Update"),
        (5, (1, 2), "Firmware Update"),
        (21, (1, 0), "Type"),
    ];
    assert_eq!(
        module_names(&set),
        [
            "location",
            "location_3336",
            "firmware_update_v1_1",
            "firmware_update",
            "r#type"
        ]
    );
}

fn variants(labels: &[(i64, &str)], object: &str) -> Vec<String> {
    let labels: Vec<Label> = labels
        .iter()
        .map(|&(value, text)| Label {
            value,
            text: text.to_owned(),
        })
        .collect();
    variant_names(&labels, object)
        .iter()
        .map(Name::camel)
        .collect()
}

#[test]
fn variant_names_read_as_a_person_would_write_them() {
    let update_result = [
        (3, "Out of RAM during downloading process"),
        (4, "Connection lost during downloading process"),
        (5, "Integrity check failure for new downloaded package"),
        (6, "Unsupported package type"),
        (7, "Invalid URI"),
        (
            9,
            "Unsupported protocol. A LwM2M client indicates the failure",
        ),
        (
            10,
            "Firmware update cancelled. A Cancel operation has been executed successfully",
        ),
        (11, "Firmware update deferred"),
    ];
    assert_eq!(
        variants(&update_result, "Firmware Update"),
        [
            "OutOfRam",
            "ConnectionLost",
            "IntegrityCheckFailure",
            "UnsupportedPackageType",
            "InvalidUri",
            "UnsupportedProtocol",
            "Cancelled",
            "Deferred"
        ]
    );
    let state = [
        (0, "Idle (before downloading or after successful updating)"),
        (1, "Downloading"),
    ];
    assert_eq!(variants(&state, "Firmware Update"), ["Idle", "Downloading"]);
}

#[test]
fn a_trailing_word_most_labels_share_is_dropped() {
    let bearers = [
        (0, "GSM cellular network"),
        (1, "TD-SCDMA cellular network"),
        (2, "WCDMA cellular network"),
        (5, "LTE-TDD cellular network"),
        (7, "NB-IoT"),
        (21, "WLAN network"),
        (22, "Bluetooth network"),
        (23, "IEEE 802.15.4 network"),
        (41, "Ethernet"),
    ];
    assert_eq!(
        variants(&bearers, "Connectivity Monitoring"),
        [
            "Gsm",
            "TdScdma",
            "Wcdma",
            "LteTdd",
            "NbIot",
            "Wlan",
            "Bluetooth",
            "Ieee802154",
            "Ethernet"
        ]
    );
}

#[test]
fn words_that_carry_the_meaning_are_not_dropped_as_shared() {
    let errors = [
        (3, "GPS module failure"),
        (6, "SMS failure"),
        (7, "IP connectivity failure"),
        (8, "Peripheral malfunction"),
    ];
    assert_eq!(
        variants(&errors, "Device"),
        [
            "GpsModuleFailure",
            "SmsFailure",
            "IpConnectivityFailure",
            "PeripheralMalfunction"
        ]
    );
    let periods = [
        (0, "Every 2 hours"),
        (1, "Every 4 hours"),
        (2, "Every 12 hours"),
        (3, "Never"),
    ];
    assert_eq!(
        variants(&periods, "X"),
        ["Every2Hours", "Every4Hours", "Every12Hours", "Never"]
    );
}

#[test]
fn colliding_short_names_are_read_again_with_more_words() {
    let modes = [
        (3, "Certificate mode"),
        (4, "Certificate mode with EST"),
        (5, "Modbus RTU (RS-232)"),
        (6, "Modbus RTU (RS-485)"),
    ];
    assert_eq!(
        variants(&modes, "X"),
        [
            "CertificateMode",
            "CertificateModeWithEst",
            "ModbusRtuRs232",
            "ModbusRtuRs485"
        ]
    );
}

#[test]
fn codes_operators_and_fillers() {
    let labels = [
        (0, "UNDER_RANGE Measured value is below the range"),
        (1, "ACCEPTED The value is fine"),
    ];
    assert_eq!(variants(&labels, "X"), ["UnderRange", "Accepted"]);
    // Object 10377 (Data Monitoring) compares data with a reference; the shared
    // `Reference A` is dropped.
    let compare = [
        (1, "Data > Reference A"),
        (2, "Data >= Reference A"),
        (3, "Data < Reference A"),
        (4, "Data <= Reference A"),
    ];
    assert_eq!(
        variants(&compare, "Data Monitoring"),
        ["DataAbove", "DataNotBelow", "DataBelow", "DataNotAbove"]
    );
    assert_eq!(variants(&[(0, "The state of")], "X"), ["State"]);
}

#[test]
fn duplicate_and_empty_variant_names_stay_distinct() {
    let labels = [
        (0, "Reserved"),
        (1, "Reserved"),
        (2, "(unused)"),
        (-1, "..."),
    ];
    assert_eq!(
        variants(&labels, "X"),
        ["Reserved", "Reserved1", "Unused", "ValueMinus1"]
    );
}
