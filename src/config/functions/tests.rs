//! Expected results are Terraform's documented examples where the docs give one.

use super::*;
use std::path::Path;
use time::macros::datetime;

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}
fn n(x: f64) -> Value {
    Value::Number(x)
}
fn b(x: bool) -> Value {
    Value::Bool(x)
}
fn l(items: Vec<Value>) -> Value {
    Value::List(items)
}
fn sl(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}
fn m(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(pairs)
}
const U: Value = Value::Unknown;
const NULL: Value = Value::Null;

fn fake_read(p: &Path) -> Result<String, String> {
    match p.to_str() {
        Some("/mod/hello.txt") => Ok("Hello World".into()),
        Some("/abs/data.json") => Ok("{\"a\":1}".into()),
        _ => Err("not found".into()),
    }
}

fn run(name: &str, args: Vec<Value>, now: Option<time::OffsetDateTime>) -> Result<Value, String> {
    let ctx = FnContext {
        base_dir: Path::new("/mod"),
        read_file: &fake_read,
        now,
    };
    call(name, args, &ctx)
}

#[track_caller]
fn ok(name: &str, args: Vec<Value>) -> Value {
    run(name, args, Some(datetime!(2018-05-13 07:44:12 UTC)))
        .unwrap_or_else(|e| panic!("{name} failed: {e}"))
}

#[track_caller]
fn err(name: &str, args: Vec<Value>) -> String {
    match run(name, args, None) {
        Ok(v) => panic!("{name} succeeded with {v}, expected an error"),
        Err(e) => e,
    }
}

#[track_caller]
fn err_has(name: &str, args: Vec<Value>, needle: &str) {
    let e = err(name, args);
    assert!(e.contains(needle), "{name}: error {e:?} lacks {needle:?}");
}

#[test]
fn registry_lists_every_function_and_evaluator_ones() {
    let names = names();
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    for f in [
        "try",
        "can",
        "templatefile",
        "cidrsubnets",
        "jsonencode",
        "formatdate",
    ] {
        assert!(exists(f), "{f}");
        assert!(names.contains(&f));
    }
    assert!(!exists("nope"));
    err_has("nope", vec![], "There is no function named \"nope\"");
    err_has("try", vec![s("a")], "evaluated by the expression evaluator");
    assert!(names.len() > 100);
}

#[test]
fn argument_count_and_null_errors() {
    err_has("length", vec![], "Not enough function arguments: Function \"length\" expects 1 argument(s). Missing value for \"value\"");
    err_has(
        "length",
        vec![n(1.0), n(2.0)],
        "Too many function arguments",
    );
    err_has(
        "lookup",
        vec![m(vec![]), s("a"), s("b"), s("c")],
        "expects only 3",
    );
    err_has("upper", vec![NULL], "argument must not be null");
    err_has(
        "upper",
        vec![l(vec![])],
        "Invalid value for \"str\" parameter: string required",
    );
    err_has("abs", vec![s("x")], "cannot convert \"x\" to number");
    err_has("keys", vec![sl(&["a"])], "map required");
}

#[test]
fn unknowns_propagate_unless_the_result_is_still_known() {
    assert_eq!(ok("upper", vec![U]), U);
    assert_eq!(ok("jsonencode", vec![l(vec![s("a"), U])]), U);
    assert_eq!(ok("join", vec![s(","), l(vec![s("a"), U])]), U);
    assert_eq!(ok("cidrsubnet", vec![U, n(4.0), n(1.0)]), U);
    assert_eq!(ok("length", vec![l(vec![U, U])]), n(2.0));
    assert_eq!(ok("length", vec![U]), U);
    assert_eq!(ok("keys", vec![m(vec![("a", U)])]), sl(&["a"]));
    assert_eq!(ok("element", vec![l(vec![U, s("b")]), n(1.0)]), s("b"));
    assert_eq!(ok("element", vec![sl(&["a"]), U]), U);
    assert_eq!(
        ok("lookup", vec![m(vec![("a", U), ("b", n(1.0))]), s("b")]),
        n(1.0)
    );
    assert_eq!(ok("lookup", vec![U, s("b")]), U);
    assert_eq!(
        ok("concat", vec![l(vec![U]), sl(&["a"])]),
        l(vec![U, s("a")])
    );
    assert_eq!(
        ok("merge", vec![m(vec![("a", U)]), m(vec![("b", n(1.0))])]),
        m(vec![("a", U), ("b", n(1.0))])
    );
    assert_eq!(ok("toset", vec![l(vec![U, s("a")])]), U);
    assert_eq!(ok("coalesce", vec![U, s("a")]), U);
    assert_eq!(ok("coalesce", vec![s("a"), U]), s("a"));
    assert_eq!(ok("zipmap", vec![l(vec![U]), sl(&["x"])]), U);
    assert_eq!(ok("sensitive", vec![U]), U);
    assert_eq!(ok("format", vec![s("%s"), U]), U);
}

