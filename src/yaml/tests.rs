//! Tests of the YAML reader. Where a test encodes Cortex's behaviour it
//! cites the line of cortexlabs/yaml at 581aea36a2e4 (the go-yaml v2 fork
//! Cortex 0.34's go.mod pins) that decides it; the expected values were
//! compared with that library's own output for the same text.

use super::*;

fn parse_ok(text: &str) -> Node {
    let parsed = parse(text, Limits::default());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    parsed.root.expect("a document")
}

fn first_code(text: &str, limits: Limits) -> &'static str {
    let parsed = parse(text, limits);
    parsed
        .diagnostics
        .first()
        .map_or("none", |d| d.code.as_str())
}

fn value_of(text: &str, key: &str) -> Value {
    let root = parse_ok(text);
    root.get(key).map(|n| n.value.clone()).expect("the key")
}

fn keys(node: &Node) -> Vec<(String, Value)> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .map(|e| (e.key.clone(), e.value.value.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

/// Plain scalars as go-yaml v2 resolves them into `interface{}`.
#[test]
fn plain_scalars_resolve_as_go_yaml_v2() {
    use Value::{Bool, Float, Int, Null, Uint};
    let table: &[(&str, Value)] = &[
        // resolve.go:32-48 resolveMapList: YAML 1.1 booleans, nulls, .inf/.nan
        ("y", Bool(true)),
        ("Y", Bool(true)),
        ("yes", Bool(true)),
        ("Yes", Bool(true)),
        ("YES", Bool(true)),
        ("yEs", s("yEs")),
        ("n", Bool(false)),
        ("N", Bool(false)),
        ("no", Bool(false)),
        ("No", Bool(false)),
        ("NO", Bool(false)),
        ("true", Bool(true)),
        ("True", Bool(true)),
        ("TRUE", Bool(true)),
        ("tRue", s("tRue")),
        ("false", Bool(false)),
        ("FALSE", Bool(false)),
        ("on", Bool(true)),
        ("On", Bool(true)),
        ("ON", Bool(true)),
        ("oN", s("oN")),
        ("off", Bool(false)),
        ("Off", Bool(false)),
        ("OFF", Bool(false)),
        ("~", Null),
        ("null", Null),
        ("Null", Null),
        ("NULL", Null),
        ("nULL", s("nULL")),
        ("", Null),
        (".inf", Float(f64::INFINITY)),
        (".Inf", Float(f64::INFINITY)),
        ("+.INF", Float(f64::INFINITY)),
        ("-.inf", Float(f64::NEG_INFINITY)),
        ("-.Inf", Float(f64::NEG_INFINITY)),
        ("inf", s("inf")),
        ("NaN", s("NaN")),
        ("Infinity", s("Infinity")),
        (".nAn", s(".nAn")),
        // resolve.go:150-157: `_` removed, then strconv.ParseInt(plain, 0, 64)
        ("010", Int(8)),
        ("-010", Int(-8)),
        ("0777", Int(511)),
        ("0", Int(0)),
        ("00", Int(0)),
        ("-0", Int(0)),
        ("+5", Int(5)),
        ("-5", Int(-5)),
        ("0b11", Int(3)),
        ("-0b11", Int(-3)),
        ("0B11", Int(3)),
        ("0x1F", Int(31)),
        ("0X1F", Int(31)),
        ("-0x1F", Int(-31)),
        ("+0x1F", Int(31)),
        ("0o17", Int(15)),
        ("0O17", Int(15)),
        ("1_000", Int(1000)),
        ("1__0", Int(10)),
        ("1_", Int(1)),
        ("0x_1F", Int(31)),
        ("+_5", Int(5)),
        ("9223372036854775807", Int(i64::MAX)),
        ("-9223372036854775808", Int(i64::MIN)),
        ("0x7FFFFFFFFFFFFFFF", Int(i64::MAX)),
        ("-0x8000000000000000", Int(i64::MIN)),
        // resolve.go:169-178: then `0b` and a signed binary number
        ("0b-101", Int(-5)),
        ("0b+11", Int(3)),
        ("0b-", s("0b-")),
        ("0B-1", s("0B-1")),
        ("-0b-1", s("-0b-1")),
        ("0b", s("0b")),
        ("0b2", s("0b2")),
        ("0x", s("0x")),
        ("_1", s("_1")),
        ("_", s("_")),
        ("+", s("+")),
        // resolve.go:159-161: beyond int64, ParseUint gives a uint64;
        // beyond uint64, a hex value is a string
        ("9223372036854775808", Uint(9_223_372_036_854_775_808)),
        ("18446744073709551615", Uint(u64::MAX)),
        ("0xFFFFFFFFFFFFFFFF", Uint(u64::MAX)),
        ("0x10000000000000000", s("0x10000000000000000")),
        ("-0x8000000000000001", s("-0x8000000000000001")),
        // resolve.go:163-167: then yamlStyleFloat and ParseFloat
        ("18446744073709551616", Float(18_446_744_073_709_551_616.0)),
        ("-9223372036854775809", Float(-9_223_372_036_854_775_809.0)),
        ("08", Float(8.0)),
        ("09", Float(9.0)),
        ("0778", Float(778.0)),
        ("07.5", Float(7.5)),
        ("00.5", Float(0.5)),
        ("1.0", Float(1.0)),
        ("1.", Float(1.0)),
        ("0.", Float(0.0)),
        ("+.5", Float(0.5)),
        ("-.5", Float(-0.5)),
        ("1e3", Float(1000.0)),
        ("1E3", Float(1000.0)),
        ("1e+3", Float(1000.0)),
        ("1e-3", Float(0.001)),
        ("1.5e3", Float(1500.0)),
        ("12_34.5_6", Float(1234.56)),
        ("1_000e3", Float(1.0e6)),
        ("1e-400", Float(0.0)),
        ("1e400", s("1e400")),
        ("-1e400", s("-1e400")),
        ("1e", s("1e")),
        ("1e3.5", s("1e3.5")),
        ("12e", s("12e")),
        ("0x1p3", s("0x1p3")),
        // resolve.go:132-137: a leading `.` goes to ParseFloat as written
        (".5", Float(0.5)),
        (".5e3", Float(500.0)),
        (".5_0", Float(0.5)),
        (".1e-400", Float(0.0)),
        (".5e400", s(".5e400")),
        ("._5", s("._5")),
        (".", s(".")),
        // resolve.go:142-148 and decode.go:474: timestamps stay strings
        ("2021-03-04", s("2021-03-04")),
        ("2021-03-04T10:00:00Z", s("2021-03-04T10:00:00Z")),
        ("2001-12-14 21:59:43.10 -5", s("2001-12-14 21:59:43.10 -5")),
        // resolve.go:124: no base-60 numbers
        ("1:20", s("1:20")),
        ("190:20:30", s("190:20:30")),
        ("500m", s("500m")),
        ("1Gi", s("1Gi")),
        ("<<", s("<<")),
    ];
    for (text, expected) in table {
        let got = resolve_plain(text);
        let same = match (&got, expected) {
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        };
        assert!(same, "`{text}`: expected {expected:?}, got {got:?}");
    }
    assert!(matches!(resolve_plain(".nan"), Value::Float(f) if f.is_nan()));
    assert!(matches!(resolve_plain(".NaN"), Value::Float(f) if f.is_nan()));
}

#[test]
fn quoted_scalars_are_strings_and_keep_no_plain_text() {
    let root = parse_ok("a: 'yes'\nb: \"010\"\nc: yes\nd: |\n  on\n");
    assert_eq!(root.get("a").map(|n| &n.value), Some(&s("yes")));
    assert_eq!(root.get("b").map(|n| &n.value), Some(&s("010")));
    assert_eq!(root.get("d").map(|n| &n.value), Some(&s("on\n")));
    assert_eq!(root.get("a").and_then(|n| n.plain.as_deref()), None);
    assert_eq!(
        root.get("c").and_then(|n| n.plain.clone()),
        Some("yes".into())
    );
    assert_eq!(root.get("c").map(|n| &n.value), Some(&Value::Bool(true)));
}

/// resolve.go:86-110 (`resolve` with a tag) and decode.go:411-425.
#[test]
fn core_tags_resolve_as_go_yaml_does() {
    assert_eq!(value_of("a: !!str 010\n", "a"), s("010"));
    assert_eq!(value_of("a: !!int \"12\"\n", "a"), Value::Int(12));
    assert_eq!(value_of("a: !!float 1\n", "a"), Value::Float(1.0));
    assert_eq!(value_of("a: !!float \"0x10\"\n", "a"), Value::Float(16.0));
    assert_eq!(value_of("a: !!bool yes\n", "a"), Value::Bool(true));
    assert_eq!(value_of("a: !!bool \"true\"\n", "a"), Value::Bool(true));
    assert_eq!(value_of("a: !!null \"\"\n", "a"), Value::Null);
    assert_eq!(value_of("a: !!str\n", "a"), s(""));
    assert_eq!(
        value_of("a: !!timestamp 2001-01-01\n", "a"),
        s("2001-01-01")
    );
    assert_eq!(value_of("a: !!timestamp 2001-1-1\n", "a"), s("2001-1-1"));
    assert_eq!(
        value_of("a: !!timestamp 2000-02-29\n", "a"),
        s("2000-02-29")
    );
    assert_eq!(
        value_of("a: !!timestamp 2001-12-14t21:59:43.10-05:00\n", "a"),
        s("2001-12-14t21:59:43.10-05:00")
    );
    assert_eq!(
        value_of("a: !!timestamp 2001-12-14 21:59:43.10\n", "a"),
        s("2001-12-14 21:59:43.10")
    );
    // the non-specific tag makes a string (parserc.go: `!` is plain-implicit
    // and not resolvable)
    assert_eq!(value_of("a: ! yes\n", "a"), s("yes"));
}

#[test]
fn a_tag_that_does_not_fit_is_an_error_on_the_value() {
    for (text, value) in [
        ("a: !!int 1.5\n", "!!int 1.5"),
        ("a: !!bool 1\n", "!!bool 1"),
        ("a: !!null x\n", "!!null x"),
        ("a: !!timestamp x\n", "!!timestamp x"),
        ("a: !!timestamp 2001-02-30\n", "!!timestamp 2001-02-30"),
        ("a: !!timestamp 2001-13-01\n", "!!timestamp 2001-13-01"),
        ("a: !!int\n", "!!int"),
        ("a: !!int 1e3\n", "!!int 1e3"),
        // a uint64 is not converted to float (resolve.go:96-106)
        (
            "a: !!float 18446744073709551615\n",
            "!!float 18446744073709551615",
        ),
        ("a: !!binary aGVsbG8\n", "!!binary aGVsbG8"),
        ("a: !!binary \"aGVs bG8=\"\n", "!!binary \"aGVs bG8=\""),
    ] {
        let parsed = parse(text, Limits::default());
        assert_eq!(parsed.diagnostics.len(), 1, "{text}");
        let d = &parsed.diagnostics[0];
        assert_eq!(d.code, codes::TAG_MISMATCH, "{text}");
        assert!(d.is_error());
        let span = d.primary.as_ref().map(|l| l.span.clone());
        assert_eq!(span, Some(3..3 + value.len()), "{text}");
    }
}

/// decode.go:419-424: `!!binary` is decoded from base64 into a string.
#[test]
fn binary_decodes_to_a_string() {
    assert_eq!(value_of("a: !!binary aGVsbG8=\n", "a"), s("hello"));
    assert_eq!(value_of("a: !!binary |\n  aGVs\n  bG8=\n", "a"), s("hello"));
    assert_eq!(value_of("a: !!binary \"aGk=\"\n", "a"), s("hi"));
    assert_eq!(value_of("a: !!binary \"\"\n", "a"), s(""));
}

/// resolve.go:77-84 `resolvableTag`; decode.go `mapping`/`sequence` never
/// look at the tag: Cortex reads the value as written.
#[test]
fn unknown_tags_are_ignored_with_a_warning() {
    let parsed = parse(
        "a: !Ref x\nb: !!seq {c: 1}\nd: !!map x\n",
        Limits::default(),
    );
    let root = parsed.root.expect("a document");
    assert_eq!(root.get("a").map(|n| &n.value), Some(&s("x")));
    assert!(matches!(
        root.get("b").map(|n| &n.value),
        Some(Value::Map(_))
    ));
    assert_eq!(root.get("d").map(|n| &n.value), Some(&s("x")));
    let found: Vec<_> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                d.is_error(),
                d.primary.as_ref().map(|l| l.span.start),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (codes::UNSUPPORTED_TAG, false, Some(3)),
            (codes::UNSUPPORTED_TAG, false, Some(13)),
            (codes::UNSUPPORTED_TAG, false, Some(29)),
        ]
    );
}

