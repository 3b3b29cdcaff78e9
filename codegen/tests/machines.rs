//! State machine files: what a wrong one is told, with its place, and what a right one gives.

use std::path::PathBuf;

use lwm2m_codegen::emit::{self, Options};
use lwm2m_codegen::machine::{self, Machine};
use lwm2m_codegen::model::Object;
use lwm2m_codegen::parse::{Document, parse};
use lwm2m_codegen::{Config, Source};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn firmware_update() -> Vec<Object> {
    let bytes = std::fs::read(root().join("objects/xml/5.xml")).unwrap();
    match parse("5.xml", &bytes).document {
        Document::Objects(o) => o,
        Document::NotObjects { reason } => panic!("{reason}"),
    }
}

fn options() -> Options {
    let text = std::fs::read_to_string(root().join("objects/xml/overrides.toml")).unwrap();
    Options {
        overrides: lwm2m_codegen::parse_overrides("overrides.toml", &text).unwrap(),
        ..Options::default()
    }
}

fn resolve(text: &str) -> Result<Machine, Vec<String>> {
    let objects = firmware_update();
    let options = options();
    let enums = |o: &Object, r: u16| emit::enum_names(o, r, &options);
    machine::parse("m.toml", text)
        .and_then(|file| machine::resolve(&file, &objects, &enums))
        .map_err(|d| d.errors().map(ToString::to_string).collect())
}

const HEAD: &str =
    "object = 5\nstate = 3\nresult = 5\ninitial = { state = \"Idle\", result = \"Initial\" }\n";

#[test]
fn the_project_machine_resolves_every_edge_from_every_state() {
    let text = std::fs::read_to_string(root().join("objects/xml/5.machine.toml")).unwrap();
    let m = resolve(&text).unwrap();
    assert_eq!((m.object, m.state.0, m.result.0), (5, 3, 5));
    assert_eq!(m.state.1.name, "State");
    assert_eq!(m.result.1.name, "UpdateResult");
    // `cancel` from two states and `reset` from three are one row each in the file.
    assert_eq!(m.edges.len(), 13);
    let failed: Vec<_> = m.edges.iter().filter(|e| e.event == "failed").collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].results.len(), 7);
    assert_eq!(failed[0].results_name.as_deref(), Some("DownloadFailure"));
    assert_eq!(failed[1].results, ["UpdateFailed"]);
    assert_eq!(m.result_sets.len(), 1);
}

#[test]
fn wrong_names_and_shapes_are_reported_with_their_place() {
    let text = format!(
        "{HEAD}
[[transition]]
event = \"Start-Download\"
from = [\"Idel\"]
to = \"Downloading\"
results = [\"Initial\", \"Sucess\"]

[[transition]]
event = \"cancel\"
from = [\"Downloading\"]
to = \"Idle\"
results = [\"Cancelled\"]
results-name = \"CancelReason\"

[[transition]]
event = \"cancel\"
from = [\"Downloading\"]
to = \"Downloaded\"
results = [\"Cancelled\"]
"
    );
    let errors = resolve(&text).unwrap_err();
    let expect = [
        "m.toml:7:9: [[transition]] event \"Start-Download\": `Start-Download` must be a snake_case method name",
        "m.toml:8:9: [[transition]] event \"Start-Download\": `Idel` is not a variant of `State`; expected one of Idle, Downloading, Downloaded, Updating",
        "m.toml:10:23: [[transition]] event \"Start-Download\": `Sucess` is not a variant of `UpdateResult`",
        "m.toml:7:9: [[transition]] event \"Start-Download\": an edge with several results needs `results-name`",
        "m.toml:17:16: [[transition]] event \"cancel\": `results-name` is only for edges with several results",
        "m.toml:21:9: [[transition]] event \"cancel\": `cancel` from `Downloading` is already an edge (line 14)",
    ];
    for e in expect {
        assert!(
            errors.iter().any(|l| l.starts_with(e)),
            "no error starting {e:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
}

#[test]
fn the_object_and_its_resources_must_exist_and_name_values() {
    let errors = resolve(
        "object = 9\nstate = 3\nresult = 5\ninitial = { state = \"Idle\", result = \"Initial\" }\n\
         [[transition]]\nevent = \"go\"\nfrom = [\"Idle\"]\nto = \"Idle\"\nresults = [\"Initial\"]\n",
    )
    .unwrap_err();
    assert_eq!(
        errors,
        ["m.toml:1:10: object 9 is not among the definitions being generated"]
    );
    let errors = resolve(
        "object = 5\nstate = 1\nresult = 4\ninitial = { state = \"Idle\", result = \"Initial\" }\n\
         [[transition]]\nevent = \"go\"\nfrom = [\"Idle\"]\nto = \"Idle\"\nresults = [\"Initial\"]\n",
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "m.toml:2:9: resource 1 (Package URI) names no values, so it cannot hold the state",
            "m.toml:3:10: Object 5 (Firmware Update) has no resource 4",
        ]
    );
}

#[test]
fn config_reports_a_machine_error_with_the_file_and_generates_the_module() {
    let dir = std::env::temp_dir().join(format!("lwm2m-machines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.machine.toml");
    std::fs::write(&bad, format!("{HEAD}[[transition]]\nevent = \"go\"\nfrom = [\"Nowhere\"]\nto = \"Idle\"\nresults = [\"Initial\"]\n")).unwrap();
    let source = Source {
        name: "5.xml".into(),
        bytes: std::fs::read(root().join("objects/xml/5.xml")).unwrap(),
    };
    let err = Config::new()
        .overrides_file(root().join("objects/xml/overrides.toml"))
        .machine_file(&bad)
        .generate(std::slice::from_ref(&source))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("{}:7:9: ", bad.display())) && err.contains("`Nowhere`"),
        "{err}"
    );
    let good = Config::new()
        .overrides_file(root().join("objects/xml/overrides.toml"))
        .machine_file(root().join("objects/xml/5.machine.toml"))
        .generate(&[source])
        .unwrap()
        .to_file_string()
        .unwrap();
    assert!(good.contains("pub mod machine {"));
    assert!(good.contains("pub fn start_update(self) -> Updating<'m>"));
    std::fs::remove_dir_all(&dir).unwrap();
}