#[test]
fn lookup_length_element() {
    let map = m(vec![("a", s("ay")), ("b", s("bee"))]);
    assert_eq!(ok("lookup", vec![map.clone(), s("a"), s("what?")]), s("ay"));
    assert_eq!(
        ok("lookup", vec![map.clone(), s("c"), s("what?")]),
        s("what?")
    );
    err_has(
        "lookup",
        vec![map.clone(), s("c")],
        "lookup failed to find key \"c\"",
    );
    err_has("lookup", vec![NULL, s("c")], "must not be null");

    assert_eq!(ok("length", vec![l(vec![])]), n(0.0));
    assert_eq!(ok("length", vec![sl(&["a", "b"])]), n(2.0));
    assert_eq!(ok("length", vec![m(vec![("a", s("b"))])]), n(1.0));
    assert_eq!(ok("length", vec![s("hello")]), n(5.0));
    assert_eq!(ok("length", vec![s("🤔")]), n(1.0));
    err_has(
        "length",
        vec![n(5.0)],
        "must be a string, a collection type",
    );

    let abc = sl(&["a", "b", "c"]);
    assert_eq!(ok("element", vec![abc.clone(), n(1.0)]), s("b"));
    assert_eq!(ok("element", vec![abc.clone(), n(3.0)]), s("a"));
    err_has(
        "element",
        vec![l(vec![]), n(0.0)],
        "cannot use element function with an empty list",
    );
    err_has("element", vec![abc.clone(), n(-1.0)], "negative index");
    err_has("element", vec![abc, n(1.5)], "whole number");
}

#[test]
fn merge_compact_coalesce() {
    assert_eq!(
        ok(
            "merge",
            vec![
                m(vec![("a", s("b")), ("c", s("d"))]),
                NULL,
                m(vec![("e", s("f")), ("c", s("z"))])
            ]
        ),
        m(vec![("a", s("b")), ("c", s("z")), ("e", s("f"))])
    );
    assert_eq!(ok("merge", vec![]), m(vec![]));
    err_has(
        "merge",
        vec![sl(&["a"])],
        "arguments must be maps or objects, got \"tuple\"",
    );

    assert_eq!(
        ok(
            "compact",
            vec![l(vec![s("a"), s(""), s("b"), NULL, s("c")])]
        ),
        sl(&["a", "b", "c"])
    );
    err_has(
        "compact",
        vec![l(vec![l(vec![])])],
        "list of string required",
    );

    assert_eq!(ok("coalesce", vec![s("a"), s("b")]), s("a"));
    assert_eq!(ok("coalesce", vec![s(""), s("b")]), s("b"));
    assert_eq!(ok("coalesce", vec![NULL, n(1.0), n(2.0)]), n(1.0));
    assert_eq!(ok("coalesce", vec![n(1.0), s("hello")]), s("1"));
    assert_eq!(ok("coalesce", vec![b(true), s("hello")]), s("true"));
    err_has(
        "coalesce",
        vec![NULL, s("")],
        "no non-null, non-empty-string arguments",
    );
    err_has("coalesce", vec![], "no non-null");
    err_has("coalesce", vec![n(1.0), b(true)], "same type");
    err_has("coalesce", vec![m(vec![]), s("hello")], "same type");

    assert_eq!(
        ok("coalescelist", vec![sl(&["a", "b"]), sl(&["c", "d"])]),
        sl(&["a", "b"])
    );
    assert_eq!(
        ok("coalescelist", vec![l(vec![]), sl(&["c", "d"])]),
        sl(&["c", "d"])
    );
    err_has(
        "coalescelist",
        vec![l(vec![]), l(vec![])],
        "no non-null arguments",
    );
    err_has("coalescelist", vec![s("a")], "list or tuple required");
}

#[test]
fn flatten_concat_keys_values_zipmap() {
    assert_eq!(
        ok(
            "flatten",
            vec![l(vec![sl(&["a", "b"]), l(vec![]), sl(&["c"])])]
        ),
        sl(&["a", "b", "c"])
    );
    assert_eq!(
        ok(
            "flatten",
            vec![l(vec![l(vec![sl(&["a", "b"]), l(vec![])]), sl(&["c"])])]
        ),
        sl(&["a", "b", "c"])
    );
    err_has("flatten", vec![s("a")], "list required");

    assert_eq!(
        ok("concat", vec![sl(&["a", ""]), sl(&["b", "c"])]),
        sl(&["a", "", "b", "c"])
    );
    err_has(
        "concat",
        vec![s("a")],
        "all arguments must be lists or tuples",
    );
    err_has("concat", vec![], "at least one argument");

    let abc = m(vec![("a", n(1.0)), ("c", n(2.0)), ("d", n(3.0))]);
    assert_eq!(ok("keys", vec![abc.clone()]), sl(&["a", "c", "d"]));
    assert_eq!(ok("values", vec![abc]), l(vec![n(1.0), n(2.0), n(3.0)]));
    err_has("values", vec![s("a")], "map required");

    assert_eq!(
        ok("zipmap", vec![sl(&["a", "b"]), l(vec![n(1.0), n(2.0)])]),
        m(vec![("a", n(1.0)), ("b", n(2.0))])
    );
    err_has(
        "zipmap",
        vec![sl(&["a", "b"]), l(vec![n(1.0)])],
        "number of keys (2) does not match number of values (1)",
    );
}