/// yaml.go:142: `unmarshal` parses one document and stops; nothing after
/// the second `---`, not even a syntax error, is read.
#[test]
fn only_the_first_document_is_read() {
    let text = "- 1\n---\n- [\n";
    let parsed = parse(text, Limits::default());
    let root = parsed.root.expect("the first document");
    assert!(matches!(&root.value, Value::Seq(items) if items.len() == 1));
    assert_eq!(parsed.diagnostics.len(), 1);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.code, codes::MULTIPLE_DOCUMENTS);
    assert!(!d.is_error());
    assert_eq!(d.primary.as_ref().map(|l| l.span.start), Some(4));
}

/// decode.go:670-672 and 794-819: a merge sets the merged keys at the point
/// where `<<` is written, over keys written before it; keys written after
/// it win.
#[test]
fn merge_applies_where_it_is_written() {
    let root = parse_ok("base: &b {x: 1, y: 2}\nitem:\n  x: 0\n  <<: *b\n  y: 3\n");
    let item = root.get("item").expect("item");
    assert_eq!(
        keys(item),
        vec![("x".into(), Value::Int(1)), ("y".into(), Value::Int(3))]
    );
    // written before the merge: overwritten by it
    let root = parse_ok("a: 1\n<<: {a: 2, b: 2}\nb: 3\n");
    assert_eq!(
        keys(&root),
        vec![("a".into(), Value::Int(2)), ("b".into(), Value::Int(3))]
    );
}

