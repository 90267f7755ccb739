//! One test per grammar feature of the front end (behaviour spec section 1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[test]
fn simple_blocks_and_values() {
    let p = parse(
        "global_defs {\n  router_id R1\n}\nvrrp_instance VI_1 {\n  interface eth0\n  \
         virtual_ipaddress {\n    10.0.0.1/24 dev eth0\n  }\n}\n",
    );
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
    assert_eq!(
        outline(&p),
        "global_defs\n  router_id <R1>\nvrrp_instance <VI_1>\n  interface <eth0>\n  \
         virtual_ipaddress\n    = <10.0.0.1/24> <dev> <eth0>\n"
    );
}

#[test]
fn one_line_blocks() {
    let p = parse(
        "global_defs { router_id \"R 1\" }\nvrrp_instance X { virtual_ipaddress { 10.0.0.1 } }\n",
    );
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
    assert_eq!(
        outline(&p),
        "global_defs\n  router_id <R 1>\nvrrp_instance <X>\n  virtual_ipaddress\n    = <10.0.0.1>\n"
    );
}

#[test]
fn brace_on_next_line() {
    let p = parse("global_defs\n{\n router_id x\n}\n");
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
    assert_eq!(outline(&p), "global_defs\n  router_id <x>\n");
}

#[test]
fn unknown_keyword_skips_line_with_suggestion() {
    let p = parse("vrrp_instance VI {\n Interface eth0\n virtual_routr_id 5\n}\n");
    assert_eq!(
        messages(&p),
        [
            "Unknown keyword 'Interface'",
            "Unknown keyword 'virtual_routr_id'"
        ]
    );
    assert_eq!(
        p.diags.items[0].help.as_deref(),
        Some("did you mean `interface`?")
    );
    assert_eq!(
        p.diags.items[1].help.as_deref(),
        Some("did you mean `virtual_router_id`?")
    );
    assert_eq!(p.diags.exit_code(), 5);
}

#[test]
fn unknown_block_quirk_closes_enclosing_block() {
    // keepalived 2.2.7: the unknown block's `}` closes global_defs.
    let p = parse("global_defs {\n  bogus_block {\n    router_id z\n  }\n  router_id x\n}\n");
    assert_eq!(
        messages(&p),
        [
            "Unknown keyword 'bogus_block'",
            "Unexpected '{' - ignoring",
            "Unknown keyword 'router_id'",
            "Unknown keyword '}'"
        ]
    );
    assert_eq!(outline(&p), "global_defs\n  router_id <z>\n");
}

#[test]
fn extra_and_missing_braces() {
    let p = parse("global_defs {\n  router_id x\n}\n}\n");
    assert_eq!(messages(&p), ["Extra '}' found", "Unknown keyword '}'"]);
    let p = parse("global_defs {\n  router_id x\n");
    assert_eq!(messages(&p), ["There are 1 missing '}'s or extra '{'s"]);
    assert_eq!(outline(&p), "global_defs\n  router_id <x>\n");
}

#[test]
fn missing_open_brace() {
    let p = parse("vrrp_instance VI\n interface lo\n virtual_router_id 5\n}\n");
    assert_eq!(
        messages(&p),
        [
            "Missing '{' at beginning of configuration block",
            "Extra '}' found"
        ]
    );
    assert_eq!(
        outline(&p),
        "vrrp_instance <VI>\n  interface <lo>\n  virtual_router_id <5>\n"
    );
}

#[test]
fn unterminated_quote() {
    let p = parse("global_defs {\n  router_id \"abc\n}\n");
    assert_eq!(
        messages(&p),
        [
            "Unterminated quote 'router_id \"abc'",
            "Unmatched quote: 'router_id \"abc'"
        ]
    );
    assert_eq!(outline(&p), "global_defs\n  router_id\n");
}

#[test]
fn leaf_keyword_with_brace_is_unexpected() {
    let p = parse("global_defs {\n router_id x {\n smtp_server 1.1.1.1\n}\n}\n");
    assert_eq!(
        messages(&p),
        ["Unexpected '{' - ignoring", "Unknown keyword '}'"]
    );
    assert_eq!(
        outline(&p),
        "global_defs\n  router_id <x>\n  smtp_server <1.1.1.1>\n"
    );
}

#[test]
fn stray_open_brace_is_counted() {
    let p = parse("global_defs {\n {\n router_id x\n }\n}\n");
    assert_eq!(
        messages(&p),
        ["Unexpected '{' - ignoring", "Unknown keyword '}'"]
    );
}