#[test]
fn contains_distinct_slice_index_matchkeys() {
    let abc = sl(&["a", "b", "c"]);
    assert_eq!(ok("contains", vec![abc.clone(), s("a")]), b(true));
    assert_eq!(ok("contains", vec![abc.clone(), s("d")]), b(false));
    assert_eq!(ok("contains", vec![sl(&["1"]), n(1.0)]), b(true));
    err_has("contains", vec![s("abc"), s("a")], "list required");

    assert_eq!(
        ok("distinct", vec![sl(&["a", "b", "a", "c", "d", "b"])]),
        sl(&["a", "b", "c", "d"])
    );

    let abcd = sl(&["a", "b", "c", "d"]);
    assert_eq!(
        ok("slice", vec![abcd.clone(), n(1.0), n(3.0)]),
        sl(&["b", "c"])
    );
    assert_eq!(ok("slice", vec![abcd.clone(), n(4.0), n(4.0)]), l(vec![]));
    err_has("slice", vec![abcd.clone(), n(1.0), n(5.0)], "end index");
    err_has("slice", vec![abcd.clone(), n(-1.0), n(2.0)], "start index");
    err_has(
        "slice",
        vec![abcd, n(3.0), n(2.0)],
        "less than or equal to end index",
    );

    assert_eq!(ok("index", vec![abc.clone(), s("b")]), n(1.0));
    err_has("index", vec![abc, s("z")], "item not found");

    assert_eq!(
        ok(
            "matchkeys",
            vec![
                sl(&["i-123", "i-abc", "i-def"]),
                sl(&["us-west", "us-east", "us-east"]),
                sl(&["us-east"])
            ]
        ),
        sl(&["i-abc", "i-def"])
    );
    err_has(
        "matchkeys",
        vec![sl(&["a"]), sl(&[]), sl(&[])],
        "length of keys and values should be equal",
    );
}

#[test]
fn one_sort_reverse_sum_chunklist_transpose() {
    assert_eq!(ok("one", vec![l(vec![])]), NULL);
    assert_eq!(ok("one", vec![sl(&["hello"])]), s("hello"));
    err_has("one", vec![sl(&["a", "b"])], "either zero or one elements");

    assert_eq!(
        ok("sort", vec![sl(&["e", "d", "a", "x"])]),
        sl(&["a", "d", "e", "x"])
    );
    assert_eq!(ok("sort", vec![l(vec![n(10.0), n(9.0)])]), sl(&["10", "9"]));
    err_has(
        "sort",
        vec![l(vec![s("a"), NULL])],
        "null string cannot be sorted",
    );

    assert_eq!(
        ok("reverse", vec![l(vec![n(1.0), n(2.0), n(3.0)])]),
        l(vec![n(3.0), n(2.0), n(1.0)])
    );
    err_has("reverse", vec![s("abc")], "list required");

    assert_eq!(
        ok("sum", vec![l(vec![n(10.0), n(13.0), n(6.0), n(4.5)])]),
        n(33.5)
    );
    err_has("sum", vec![l(vec![])], "cannot sum an empty list");
    err_has("sum", vec![sl(&["x"])], "list of number required");

    let abcde = sl(&["a", "b", "c", "d", "e"]);
    assert_eq!(
        ok("chunklist", vec![abcde.clone(), n(2.0)]),
        l(vec![sl(&["a", "b"]), sl(&["c", "d"]), sl(&["e"])])
    );
    assert_eq!(
        ok("chunklist", vec![abcde.clone(), n(0.0)]),
        l(vec![abcde.clone()])
    );
    err_has("chunklist", vec![abcde, n(-1.0)], "must be positive");

    assert_eq!(
        ok(
            "transpose",
            vec![m(vec![("a", sl(&["1", "2"])), ("b", sl(&["2", "3"]))])]
        ),
        m(vec![
            ("1", sl(&["a"])),
            ("2", sl(&["a", "b"])),
            ("3", sl(&["b"]))
        ])
    );
    err_has(
        "transpose",
        vec![m(vec![("a", s("1"))])],
        "map of list of string required",
    );
}

#[test]
fn alltrue_anytrue_short_circuit_over_unknowns() {
    assert_eq!(ok("alltrue", vec![l(vec![s("true"), b(true)])]), b(true));
    assert_eq!(ok("alltrue", vec![l(vec![b(true), b(false)])]), b(false));
    assert_eq!(ok("alltrue", vec![l(vec![])]), b(true));
    assert_eq!(ok("alltrue", vec![l(vec![U, b(false)])]), b(false));
    assert_eq!(ok("alltrue", vec![l(vec![U, b(true)])]), U);
    assert_eq!(ok("anytrue", vec![l(vec![s("true")])]), b(true));
    assert_eq!(ok("anytrue", vec![l(vec![b(true), b(false)])]), b(true));
    assert_eq!(ok("anytrue", vec![l(vec![])]), b(false));
    assert_eq!(ok("anytrue", vec![l(vec![U, b(true)])]), b(true));
    assert_eq!(ok("anytrue", vec![l(vec![U, b(false)])]), U);
    err_has("alltrue", vec![l(vec![s("x")])], "list of bool required");
}

#[test]
fn sets() {
    assert_eq!(ok("toset", vec![sl(&["c", "b", "b"])]), sl(&["b", "c"]));
    assert_eq!(
        ok("toset", vec![l(vec![s("a"), s("b"), n(3.0)])]),
        sl(&["3", "a", "b"])
    );
    assert_eq!(
        ok("toset", vec![l(vec![n(10.0), n(2.0), n(2.0)])]),
        l(vec![n(2.0), n(10.0)])
    );
    err_has("toset", vec![l(vec![n(1.0), b(true)])], "same type");
    err_has("toset", vec![m(vec![])], "cannot convert object to set");

    assert_eq!(
        ok(
            "setunion",
            vec![sl(&["b", "a"]), sl(&["b", "c"]), sl(&["d"])]
        ),
        sl(&["a", "b", "c", "d"])
    );
    assert_eq!(
        ok(
            "setintersection",
            vec![sl(&["a", "b"]), sl(&["b", "c"]), sl(&["b", "d"])]
        ),
        sl(&["b"])
    );
    assert_eq!(
        ok("setsubtract", vec![sl(&["a", "b", "c"]), sl(&["a", "c"])]),
        sl(&["b"])
    );
    assert_eq!(
        ok(
            "setproduct",
            vec![sl(&["development", "staging"]), sl(&["app1", "app2"])]
        ),
        l(vec![
            sl(&["development", "app1"]),
            sl(&["development", "app2"]),
            sl(&["staging", "app1"]),
            sl(&["staging", "app2"]),
        ])
    );
    assert_eq!(ok("setproduct", vec![sl(&["a"]), l(vec![])]), l(vec![]));
    err_has("setproduct", vec![sl(&["a"])], "at least two arguments");
    err_has("setunion", vec![s("a")], "list required");
}