/// decode.go:803-816: a list of mappings is applied last to first, so the
/// first mapping in the list wins; merges nest.
#[test]
fn merge_of_a_list_lets_the_first_mapping_win() {
    let root = parse_ok("<<: [{a: 1}, {a: 2, b: 2}]\n");
    assert_eq!(
        keys(&root),
        vec![("a".into(), Value::Int(1)), ("b".into(), Value::Int(2))]
    );
    let root = parse_ok("x: &a {k: 1}\nz: &c {<<: *a, m: 2}\nw: {<<: [*c, {k: 3}]}\n");
    let w = root.get("w").expect("w");
    assert_eq!(
        keys(w),
        vec![("k".into(), Value::Int(1)), ("m".into(), Value::Int(2))]
    );
}

/// decode.go:821-823 `isMerge`: only a plain `<<` (or `!!merge <<`) merges.
#[test]
fn a_quoted_merge_key_is_an_ordinary_key() {
    let root = parse_ok("\"<<\": {a: 1}\n");
    assert_eq!(keys(&root).first().map(|k| k.0.clone()), Some("<<".into()));
    let root = parse_ok("!!merge <<: {a: 1}\n");
    assert_eq!(keys(&root), vec![("a".into(), Value::Int(1))]);
}

#[test]
fn a_merge_needs_mappings() {
    for text in ["<<: 3\n", "<<:\n", "<<: [{a: 1}, 3]\n", "<<: [[a]]\n"] {
        let parsed = parse(text, Limits::default());
        let d = parsed.diagnostics.first().expect("a diagnostic");
        assert_eq!(d.code, codes::INVALID_MERGE, "{text}");
        assert_eq!(d.secondary[0].span, 0..2, "{text}");
    }
    // an empty list merges nothing
    assert!(keys(&parse_ok("<<: []\na: 1\n")).len() == 1);
}