#[test]
fn brace_counter_resets_after_extra_close() {
    let p = parse("}\n}\nglobal_defs {\n router_id x\n");
    assert_eq!(
        messages(&p),
        [
            "Extra '}' found",
            "Unknown keyword '}'",
            "Extra '}' found",
            "Unknown keyword '}'",
            "There are 1 missing '}'s or extra '{'s"
        ]
    );
}

#[test]
fn quoted_braces_act_as_keywords_but_are_not_counted() {
    // keepalived 2.2.7: `"}"` closes global_defs; the real `}` is then unknown but not extra.
    let p = parse("global_defs {\n  router_id \"{\"\n  \"}\"\n}\n");
    assert_eq!(messages(&p), ["Unknown keyword '}'"]);
    assert_eq!(outline(&p), "global_defs\n  router_id <{>\n");
}

#[test]
fn value_block_keeps_braces_as_values() {
    let p = parse(
        "vrrp_instance VI {\n virtual_ipaddress {\n  10.1.1.1 {\n  10.1.1.2\n }\n  10.1.1.3\n }\n}\n",
    );
    assert_eq!(
        messages(&p),
        ["Unknown keyword '10.1.1.3'", "Unknown keyword '}'"]
    );
    assert!(outline(&p).contains("= <{>"));
}

#[test]
fn value_block_without_brace_is_read_silently() {
    let p = parse("vrrp_instance VI {\n virtual_ipaddress\n  10.1.1.1\n }\n}\n");
    assert_eq!(messages(&p), ["Extra '}' found"]);
    assert_eq!(
        outline(&p),
        "vrrp_instance <VI>\n  virtual_ipaddress\n    = <10.1.1.1>\n"
    );
}

#[test]
fn block_at_end_of_input_without_brace_is_silent() {
    let p = parse("global_defs {\n router_id x\n}\nvrrp_instance VI\n");
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
}

#[test]
fn nested_value_block_with_arguments() {
    let p = parse(
        "vrrp_instance VI {\n track_script x {\n  chk\n }\n}\nvirtual_server_group G {\n 10.0.0.1 80\n}\n",
    );
    assert_eq!(
        messages(&p),
        ["Block track_script has extra parameters x ..."]
    );
}

#[test]
fn keyword_in_the_wrong_block_gets_a_hint() {
    let p = parse("router_id x\nglobal_defs {\n  net_namespace blue\n}\n");
    let helps: Vec<_> = p
        .diags
        .items
        .iter()
        .map(|d| d.help.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        helps,
        [
            "`router_id` belongs in a `global_defs` block",
            "`net_namespace` is only valid at the top level"
        ]
    );
}

#[test]
fn semicolons_are_ordinary_text() {
    let p = parse("vrrp_instance VI {\n virtual_router_id 51 ; priority 100\n}\n");
    assert!(p.diags.items.is_empty());
    assert_eq!(
        outline(&p),
        "vrrp_instance <VI>\n  virtual_router_id <51> <;> <priority> <100>\n"
    );
}

#[test]
fn nested_keyword_blocks() {
    let p = parse(
        "virtual_server 10.0.0.1 80 {\n  delay_loop 6\n  real_server 10.0.0.2 80 {\n    \
         weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n}\n",
    );
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
    assert_eq!(
        outline(&p),
        "virtual_server <10.0.0.1> <80>\n  delay_loop <6>\n  real_server <10.0.0.2> <80>\n    \
         weight <1>\n    TCP_CHECK\n      connect_timeout <3>\n"
    );
}

#[test]
fn diagnostics_come_in_reading_order() {
    let p = parse("global_defs {\n  bogus1 x\n  ~SEQ(Q) y\n  bogus2 \"z\n}\nbogus3\n~LST(a) b\n");
    let lines: Vec<u32> = p
        .diags
        .items
        .iter()
        .map(|d| d.span.map_or(0, |s| s.line))
        .collect();
    assert_eq!(lines, [2, 3, 3, 4, 4, 4, 6, 7]);
    assert_eq!(
        messages(&p),
        [
            "Unknown keyword 'bogus1'",
            "Invalid ~SEQ definition '~SEQ(Q) y'",
            "Invalid ~SEQ specification '~SEQ(Q) y'",
            "Unterminated quote 'bogus2 \"z'",
            "Unmatched quote: 'bogus2 \"z'",
            "Unknown keyword 'bogus2'",
            "Unknown keyword 'bogus3'",
            "Invalid ~LST specification '~LST(a) b'"
        ]
    );
}