#[test]
fn type_conversions() {
    assert_eq!(ok("tostring", vec![s("hello")]), s("hello"));
    assert_eq!(ok("tostring", vec![n(1.0)]), s("1"));
    assert_eq!(ok("tostring", vec![b(true)]), s("true"));
    assert_eq!(ok("tostring", vec![NULL]), NULL);
    err_has(
        "tostring",
        vec![l(vec![])],
        "cannot convert tuple to string",
    );

    assert_eq!(ok("tonumber", vec![n(1.0)]), n(1.0));
    assert_eq!(ok("tonumber", vec![s("1.5")]), n(1.5));
    assert_eq!(ok("tonumber", vec![NULL]), NULL);
    err_has("tonumber", vec![s("no")], "cannot convert \"no\" to number");
    err_has("tonumber", vec![b(true)], "cannot convert bool to number");

    assert_eq!(ok("tobool", vec![s("true")]), b(true));
    assert_eq!(ok("tobool", vec![b(false)]), b(false));
    assert_eq!(ok("tobool", vec![NULL]), NULL);
    err_has("tobool", vec![s("yes")], "cannot convert \"yes\" to bool");
    err_has("tobool", vec![n(1.0)], "cannot convert number to bool");

    assert_eq!(
        ok("tolist", vec![l(vec![s("a"), s("b"), n(3.0)])]),
        sl(&["a", "b", "3"])
    );
    err_has("tolist", vec![m(vec![])], "cannot convert object to list");
    assert_eq!(
        ok("tomap", vec![m(vec![("a", s("foo")), ("b", b(true))])]),
        m(vec![("a", s("foo")), ("b", s("true"))])
    );
    err_has("tomap", vec![sl(&["a"])], "cannot convert tuple to map");

    let secret = m(vec![("k", s("v"))]);
    assert_eq!(ok("sensitive", vec![secret.clone()]), secret);
    assert_eq!(ok("nonsensitive", vec![secret.clone()]), secret);
}

#[test]
fn numbers() {
    assert_eq!(ok("range", vec![n(3.0)]), l(vec![n(0.0), n(1.0), n(2.0)]));
    assert_eq!(
        ok("range", vec![n(1.0), n(4.0)]),
        l(vec![n(1.0), n(2.0), n(3.0)])
    );
    assert_eq!(
        ok("range", vec![n(1.0), n(8.0), n(2.0)]),
        l(vec![n(1.0), n(3.0), n(5.0), n(7.0)])
    );
    assert_eq!(
        ok("range", vec![n(1.0), n(3.0), n(0.5)]),
        l(vec![n(1.0), n(1.5), n(2.0), n(2.5)])
    );
    assert_eq!(
        ok("range", vec![n(4.0), n(1.0)]),
        l(vec![n(4.0), n(3.0), n(2.0)])
    );
    assert_eq!(
        ok("range", vec![n(10.0), n(5.0), n(-2.0)]),
        l(vec![n(10.0), n(8.0), n(6.0)])
    );
    assert_eq!(ok("range", vec![n(4.0), n(1.0), n(1.0)]), l(vec![]));
    err_has(
        "range",
        vec![n(1.0), n(4.0), n(0.0)],
        "step must not be zero",
    );
    err_has("range", vec![n(0.0), n(2000.0)], "more than 1024 values");

    assert_eq!(ok("max", vec![n(12.0), n(54.0), n(3.0)]), n(54.0));
    assert_eq!(ok("min", vec![n(12.0), n(54.0), n(3.0)]), n(3.0));
    err_has("max", vec![], "at least one number");
    assert_eq!(ok("abs", vec![n(-12.4)]), n(12.4));
    assert_eq!(ok("ceil", vec![n(5.1)]), n(6.0));
    assert_eq!(ok("floor", vec![n(4.9)]), n(4.0));
    assert_eq!(ok("pow", vec![n(3.0), n(2.0)]), n(9.0));
    assert_eq!(ok("log", vec![n(16.0), n(2.0)]), n(4.0));
    assert_eq!(ok("signum", vec![n(-13.0)]), n(-1.0));
    assert_eq!(ok("signum", vec![n(0.0)]), n(0.0));
    assert_eq!(ok("signum", vec![s("344")]), n(1.0));

    assert_eq!(ok("parseint", vec![s("100"), n(10.0)]), n(100.0));
    assert_eq!(ok("parseint", vec![s("FF"), n(16.0)]), n(255.0));
    assert_eq!(ok("parseint", vec![s("-10"), n(16.0)]), n(-16.0));
    assert_eq!(
        ok("parseint", vec![s("1011111011101111"), n(2.0)]),
        n(48879.0)
    );
    assert_eq!(ok("parseint", vec![s("aA"), n(62.0)]), n(656.0));
    err_has(
        "parseint",
        vec![s("12"), n(2.0)],
        "cannot parse \"12\" as a base 2 integer",
    );
    err_has("parseint", vec![s("1"), n(1.0)], "between 2 and 62");
}