#[test]
fn a_key_both_merged_and_written_is_not_a_duplicate() {
    let text = "b: &b {x: 1}\nc:\n  x: 2\n  <<: *b\nd:\n  <<: *b\n  x: 3\n";
    let root = parse_ok(text);
    assert_eq!(
        root.get("c").and_then(|c| c.get("x")).map(|n| &n.value),
        Some(&Value::Int(1))
    );
    assert_eq!(
        root.get("d").and_then(|c| c.get("x")).map(|n| &n.value),
        Some(&Value::Int(3))
    );
    // written twice around a merge: still a duplicate
    let parsed = parse("x: 1\n<<: {x: 2}\nx: 3\n", Limits::default());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, codes::DUPLICATE_KEY);
    assert_eq!(
        parsed.diagnostics[0]
            .primary
            .as_ref()
            .map(|l| l.span.clone()),
        Some(16..17)
    );
}

#[test]
fn reports_every_duplicate_key_with_the_first_definition() {
    let text = "a: 1\nb: 2\na: 3\nb: 4\n";
    let parsed = parse(text, Limits::default());
    assert_eq!(parsed.diagnostics.len(), 2);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.code, codes::DUPLICATE_KEY);
    assert_eq!(d.primary.as_ref().map(|l| l.span.clone()), Some(10..11));
    assert_eq!(d.secondary[0].span, 0..1);
    // the first value is kept
    assert_eq!(
        parsed
            .root
            .and_then(|r| r.get("a").cloned())
            .map(|n| n.value),
        Some(Value::Int(1))
    );
}

/// Keys compare as go-yaml's `map[interface{}]interface{}` compares them:
/// `yes` and `true` are one boolean key, `1` and `01` one integer key, `1`
/// and `"1"` two keys.
#[test]
fn keys_keep_their_resolved_type() {
    let root = parse_ok("yes: a\n1: b\n\"2\": c\n1.5: d\n~: e\n");
    let Value::Map(entries) = &root.value else {
        panic!("a mapping")
    };
    let found: Vec<(&str, &Value, bool)> = entries
        .iter()
        .map(|e| (e.key.as_str(), &e.key_value, e.key_is_string()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("yes", &Value::Bool(true), false),
            ("1", &Value::Int(1), false),
            ("2", &s("2"), true),
            ("1.5", &Value::Float(1.5), false),
            ("~", &Value::Null, false),
        ]
    );
    assert!(
        entries[0]
            .key_reading()
            .is_some_and(|r| r.contains("the boolean true"))
    );
    let parsed = parse("{yes: 1, on: 2}", Limits::default());
    assert_eq!(
        parsed.diagnostics[0].notes,
        vec!["Cortex's YAML reader (YAML 1.1) reads `yes` and `on` as the same key, the boolean true".to_owned()]
    );
    for (text, duplicate) in [
        ("{yes: 1, true: 2}", true),
        ("{1: a, 01: b}", true),
        ("{1: a, \"1\": b}", false),
    ] {
        let parsed = parse(text, Limits::default());
        let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes == vec![codes::DUPLICATE_KEY], duplicate, "{text}");
    }
}

#[test]
fn yaml11_reading_explains_surprising_plain_values_only() {
    let reading = |text: &str| {
        yaml11_reading(
            &parse_ok(&format!("a: {text}\n"))
                .get("a")
                .cloned()
                .expect("a"),
        )
    };
    assert_eq!(
        reading("yes").as_deref(),
        Some(
            "Cortex's YAML reader (YAML 1.1) reads the unquoted `yes` as the boolean true; quote it to keep the text: \"yes\""
        )
    );
    assert!(reading("no").is_some_and(|r| r.contains("the boolean false")));
    assert!(reading("on").is_some_and(|r| r.contains("the boolean true")));
    assert!(reading("010").is_some_and(|r| r.contains("the integer 8 (a leading 0 means octal)")));
    assert!(
        reading("0x1F")
            .is_some_and(|r| r.ends_with("as the integer 31; quote it to keep the text: \"0x1F\""))
    );
    assert!(reading("-0").is_some_and(|r| r.contains("the integer 0;")));
    assert!(reading("1_000").is_some_and(|r| r.contains("the integer 1000")));
    assert!(reading("1e3").is_some_and(|r| r.contains("the number 1000")));
    assert!(reading(".inf").is_some_and(|r| r.contains("infinity")));
    for plain in ["true", "False", "12", "-3", "1.5", "abc", "'yes'", "~"] {
        assert_eq!(reading(plain), None, "{plain}");
    }
}

#[test]
fn keeps_spans_of_keys_and_values_in_bytes() {
    let text = "- name: \"é-x\"\n  kind: AsyncAPI\n";
    let root = parse_ok(text);
    let Value::Seq(items) = &root.value else {
        panic!("a list")
    };
    let kind = items[0].entry("kind").expect("kind");
    assert_eq!(&text[kind.key_span.clone()], "kind");
    assert_eq!(&text[kind.value.span.clone()], "AsyncAPI");
    let name = items[0].get("name").expect("name");
    assert_eq!(&text[name.span.clone()], "\"é-x\"");
}

