//! `hush schema FILE.toml`, as an app's build runs it: the JSON the library
//! takes (`HushConfig.schemaJson`), or a clear refusal of a schema the
//! library would refuse at start.

use std::process::{Command, Output};

use hush_core::schema::{Schema, DEFAULT_SCHEMA_JSON, DEFAULT_SCHEMA_TOML};

fn schema(toml: &str) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("schema.toml");
    std::fs::write(&path, toml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_hush"))
        .arg("schema")
        .arg(&path)
        .output()
        .expect("run hush")
}

fn names(s: &Schema) -> Vec<(usize, String, &'static str)> {
    s.metrics()
        .map(|(id, d)| (id.index(), d.name.clone(), d.kind.type_name()))
        .collect()
}

#[test]
fn the_shipped_schema_converts_to_the_json_the_library_ships() {
    let out = schema(DEFAULT_SCHEMA_TOML);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8(out.stdout).unwrap();
    let converted = Schema::from_json(&json).expect("the output is a schema the library takes");
    let shipped = Schema::from_json(DEFAULT_SCHEMA_JSON).unwrap();
    assert_eq!(names(&converted), names(&shipped));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&json).unwrap(),
        serde_json::from_str(DEFAULT_SCHEMA_JSON).unwrap(),
    );
    assert_eq!(a, b, "the same document as the build script's");
}

#[test]
fn a_schema_the_library_would_refuse_is_refused_at_build_time() {
    for (toml, says) in [
        ("schema_version = 1\n[metrics.x", "TOML"),
        (
            // P2: a private tab's label may not be a domain.
            "schema_version = 1\n[metrics.s]\ntype = \"labeled_counter\"\nincognito = \"aggregate\"\nlabels = [\"grindr.com\"]\ndescription = \"\"\nexpires = \"never\"",
            "UI identifier",
        ),
        (
            // A valid schema, but it has no DAP plan (P14): the name is Hush's own.
            "schema_version = 1\n[metrics.\"hush.extra\"]\ntype = \"counter\"\ndescription = \"\"\nexpires = \"never\"",
            "reserved prefix",
        ),
    ] {
        let out = schema(toml);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{toml:?} accepted");
        assert!(out.stdout.is_empty(), "nothing written on refusal");
        assert!(err.contains(says), "{toml:?}: {err}");
    }
}