#[test]
fn format_verbs() {
    let f = |spec: &str, args: Vec<Value>| {
        let mut all = vec![s(spec)];
        all.extend(args);
        ok("format", all)
    };
    assert_eq!(f("Hello, %s!", vec![s("Ander")]), s("Hello, Ander!"));
    assert_eq!(
        f("There are %d lights", vec![n(4.0)]),
        s("There are 4 lights")
    );
    assert_eq!(f("%.2f", vec![n(1.23456)]), s("1.23"));
    assert_eq!(f("%f", vec![n(1.5)]), s("1.500000"));
    assert_eq!(
        f("%5d|%-5s|%05d", vec![n(42.0), s("ab"), n(-7.0)]),
        s("   42|ab   |-0007")
    );
    assert_eq!(
        f(
            "%q %t %x %X %b %o %%",
            vec![s("x\"y"), b(true), n(255.0), n(255.0), n(5.0), n(8.0)]
        ),
        s("\"x\\\"y\" true ff FF 101 10 %")
    );
    assert_eq!(
        f("%v %v %v", vec![s("a"), n(1.5), l(vec![n(1.0), s("b")])]),
        s("a 1.5 [1,\"b\"]")
    );
    assert_eq!(f("%#v", vec![s("x")]), s("\"x\""));
    assert_eq!(f("%e", vec![n(1234.5678)]), s("1.234568e+03"));
    assert_eq!(f("%g %g", vec![n(0.5), n(100.0)]), s("0.5 100"));
    assert_eq!(f("%+d %.3s", vec![n(5.0), s("abcdef")]), s("+5 abc"));
    assert_eq!(f("%[2]s %[1]s", vec![s("a"), s("b")]), s("b a"));
    err_has(
        "format",
        vec![s("%s %s"), s("a")],
        "not enough arguments for \"%s\" at 3: need index 2 but have 1 total",
    );
    err_has(
        "format",
        vec![s("%s"), s("a"), s("b")],
        "too many arguments; only 1 used",
    );
    err_has("format", vec![s("%d"), n(1.5)], "whole number");
    err_has("format", vec![s("%99999999999d"), n(1.0)], "larger than");
    err_has(
        "format",
        vec![s("%[3]d"), n(1.0)],
        "need index 3 but have 1 total",
    );
    err_has(
        "format",
        vec![s("%z"), n(1.0)],
        "unrecognized format character",
    );
    err_has(
        "format",
        vec![s("abc %"), n(1.0)],
        "unterminated format verb",
    );
    err_has("format", vec![s("%d"), s("x")], "number required");
    err_has(
        "format",
        vec![s("%s"), NULL],
        "null value cannot be formatted",
    );

    assert_eq!(
        ok(
            "formatlist",
            vec![s("Hello, %s!"), sl(&["Valentina", "Ander"])]
        ),
        sl(&["Hello, Valentina!", "Hello, Ander!"])
    );
    assert_eq!(
        ok(
            "formatlist",
            vec![s("%s, %s!"), s("Salutations"), sl(&["Valentina", "Ander"])]
        ),
        sl(&["Salutations, Valentina!", "Salutations, Ander!"])
    );
    assert_eq!(ok("formatlist", vec![s("%s"), s("x")]), sl(&["x"]));
    err_has(
        "formatlist",
        vec![s("%s %s"), sl(&["a"]), sl(&["a", "b"])],
        "argument 2 has length 2, which is inconsistent with argument 1 of length 1",
    );
}

#[test]
fn strings_basic() {
    assert_eq!(
        ok("split", vec![s(","), s("foo,bar,baz")]),
        sl(&["foo", "bar", "baz"])
    );
    assert_eq!(ok("split", vec![s(","), s("foo")]), sl(&["foo"]));
    assert_eq!(ok("split", vec![s(","), s("")]), sl(&[""]));
    assert_eq!(
        ok("join", vec![s("-"), sl(&["foo", "bar", "baz"])]),
        s("foo-bar-baz")
    );
    assert_eq!(
        ok("join", vec![s(", "), sl(&["foo"]), sl(&["bar"])]),
        s("foo, bar")
    );
    err_has("join", vec![s(",")], "at least one list is required");
    err_has(
        "join",
        vec![s(","), l(vec![s("a"), NULL])],
        "element 1 is null",
    );

    assert_eq!(ok("lower", vec![s("HELLO")]), s("hello"));
    assert_eq!(ok("upper", vec![s("hello")]), s("HELLO"));
    assert_eq!(ok("title", vec![s("hello world")]), s("Hello World"));
    assert_eq!(ok("trimspace", vec![s("  hello\n\n")]), s("hello"));
    assert_eq!(ok("trim", vec![s("?!hello?!"), s("!?")]), s("hello"));
    assert_eq!(
        ok("trimprefix", vec![s("helloworld"), s("hello")]),
        s("world")
    );
    assert_eq!(
        ok("trimprefix", vec![s("helloworld"), s("cat")]),
        s("helloworld")
    );
    assert_eq!(
        ok("trimsuffix", vec![s("helloworld"), s("world")]),
        s("hello")
    );

    assert_eq!(
        ok("substr", vec![s("hello world"), n(1.0), n(4.0)]),
        s("ello")
    );
    assert_eq!(ok("substr", vec![s("🤔🤷"), n(0.0), n(1.0)]), s("🤔"));
    assert_eq!(
        ok("substr", vec![s("hello world"), n(-5.0), n(-1.0)]),
        s("world")
    );
    assert_eq!(
        ok("substr", vec![s("hello world"), n(6.0), n(10.0)]),
        s("world")
    );
    assert_eq!(ok("substr", vec![s("hi"), n(5.0), n(1.0)]), s(""));
    err_has("substr", vec![s("hi"), n(0.5), n(1.0)], "whole number");

    assert_eq!(
        ok("startswith", vec![s("hello world"), s("hello")]),
        b(true)
    );
    assert_eq!(
        ok("startswith", vec![s("hello world"), s("world")]),
        b(false)
    );
    assert_eq!(ok("endswith", vec![s("hello world"), s("world")]), b(true));
    assert_eq!(ok("strcontains", vec![s("hello world"), s("wor")]), b(true));
    assert_eq!(
        ok("strcontains", vec![s("hello world"), s("cat")]),
        b(false)
    );

    assert_eq!(
        ok("indent", vec![n(2.0), s("[\n  foo,\n  bar,\n]\n")]),
        s("[\n    foo,\n    bar,\n  ]\n  ")
    );
    err_has("indent", vec![n(-1.0), s("x")], "between 0 and 65536");
    err_has("indent", vec![n(1e12), s("x")], "between 0 and 65536");
    assert_eq!(ok("chomp", vec![s("hello\n")]), s("hello"));
    assert_eq!(ok("chomp", vec![s("hello\r\n")]), s("hello"));
    assert_eq!(ok("chomp", vec![s("hello\n\n")]), s("hello"));
    assert_eq!(ok("strrev", vec![s("hello")]), s("olleh"));
    assert_eq!(
        ok("urlencode", vec![s("Hello World!")]),
        s("Hello+World%21")
    );
    assert_eq!(ok("urlencode", vec![s("☃")]), s("%E2%98%83"));
    assert_eq!(
        ok("urlencode", vec![s("foo:bar@localhost?foo=bar&bar=baz")]),
        s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")
    );
}