#[test]
fn flow_collections_span_their_brackets() {
    let text = "a: {b: [1, 2]}\n";
    let root = parse_ok(text);
    let a = root.get("a").expect("a");
    assert_eq!(&text[a.span.clone()], "{b: [1, 2]}");
    assert_eq!(&text[a.get("b").expect("b").span.clone()], "[1, 2]");
}

/// decode.go:320-357: go-yaml refuses a document whose values are more than
/// 99% alias copies (past 1,000 values and 100 copies); a bomb trips it
/// long before our node budget. Compared with go-yaml on 824 generated
/// files (arrays aliased 1 to 400 times, merges, nested layers).
#[test]
fn alias_bomb_is_refused_as_go_yaml_refuses_it() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    assert_eq!(first_code(&text, Limits::default()), "TFC0020");
    // the boundary go-yaml draws (checked with it): 200 values aliased 199
    // times pass, 200 times do not
    let list = |n: usize| format!("[{}]", vec!["x"; n].join(", "));
    let aliased = |m: usize| format!("a: &a {}\nb: [{}]\n", list(200), vec!["*a"; m].join(", "));
    assert_eq!(first_code(&aliased(199), Limits::default()), "none");
    assert_eq!(first_code(&aliased(200), Limits::default()), "TFC0020");
}

/// Past the node budget with enough values of its own that go-yaml's ratio
/// rule does not fire: our limit on hostile input.
#[test]
fn a_large_expansion_hits_the_node_budget() {
    let own: Vec<String> = (0..2600).map(|i| format!("v{i}")).collect();
    let text = format!(
        "pad: [{}]\na: &a [{}]\nb: [{}]\n",
        own.join(", "),
        vec!["x"; 1000].join(", "),
        vec!["*a"; 250].join(", ")
    );
    assert_eq!(first_code(&text, Limits::default()), "TFC0012");
}

/// A block list nested `depth` levels deep, on one line (`- - - x`), cheap
/// to write and legal for Cortex up to 10000 levels (scannerc.go:939).
fn nested_block_lists(depth: usize) -> String {
    format!("{}x\n", "- ".repeat(depth))
}

#[test]
fn nesting_up_to_the_limit_is_read() {
    for depth in [100, MAX_DEPTH] {
        let root = parse_ok(&nested_block_lists(depth));
        let json = root.to_json();
        let mut levels = 0;
        let mut here = &json;
        while let Some(inner) = here.as_array().and_then(|a| a.first()) {
            levels += 1;
            here = inner;
        }
        assert_eq!(levels, depth);
    }
}

#[test]
fn nesting_beyond_the_limit_is_refused() {
    let text = nested_block_lists(MAX_DEPTH + 1);
    let parsed = parse(&text, Limits::default());
    assert_eq!(parsed.diagnostics.len(), 1);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.code, codes::NESTING_TOO_DEEP);
    assert_eq!(
        d.primary.as_ref().map(|l| l.span.start),
        Some(2 * MAX_DEPTH)
    );
    // brackets: the parser's own limit
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(first_code(&text, Limits::default()), "TFC0011");
}

#[test]
fn input_errors_have_codes() {
    let limits = Limits::default();
    assert_eq!(first_code("a:\n\tb: 1\n", limits), "TFC0005");
    assert_eq!(first_code("a: [1, 2\nb: 3\n", limits), "TFC0004");
    assert_eq!(first_code("- a\n---\n- b\n", limits), "TFC0006");
    assert_eq!(first_code("a: !Ref x\n", limits), "TFC0014");
    assert_eq!(first_code("a: *nope\n", limits), "TFC0015");
    assert_eq!(first_code("? [a]\n: 1\n", limits), "TFC0013");
    assert_eq!(first_code("a:\n  <<: 3\n", limits), "TFC0016");
    assert_eq!(first_code("a: !!int x\n", limits), "TFC0017");
}

#[test]
fn a_huge_flow_list_is_refused_before_parsing() {
    let text = format!("- [{}]\n", vec!["1"; 200_000].join(","));
    let parsed = parse(&text, Limits::default());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, codes::ALIAS_BUDGET);
    let at = parsed.diagnostics[0].primary.as_ref().map(|l| l.span.start);
    assert_eq!(at, text.match_indices(',').nth(100_000).map(|(i, _)| i));
}

/// The primary span's start of every diagnostic with `code`.
fn starts(parsed: &Parsed, code: &str) -> Vec<usize> {
    parsed
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == code)
        .filter_map(|d| d.primary.as_ref().map(|l| l.span.start))
        .collect()
}

/// scannerc.go:1474 skips a tab where no simple key may start: after a
/// key's `:` (fetch_value sets simple_key_allowed = false, scannerc.go:1318)
/// and anywhere in a flow collection.
#[test]
fn a_tab_after_a_keys_colon_is_skipped_as_go_yaml_does() {
    assert_eq!(value_of("cpu:\t500m\n", "cpu"), s("500m"));
    assert_eq!(value_of("cpu: \t 500m\t# c\n", "cpu"), s("500m"));
    assert_eq!(
        value_of("a:\t[1,\t2]\n", "a"),
        Value::Seq(vec![
            Node {
                value: Value::Int(1),
                span: 4..5,
                plain: Some("1".into())
            },
            Node {
                value: Value::Int(2),
                span: 7..8,
                plain: Some("2".into())
            },
        ])
    );
    let root = parse_ok("- name: a\n  compute:\n    cpu:\t500m\n    mem:\t1Gi\n");
    let Value::Seq(items) = &root.value else {
        panic!("a list")
    };
    let compute = items[0].get("compute").expect("compute");
    assert_eq!(compute.get("cpu").map(|n| n.span.clone()), Some(30..34));
    assert_eq!(compute.get("mem").and_then(Node::as_str), Some("1Gi"));
    // a tab at the start of a line inside brackets is skipped too
    assert_eq!(keys(&parse_ok("a: {b: 1,\n\tc: 2}\n"))[0].0, "a");
}

