//! Arbitrary input never panics, and every diagnostic span points into a real file line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use alived_config::render;
use common::*;
use proptest::prelude::*;

/// Fragments that exercise every part of the grammar, glued in random order.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("\"".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just(" ".to_owned()),
        Just("\\".to_owned()),
        Just("#".to_owned()),
        Just("!".to_owned()),
        Just("\\#".to_owned()),
        Just("\0".to_owned()),
        Just("$A=".to_owned()),
        Just("$A= \\\n".to_owned()),
        Just("$A".to_owned()),
        Just("${A}".to_owned()),
        Just("${_RANDOM 1 9}".to_owned()),
        Just("${_HASH}".to_owned()),
        Just("@main ".to_owned()),
        Just("@^main ".to_owned()),
        Just("~SEQ(A,1,3) ".to_owned()),
        Just("~SEQx(B,3) ".to_owned()),
        Just("~LST({a,b},{1,2}) ".to_owned()),
        Just("~LST(C,x,y) ".to_owned()),
        Just("global_defs".to_owned()),
        Just("vrrp_instance".to_owned()),
        Just("virtual_ipaddress".to_owned()),
        Just("authentication".to_owned()),
        Just("router_id".to_owned()),
        Just("include /nonexistent/{a,b}*.conf".to_owned()),
        Just("include_check +match".to_owned()),
        "[a-zA-Z0-9_./ ]{0,12}",
        "\\PC{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let p = parse(&text);
        let _ = render::render_all(&p.diags, &p.sources);
    }

    #[test]
    fn grammar_soup_never_panics(parts in proptest::collection::vec(fragment(), 0..60)) {
        let text: String = parts.concat();
        let p = parse(&text);
        let out = render::render_all(&p.diags, &p.sources);
        for d in &p.diags.items {
            if let Some(s) = d.span {
                prop_assert!(p.sources.line(s).is_some(), "span {s:?} outside the text: {out}");
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
    }
}