#[test]
fn regex_family() {
    assert_eq!(
        ok("replace", vec![s("1 + 2 + 3"), s("+"), s("-")]),
        s("1 - 2 - 3")
    );
    assert_eq!(
        ok(
            "replace",
            vec![s("hello world"), s("/w.*d/"), s("everybody")]
        ),
        s("hello everybody")
    );
    assert_eq!(
        ok("replace", vec![s("abc"), s("/(b)/"), s("[$1]")]),
        s("a[b]c")
    );
    err_has(
        "replace",
        vec![s("abc"), s("/(/"), s("x")],
        "invalid regular expression pattern",
    );

    assert_eq!(
        ok(
            "regex",
            vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")]
        ),
        s("aaabbbccc")
    );
    assert_eq!(
        ok(
            "regex",
            vec![s(r"(\d\d\d\d)-(\d\d)-(\d\d)"), s("2019-02-01")]
        ),
        sl(&["2019", "02", "01"])
    );
    assert_eq!(
        ok(
            "regex",
            vec![
                s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                s("https://terraform.io/docs/")
            ]
        ),
        m(vec![
            ("authority", s("terraform.io")),
            ("scheme", s("https"))
        ])
    );
    assert_eq!(
        ok("regex", vec![s("(a)|(b)"), s("b")]),
        l(vec![NULL, s("b")])
    );
    err_has(
        "regex",
        vec![s("[a-z]+"), s("1234")],
        "pattern did not match any part of the given string",
    );
    err_has(
        "regex",
        vec![s("(?P<x>a)(b)"), s("ab")],
        "cannot mix both named and unnamed",
    );
    err_has(
        "regex",
        vec![s("["), s("a")],
        "invalid regular expression pattern",
    );

    assert_eq!(
        ok("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")]),
        sl(&["abcd", "efgh"])
    );
    assert_eq!(ok("regexall", vec![s("[a-z]+"), s("1234")]), l(vec![]));
    assert_eq!(
        ok("regexall", vec![s("(\\w)=(\\d)"), s("a=1 b=2")]),
        l(vec![sl(&["a", "1"]), sl(&["b", "2"])])
    );
}

#[test]
fn json_and_yaml() {
    assert_eq!(
        ok("jsonencode", vec![m(vec![("hello", s("world"))])]),
        s("{\"hello\":\"world\"}")
    );
    assert_eq!(
        ok(
            "jsonencode",
            vec![m(vec![
                ("z", l(vec![n(1.0), n(1.5), b(true), NULL])),
                ("a", s("<a&b>\n"))
            ])]
        ),
        s("{\"a\":\"\\u003ca\\u0026b\\u003e\\n\",\"z\":[1,1.5,true,null]}")
    );
    assert_eq!(ok("jsonencode", vec![NULL]), s("null"));

    assert_eq!(
        ok("jsondecode", vec![s("{\"hello\": \"world\"}")]),
        m(vec![("hello", s("world"))])
    );
    assert_eq!(ok("jsondecode", vec![s("true")]), b(true));
    assert_eq!(
        ok("jsondecode", vec![s("[1, 2.5, null]")]),
        l(vec![n(1.0), n(2.5), NULL])
    );
    err_has("jsondecode", vec![s("{nope")], "invalid JSON");

    assert_eq!(
        ok("yamlencode", vec![m(vec![("a", s("b")), ("c", s("d"))])]),
        s("\"a\": \"b\"\n\"c\": \"d\"\n")
    );
    assert_eq!(
        ok(
            "yamlencode",
            vec![m(vec![
                ("foo", l(vec![n(1.0), n(2.0), n(3.0)])),
                ("bar", s("baz"))
            ])]
        ),
        s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n")
    );
    assert_eq!(
        ok(
            "yamlencode",
            vec![m(vec![
                (
                    "foo",
                    l(vec![n(1.0), m(vec![("a", s("b")), ("c", s("d"))]), n(3.0)])
                ),
                ("bar", s("baz")),
            ])]
        ),
        s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n")
    );
    assert_eq!(
        ok(
            "yamlencode",
            vec![m(vec![(
                "a",
                m(vec![("b", l(vec![])), ("c", s("x\ny\n"))])
            )])]
        ),
        s("\"a\":\n  \"b\": []\n  \"c\": |\n    x\n    y\n")
    );
    assert_eq!(ok("yamlencode", vec![s("x")]), s("\"x\"\n"));

    assert_eq!(
        ok("yamldecode", vec![s("hello: world")]),
        m(vec![("hello", s("world"))])
    );
    assert_eq!(ok("yamldecode", vec![s("true")]), b(true));
    assert_eq!(ok("yamldecode", vec![s("")]), NULL);
    assert_eq!(
        ok("yamldecode", vec![s("{a: &foo [1, 2, 3], b: *foo}")]),
        m(vec![
            ("a", l(vec![n(1.0), n(2.0), n(3.0)])),
            ("b", l(vec![n(1.0), n(2.0), n(3.0)]))
        ])
    );
    err_has("yamldecode", vec![s("a: [1, 2")], "invalid YAML");
    // What yamlencode writes, yamldecode reads back.
    let v = m(vec![(
        "k",
        l(vec![s("multi\nline"), m(vec![("n", n(2.5))])]),
    )]);
    let text = ok("yamlencode", vec![v.clone()]);
    assert_eq!(ok("yamldecode", vec![text]), v);
}