/// A tab where a block token may start: go-yaml does not skip it
/// (scannerc.go:1474) and no token starts with it (scannerc.go:776-778,
/// "found character that cannot start any token").
#[test]
fn a_tab_after_a_dash_or_at_a_line_start_is_refused() {
    let parsed = parse("-\tname: a\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![1]);
    assert!(parsed.root.is_none());
    let parsed = parse("- a\n- \tb\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![6]);
    // a blank line holding a tab, and a tab before a comment
    let parsed = parse("a: \"x\"\n\t\nb: 1\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![7]);
    let parsed = parse("a: [1]\n  \t# c\nb: 1\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![9]);
    // a complex key's `:` lets a key follow: a tab there is refused too
    let parsed = parse("? a\n:\tb\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![5]);
}

/// scannerc.go:2669-2673: after a line break inside a plain scalar, a tab
/// left of the scalar's block (column < indent + 1) "violates
/// indentation"; one further right is skipped.
#[test]
fn a_tab_line_after_a_plain_value_is_refused_left_of_its_block() {
    let parsed = parse("- name: a\n\t\n  kind: b\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![10]);
    let parsed = parse("- name: a\n  \t\n  kind: b\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![12]);
    // at or right of column indent + 1 (3 here) the tab is skipped
    let root = parse_ok("- name: a\n   \t\n  kind: b\n");
    let Value::Seq(items) = &root.value else {
        panic!("a list")
    };
    assert_eq!(items[0].get("kind").and_then(Node::as_str), Some("b"));
    assert_eq!(value_of("a: x\n \ty\n", "a"), s("x y"));
}

/// scannerc.go:2290-2294: a tab in the indentation of a block scalar's
/// line (left of its indentation, or before it is known).
#[test]
fn a_tab_in_a_block_scalars_indentation_is_refused() {
    let parsed = parse("a: |\n\tx\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![5]);
    let parsed = parse("a: |\n    x\n  \t\n    y\n", Limits::default());
    assert_eq!(starts(&parsed, "TFC0005"), vec![13]);
    // right of the indentation it is content
    assert_eq!(value_of("a: |\n  x\n  \ty\n", "a"), s("x\n\ty\n"));
}

/// Tabs inside values and comments are content (or ignored) for both
/// readers: they are never rewritten.
#[test]
fn tabs_inside_values_and_comments_are_kept() {
    assert_eq!(value_of("a: \"x\ty\"\n", "a"), s("x\ty"));
    assert_eq!(value_of("a: 'x\t'\n", "a"), s("x\t"));
    assert_eq!(value_of("a: x\ty # c\t\n", "a"), s("x\ty"));
    assert_eq!(value_of("# \t\na: b\n", "a"), s("b"));
}

/// The first tab go-yaml refuses is the only one reported: it stops there.
/// What saphyr found before it stands.
#[test]
fn only_the_first_refused_tab_is_reported_with_earlier_findings() {
    let text = "a: 1\na: 2\n-\tb\n\tc\n";
    let parsed = parse(text, Limits::default());
    assert_eq!(starts(&parsed, "TFC0009"), vec![5]);
    assert_eq!(starts(&parsed, "TFC0005"), vec![11]);
    assert_eq!(parsed.diagnostics.len(), 2);
}

/// readerc.go:339-358: every control character go-yaml's reader decodes
/// is refused, in comments and quoted strings too.
#[test]
fn control_characters_are_refused_where_go_yaml_reads_them() {
    for c in [
        '\0', '\u{1}', '\u{7}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}',
        '\u{fffe}', '\u{ffff}',
    ] {
        for text in [
            format!("# {c}\na: 1\n"),
            format!("a: \"x{c}\"\n"),
            format!("a: '{c}'\n"),
            format!("a: x{c}y\n"),
        ] {
            let parsed = parse(&text, Limits::default());
            let at = text.find(c).expect("the character");
            assert_eq!(starts(&parsed, "TFC0018"), vec![at], "{text:?}");
            assert!(parsed.root.is_none());
        }
    }
    // allowed: tab, CR, NEL, U+00A0, U+FEFF in a value, astral characters
    for c in [
        '\u{85}',
        '\u{a0}',
        '\u{d7ff}',
        '\u{e000}',
        '\u{fffd}',
        '\u{1f600}',
    ] {
        let text = format!("# {c}\na: \"{c}\"\n");
        assert!(
            starts(&parse(&text, Limits::default()), "TFC0018").is_empty(),
            "{text:?}"
        );
    }
}

#[test]
fn control_characters_are_all_reported_up_to_a_cap() {
    let text = format!("a: 1\n# {}\n", "\u{7}".repeat(25));
    let parsed = parse(&text, Limits::default());
    assert_eq!(starts(&parsed, "TFC0018"), (7..27).collect::<Vec<_>>());
    let last = parsed.diagnostics.last().expect("a diagnostic");
    assert_eq!(
        last.notes,
        vec!["5 more control characters after this one are not shown".to_owned()]
    );
}

/// The reader decodes 512-byte chunks (yamlprivateh.go:5) as the scanner
/// needs them (readerc.go:134-158), and the parser stops after the first
/// document (yaml.go:137-150): a control character far enough past a
/// second `---` is never read.
#[test]
fn control_characters_past_what_go_yaml_reads_are_not_refused() {
    let head = "- a\n---\n";
    let pad = "#".repeat(600);
    let far = format!("{head}{pad}\n\u{7}\n");
    assert!(starts(&parse(&far, Limits::default()), "TFC0018").is_empty());
    // within the chunk that holds the `---`, it is read
    let near = format!("{head}# \u{7}\n{pad}\n");
    assert_eq!(
        starts(&parse(&near, Limits::default()), "TFC0018"),
        vec![10]
    );
    // the same with `...`
    let dots = format!("- a\n...\n{pad}\n\u{7}\n");
    assert!(starts(&parse(&dots, Limits::default()), "TFC0018").is_empty());
}

#[test]
fn read_end_follows_go_yamls_chunks() {
    use crate::source::Encoding;
    let text = "x".repeat(2000);
    assert_eq!(reader::read_end(&text, Encoding::Utf8, 10), 512);
    assert_eq!(reader::read_end(&text, Encoding::Utf8, 512), 1024);
    assert_eq!(reader::read_end(&text, Encoding::Utf8Bom, 10), 509);
    // UTF-16: two bytes a character, the BOM in the first chunk
    assert_eq!(reader::read_end(&text, Encoding::Utf16Le, 10), 255);
    assert_eq!(reader::read_end(&text, Encoding::Utf16Be, 300), 511);
    // a character cut by the chunk's end starts the next chunk
    let text = format!("{}é{}", "x".repeat(511), "x".repeat(600));
    assert_eq!(reader::read_end(&text, Encoding::Utf8, 10), 511);
    assert_eq!(reader::read_end(&text, Encoding::Utf8, 600), 1023);
    assert_eq!(reader::read_end("short", Encoding::Utf8, 1), 5);
}

/// readerc.go:25-52 (yaml_parser_determine_encoding): UTF-16 behind its
/// byte-order mark is read, either byte order; positions stay the user's.
#[test]
fn utf16_with_a_byte_order_mark_is_read() {
    use crate::load::from_bytes;
    use crate::source::Encoding;
    let text = "- name: é\n  kind: \"😀\"\n";
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    for (bytes, encoding) in [(le, Encoding::Utf16Le), (be, Encoding::Utf16Be)] {
        let source = from_bytes("cortex.yaml", bytes).expect("UTF-16 is read");
        assert_eq!(source.text(), text);
        assert_eq!(source.encoding(), encoding);
    }
    let source = from_bytes("cortex.yaml", b"\xEF\xBB\xBFa: 1\n".to_vec()).expect("UTF-8");
    assert_eq!(
        (source.text(), source.encoding()),
        ("a: 1\n", Encoding::Utf8Bom)
    );
}

/// readerc.go:283-320: a lone surrogate or an odd last byte fails the
/// read, at that character's line and column.
#[test]
fn invalid_utf16_points_at_the_broken_character() {
    use crate::load::{LoadError, from_bytes};
    let units = |text: &str| -> Vec<u16> { text.encode_utf16().collect() };
    let mut lone = units("a: 1\nb: x");
    lone.push(0xD800);
    lone.extend(units("\n"));
    let mut odd: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(units("a: 1\nbc").into_iter().flat_map(u16::to_le_bytes))
        .collect();
    odd.push(b'x');
    let lone: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(lone.into_iter().flat_map(u16::to_le_bytes))
        .collect();
    for (bytes, line, column) in [(lone, 2, 5), (odd, 2, 3)] {
        let Err(LoadError::Invalid(invalid)) = from_bytes("cortex.yaml", bytes) else {
            panic!("refused");
        };
        let (source, d) = *invalid;
        assert_eq!(d.code, codes::NOT_UTF8);
        let at = d
            .primary
            .as_ref()
            .map(|l| l.span.start)
            .expect("a position");
        let position = source.position(at);
        assert_eq!((position.line, position.column), (line, column));
    }
}

/// scannerc.go:944-946, 978-982 (no indentation in flow context) and
/// 2324-2345 (a quoted scalar checks only for `---`/`...` at column 0):
/// go-yaml reads lines inside brackets and quotes at any indentation,
/// which saphyr (YAML 1.2) refuses; they are read with the same values,
/// and spans still point into the text as written.
#[test]
fn continuation_lines_in_brackets_and_quotes_are_read_at_any_indentation() {
    let text = "a:\n  b: [x,\n  z]\n  c: {k: 1,\nm: [2,\n 3]}\n  d: \"one\n  two\"\n  e: 'p\nq'\n";
    let root = parse_ok(text);
    let a = root.get("a").expect("a");
    let json = |key: &str| a.get(key).map(Node::to_json);
    assert_eq!(json("b"), Some(serde_json::json!(["x", "z"])));
    assert_eq!(json("c"), Some(serde_json::json!({"k": 1, "m": [2, 3]})));
    assert_eq!(a.get("d").map(|n| n.value.clone()), Some(s("one two")));
    assert_eq!(a.get("e").map(|n| n.value.clone()), Some(s("p q")));
    let z = text.find("z]").expect("z");
    let b = a.get("b").expect("b");
    let Value::Seq(items) = &b.value else {
        panic!("b is a list")
    };
    assert_eq!(items[1].span, z..z + 1);
    let m = text.find("m:").expect("m");
    let c = a.get("c").expect("c");
    let Value::Map(entries) = &c.value else {
        panic!("c is a mapping")
    };
    assert_eq!(entries[1].key_span.start, m);
    // a `---` at column 0 ends go-yaml's document even inside brackets
    assert_eq!(first_code("a: [x,\n---\n]\n", Limits::default()), "TFC0004");
}

/// A token left of an indented root block ends the block
/// (scannerc.go:978-1000, parserc.go:579-620) and the document
/// (parserc.go:305-330); Unmarshal reads one document (yaml.go:137-150):
/// Cortex never reads the rest. Refused on purpose (TFC0019), with what
/// Cortex reads still given.
#[test]
fn a_line_left_of_an_indented_root_ends_what_cortex_reads() {
    let text = "  - name: a\n    kind: AsyncAPI\n- name: b\n\tbroken: [\n";
    let parsed = parse(text, Limits::default());
    let at = text.find("- name: b").expect("b");
    assert_eq!(starts(&parsed, "TFC0019"), vec![at]);
    // the tab and the bracket after it are never read by go-yaml
    assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
    let root = parsed.root.expect("what Cortex reads");
    let Value::Seq(items) = &root.value else {
        panic!("a list")
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].get("name").map(|n| n.value.clone()), Some(s("a")));
    // a root at column 0 has nothing left of it
    assert_eq!(first_code("- a\n- b\n", Limits::default()), "none");
}

/// A `%` directive after the document's content ends it (scannerc.go:1061-1075
/// unrolls every indentation; the parser ends the document implicitly,
/// parserc.go:305-330): what follows is a later document, a warning.
#[test]
fn a_directive_after_the_content_ends_the_document() {
    let text = "- name: a\n%TAG ! tag:x\n---\n- name: b\n";
    let parsed = parse(text, Limits::default());
    assert_eq!(starts(&parsed, "TFC0006"), vec![text.find('%').expect("%")]);
    assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
    let root = parsed.root.expect("the first document");
    let Value::Seq(items) = &root.value else {
        panic!("a list")
    };
    assert_eq!(items.len(), 1);
}

/// parserc.go:1032-1034 ("found incompatible YAML document": only
/// `%YAML 1.1`) and scannerc.go:1566-1568 ("found unknown directive
/// name"): go-yaml refuses the whole file, saphyr reads it.
#[test]
fn directives_go_yaml_refuses_are_refused() {
    for (text, code) in [
        ("%YAML 1.1\n---\n- a\n", "none"),
        ("%TAG ! tag:x,2000:\n---\n- a\n", "none"),
        ("%YAML 1.2\n---\n- a\n", "TFC0004"),
        ("# c\n\n%YAML 2.0 # c\n---\n- a\n", "TFC0004"),
        ("\u{feff}%FOO bar\n---\n- a\n", "TFC0004"),
    ] {
        assert_eq!(first_code(text, Limits::default()), code, "{text:?}");
    }
    let text = "# c\n%YAML 1.2\n---\n- a\n";
    let parsed = parse(text, Limits::default());
    assert_eq!(starts(&parsed, "TFC0004"), vec![4]);
}

/// scannerc.go:2383-2437 has no `\/` escape (YAML 1.2 and JSON do): the
/// whole decode fails there. `\'`, which go-yaml has and YAML 1.2 lacks,
/// is a known difference (refused here).
#[test]
fn a_json_only_escape_is_refused() {
    let text = "- a: \"x\\\\/y\"\n- b: \"x\\/y\"\n";
    let parsed = parse(text, Limits::default());
    assert_eq!(
        starts(&parsed, "TFC0004"),
        vec![text.rfind("\\/").expect("escape")]
    );
    assert!(parsed.root.is_none());
    // an escaped backslash before a slash is not the escape
    assert_eq!(value_of("a: \"x\\\\/y\"\n", "a"), s("x\\/y"));
}

/// A key indented far right with many quoted continuation lines at column
/// 0 would ask for quadratically many inserted spaces: past the budget
/// none are inserted and saphyr's refusal stands (a syntax error), in
/// bounded time and memory.
#[test]
fn hostile_continuation_lines_do_not_blow_up() {
    let text = format!("{}a: \"x\n{}\"\n", " ".repeat(20_000), "y\n".repeat(200));
    assert_eq!(first_code(&text, Limits::default()), "TFC0004");
}

/// go-yaml's parser peeks at the token after the document, so its scanner
/// reads a directive there (scannerc.go:1540-1700): an unknown or
/// malformed one fails the decode, a valid one only starts a later
/// document (whose `%YAML` version is never checked).
#[test]
fn a_directive_after_the_content_is_scanned() {
    for (text, code) in [
        ("- a\n%FOO bar\n", "TFC0004"),
        ("- a\n%YAML 1\n---\n- b\n", "TFC0004"),
        ("- a\n%YAML 1.2\n---\n- b\n", "TFC0006"),
    ] {
        let parsed = parse(text, Limits::default());
        assert_eq!(
            parsed
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>(),
            [code],
            "{text:?}"
        );
        assert_eq!(parsed.root.is_some(), code == "TFC0006", "{text:?}");
    }
}