#[test]
fn base64_and_hashes() {
    assert_eq!(
        ok("base64encode", vec![s("Hello World")]),
        s("SGVsbG8gV29ybGQ=")
    );
    assert_eq!(
        ok("base64decode", vec![s("SGVsbG8gV29ybGQ=")]),
        s("Hello World")
    );
    err_has(
        "base64decode",
        vec![s("%%%")],
        "failed to decode base64 data",
    );
    err_has("base64decode", vec![s("/w==")], "not valid UTF-8");
    assert_eq!(
        ok("md5", vec![s("hello world")]),
        s("5eb63bbbe01eeed093cb22bb8f5acdc3")
    );
    assert_eq!(
        ok("sha1", vec![s("hello world")]),
        s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
    );
    assert_eq!(
        ok("sha256", vec![s("hello world")]),
        s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
    );
    assert_eq!(
        ok("sha512", vec![s("hello world")]),
        s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
    );
    assert_eq!(
        ok("base64sha256", vec![s("hello world")]),
        s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
    );
    assert_eq!(
        ok("base64sha512", vec![s("hello world")]),
        s("MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==")
    );
}

#[test]
fn cidr() {
    assert_eq!(
        ok("cidrsubnet", vec![s("172.16.0.0/12"), n(4.0), n(2.0)]),
        s("172.18.0.0/16")
    );
    assert_eq!(
        ok("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(15.0)]),
        s("10.1.2.240/28")
    );
    assert_eq!(
        ok(
            "cidrsubnet",
            vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
        ),
        s("fd00:fd12:3456:7800:a200::/72")
    );
    err_has(
        "cidrsubnet",
        vec![s("10.0.0.0/30"), n(4.0), n(0.0)],
        "insufficient address space to extend prefix of 30 by 4",
    );
    err_has(
        "cidrsubnet",
        vec![s("10.0.0.0/16"), n(4.0), n(16.0)],
        "prefix extension of 4 does not accommodate a subnet numbered 16",
    );
    err_has(
        "cidrsubnet",
        vec![s("10.0.0/16"), n(4.0), n(1.0)],
        "invalid CIDR address",
    );

    assert_eq!(
        ok("cidrhost", vec![s("10.12.112.0/20"), n(16.0)]),
        s("10.12.112.16")
    );
    assert_eq!(
        ok("cidrhost", vec![s("10.12.112.0/20"), n(268.0)]),
        s("10.12.113.12")
    );
    assert_eq!(
        ok(
            "cidrhost",
            vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)]
        ),
        s("fd00:fd12:3456:7890::22")
    );
    assert_eq!(
        ok("cidrhost", vec![s("10.0.0.0/24"), n(-1.0)]),
        s("10.0.0.255")
    );
    err_has(
        "cidrhost",
        vec![s("10.0.0.0/24"), n(256.0)],
        "prefix of 24 does not accommodate a host numbered 256",
    );
    err_has(
        "cidrhost",
        vec![s("10.0.0.0/24"), n(-257.0)],
        "does not accommodate",
    );

    assert_eq!(
        ok("cidrnetmask", vec![s("172.16.0.0/12")]),
        s("255.240.0.0")
    );
    assert_eq!(
        ok("cidrnetmask", vec![s("10.0.0.0/32")]),
        s("255.255.255.255")
    );
    err_has(
        "cidrnetmask",
        vec![s("fd00::/56")],
        "IPv6 addresses cannot have a netmask",
    );

    assert_eq!(
        ok(
            "cidrsubnets",
            vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
        ),
        sl(&[
            "10.1.0.0/20",
            "10.1.16.0/20",
            "10.1.32.0/24",
            "10.1.48.0/20"
        ])
    );
    assert_eq!(
        ok(
            "cidrsubnets",
            vec![
                s("fd00:fd12:3456:7890::/56"),
                n(16.0),
                n(16.0),
                n(16.0),
                n(32.0)
            ]
        ),
        sl(&[
            "fd00:fd12:3456:7800::/72",
            "fd00:fd12:3456:7800:100::/72",
            "fd00:fd12:3456:7800:200::/72",
            "fd00:fd12:3456:7800:300::/88",
        ])
    );
    assert_eq!(ok("cidrsubnets", vec![s("10.0.0.0/8")]), l(vec![]));
    err_has(
        "cidrsubnets",
        vec![s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)],
        "not enough remaining address space",
    );
    err_has(
        "cidrsubnets",
        vec![s("10.0.0.0/30"), n(3.0)],
        "too long for an IPv4 address",
    );
    err_has(
        "cidrsubnets",
        vec![s("10.0.0.0/16"), n(0.0)],
        "at least one bit",
    );
}

#[test]
fn files_and_paths() {
    assert_eq!(ok("file", vec![s("hello.txt")]), s("Hello World"));
    assert_eq!(ok("file", vec![s("/abs/data.json")]), s("{\"a\":1}"));
    err_has(
        "file",
        vec![s("missing.txt")],
        "no file exists at \"missing.txt\"",
    );
    assert_eq!(
        ok("filebase64", vec![s("hello.txt")]),
        s("SGVsbG8gV29ybGQ=")
    );
    assert_eq!(ok("fileexists", vec![s("hello.txt")]), b(true));
    assert_eq!(ok("fileexists", vec![s("missing.txt")]), b(false));
    assert_eq!(
        ok("filemd5", vec![s("hello.txt")]),
        s("b10a8db164e0754105b7a99be72e3fe5")
    );
    assert_eq!(
        ok("filesha1", vec![s("hello.txt")]),
        s("0a4d55a8d778e5022fab701977c5d840bbc486d0")
    );
    assert_eq!(
        ok("filesha256", vec![s("hello.txt")]),
        s("a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e")
    );
    assert_eq!(
        ok("filesha512", vec![s("hello.txt")]),
        ok("sha512", vec![s("Hello World")])
    );
    assert_eq!(
        ok("filebase64sha256", vec![s("hello.txt")]),
        ok("base64sha256", vec![s("Hello World")])
    );
    assert_eq!(
        ok("filebase64sha512", vec![s("hello.txt")]),
        ok("base64sha512", vec![s("Hello World")])
    );
    err_has("filemd5", vec![s("missing.txt")], "no file exists");

    assert_eq!(ok("basename", vec![s("foo/bar/baz.txt")]), s("baz.txt"));
    assert_eq!(ok("basename", vec![s("foo/bar/")]), s("bar"));
    assert_eq!(ok("basename", vec![s("")]), s("."));
    assert_eq!(ok("dirname", vec![s("foo/bar/baz.txt")]), s("foo/bar"));
    assert_eq!(ok("dirname", vec![s("foo")]), s("."));
    assert_eq!(ok("dirname", vec![s("/foo")]), s("/"));
    assert_eq!(ok("dirname", vec![s("a/../b/./c")]), s("b"));
}

#[test]
fn time_functions() {
    assert_eq!(ok("timestamp", vec![]), s("2018-05-13T07:44:12Z"));
    assert_eq!(run("timestamp", vec![], None), Ok(U));
    err_has("timestamp", vec![s("x")], "Too many function arguments");

    let t = s("2018-01-02T23:12:01Z");
    let fd = |spec: &str, t: &Value| ok("formatdate", vec![s(spec), t.clone()]);
    assert_eq!(fd("DD MMM YYYY hh:mm ZZZ", &t), s("02 Jan 2018 23:12 UTC"));
    assert_eq!(
        fd("EEEE, DD-MMM-YY hh:mm:ss ZZZ", &t),
        s("Tuesday, 02-Jan-18 23:12:01 UTC")
    );
    assert_eq!(fd("MMM DD, YYYY", &t), s("Jan 02, 2018"));
    assert_eq!(fd("HH:mmaa", &t), s("11:12pm"));
    assert_eq!(fd("MMMM D, h:m:s AA", &t), s("January 2, 23:12:1 PM"));
    let pst = s("2018-01-02T23:12:01-08:00");
    assert_eq!(
        fd("EEE, DD MMM YYYY hh:mm:ss ZZZ", &pst),
        s("Tue, 02 Jan 2018 23:12:01 -0800")
    );
    assert_eq!(fd("h'h'mm ZZZZZ Z", &pst), s("23h12 -08:00 -08:00"));
    assert_eq!(
        fd("'it''s' YYYY-MM-DD'T'hh:mm:ssZ", &t),
        s("it's 2018-01-02T23:12:01Z")
    );
    err_has(
        "formatdate",
        vec![s("YYYY"), s("2018-01-02")],
        "not a valid RFC3339 timestamp",
    );
    err_has(
        "formatdate",
        vec![s("YYYYY"), t.clone()],
        "invalid date format verb \"YYYYY\"",
    );
    err_has("formatdate", vec![s("'open"), t], "unterminated literal");
}

fn arb_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        Just(Value::Unknown),
        any::<bool>().prop_map(Value::Bool),
        (-300i64..300).prop_map(|i| Value::Number(i as f64)),
        any::<f64>().prop_map(Value::Number),
        "[a-z0-9/.%:,\\[\\]()*+?-]{0,12}".prop_map(Value::String),
        Just(s("10.0.0.0/16")),
        Just(s("fd00::/56")),
        Just(s("2018-01-02T23:12:01Z")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            proptest::collection::btree_map("[a-c]", inner, 0..3)
                .prop_map(|m| Value::Map(m.into())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Bad input gives an error, never a panic, for every function.
    #[test]
    fn no_function_panics_on_arbitrary_arguments(
        args in proptest::collection::vec(arb_value(), 0..4)
    ) {
        for name in names() {
            let _ = run(name, args.clone(), None);
            let _ = run(name, args.clone(), Some(datetime!(2020-01-01 00:00:00 UTC)));
        }
    }
}
