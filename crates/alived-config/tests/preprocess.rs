//! Preprocessor features, one test each (behaviour spec 1.1, 1.3-1.8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use alived_config::diag::Severity;
use alived_config::preprocess::{Options, preprocess_str};
use alived_config::{diag::Diagnostics, parse_file, span::SourceMap};
use common::*;

/// The logical lines, tokens joined by `|`.
fn lines(text: &str, opts: &Options) -> (Vec<String>, Vec<String>) {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let ls = preprocess_str("t.conf", text, opts, &mut sources, &mut diags);
    let out = ls
        .iter()
        .map(|l| {
            l.tokens
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    (out, diags.items.into_iter().map(|d| d.message).collect())
}

fn plain(text: &str) -> Vec<String> {
    let (l, d) = lines(text, &Options::default());
    assert!(d.is_empty(), "{d:?}");
    l
}

#[test]
fn comments_everywhere_but_quotes() {
    assert_eq!(
        plain("a b # c\n! all\n  # all\nd \"e # f\" g ! h\n"),
        ["a|b", "d|e # f|g"]
    );
}

#[test]
fn escaped_comment_characters() {
    assert_eq!(plain("a\\#b c\\!d\n"), ["a#b|c!d"]);
}

#[test]
fn crlf_line_ends() {
    assert_eq!(plain("a b\r\nc\r\n"), ["a|b", "c"]);
}

#[test]
fn quotes_delimit_tokens_as_in_2_2_7() {
    // keepalived 2.2.7 (observed): `label a" b"c` gives `a`, ` b`, `c`.
    assert_eq!(
        plain("x abcd\" efg h jkl \"mnop\n"),
        ["x|abcd| efg h jkl |mnop"]
    );
    assert_eq!(plain("auth_pass \"\"\n"), ["auth_pass|"]);
}

#[test]
fn definitions_and_substitution() {
    assert_eq!(
        plain("$A=x${B}\n$B=y\nk $A ${A}z $Az $UNDEF ${UNDEF2}\n$A=new\nk $A\n"),
        ["k|xy|xyz|$Az|$UNDEF|$|{", "UNDEF2", "}", "k|new"]
    );
}

#[test]
fn empty_definition_value() {
    assert_eq!(plain("$E=\nk a${E}b\n"), ["k|ab"]);
}

#[test]
fn multi_line_definition_expands_to_lines() {
    assert_eq!(
        plain("$BLK= \\\n  kwa x \\\n  kwb y\ng {\n $BLK\n}\n"),
        ["g|{", "kwa|x", "kwb|y", "}"]
    );
}

#[test]
fn multi_line_definitions_nest() {
    // The body of C defines D (empty); observed with keepalived 2.2.7.
    assert_eq!(
        plain("$C= \\\n$D= \\\nbogusd \\\nbogusc\n$C\n$D\nend\n"),
        ["bogusd", "bogusc", "end"]
    );
    // `$E=text \` is a multi-line definition too: the next line belongs to it.
    assert_eq!(plain("$E=first \\\nsecond\n$E\n"), ["first", "second"]);
}

#[test]
fn multi_line_definition_refers_to_a_later_one() {
    assert_eq!(
        plain("$A= \\\nglobal_defs { \\\n  $B \\\n}\n$B= \\\nrouter_id x \\\nbogus1 y\n$A\n"),
        ["global_defs|{", "router_id|x", "bogus1|y", "}"]
    );
}

#[test]
fn conditionals_with_config_id() {
    let text = "@main kmain\n@^main knotmain\n@other kother\n$COND=@main\n$COND kcond\n";
    let main = Options {
        config_id: Some("main".into()),
        all_config: false,
    };
    assert_eq!(lines(text, &main).0, ["kmain", "kcond"]);
    let other = Options {
        config_id: Some("other".into()),
        all_config: false,
    };
    assert_eq!(lines(text, &other).0, ["knotmain", "kother"]);
    assert_eq!(lines(text, &Options::default()).0, ["knotmain"]);
}

#[test]
fn conditional_definition() {
    let main = Options {
        config_id: Some("main".into()),
        all_config: false,
    };
    assert_eq!(
        lines("$P=100\n@main $P=240\nprio $P\n", &main).0,
        ["prio|240"]
    );
    assert_eq!(
        lines("$P=100\n@main $P=240\nprio $P\n", &Options::default()).0,
        ["prio|100"]
    );
}

#[test]
fn reserved_names() {
    let id = Options {
        config_id: Some("node1".into()),
        all_config: false,
    };
    assert_eq!(lines("k ${_INSTANCE}\n", &id).0, ["k|node1"]);
    // `${_HASH}` becomes a real `#` and the second decomment pass cuts there (as 2.2.7 does).
    assert_eq!(plain("a${_HASH}b c\nd ${_BANG}e\n"), ["a", "d"]);
    assert_eq!(plain("r ${_RANDOM 5 5}\n"), ["r|5"]);
}

#[test]
fn random_is_reproducible() {
    let a = plain("r ${_RANDOM} ${_RANDOM 1 1000}\n");
    assert_eq!(a, plain("r ${_RANDOM} ${_RANDOM 1 1000}\n"));
    let n: i64 = a[0].split('|').nth(2).unwrap().parse().unwrap();
    assert!((1..=1000).contains(&n));
}

#[test]
fn seq_variants() {
    assert_eq!(plain("~SEQ(X, 1, 2, 5) r$X\n"), ["r1", "r3", "r5"]);
    assert_eq!(plain("~SEQ(X,-2) r $X\n"), ["r|-1", "r|-2"]);
    assert_eq!(plain("~SEQx(H,9,11) h$H\n"), ["h9", "ha", "hb"]);
    assert_eq!(plain("~SEQ(S, 0, 3) ip 10.0.${S}.1\n")[3], "ip|10.0.3.1");
}

#[test]
fn lst_variants() {
    assert_eq!(plain("~LST(L, a, b) l$L\n"), ["la", "lb"]);
    // `$p` followed by `$` is not a reference; `$q` at the end is (observed with 2.2.7).
    assert_eq!(
        plain("~LST({p,q},{1,2},{3,4}) lt$p$q\n"),
        ["lt$p2", "lt$p4"]
    );
    assert_eq!(
        plain("~LST({p,q},{1,2},{3,4}) lt${p}${q}\n"),
        ["lt12", "lt34"]
    );
}

#[test]
fn nested_seq_left_most_outermost() {
    assert_eq!(
        plain("~SEQ(A,1,2) ~LST(B,x,y) k$A $B\n"),
        ["k1|x", "k1|y", "k2|x", "k2|y"]
    );
}

#[test]
fn invalid_seq_and_lst() {
    let (l, d) = lines("~SEQ(Q) x\n~LST(a) y\n", &Options::default());
    assert!(l.is_empty());
    assert_eq!(
        d,
        [
            "Invalid ~SEQ definition '~SEQ(Q) x'",
            "Invalid ~SEQ specification '~SEQ(Q) x'",
            "Invalid ~LST specification '~LST(a) y'"
        ]
    );
}

#[test]
fn self_referencing_definition_is_an_error_not_a_hang() {
    // keepalived 2.2.7 loops for ever here.
    let (l, d) = lines("$R=${R}x\nk $R\nnext\n", &Options::default());
    assert_eq!(l, ["next"]);
    assert_eq!(d.len(), 1);
    assert!(d[0].contains("'$R'"), "{d:?}");
}

#[test]
fn exponential_definition_is_bounded() {
    let mut text = String::from("$A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        text.push_str(&format!("$A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    text.push_str("k $A39\n");
    let (_, d) = lines(&text, &Options::default());
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn line_too_long_is_split_like_fgets() {
    let long = format!("router_id {}", "a".repeat(1100));
    let (l, d) = lines(&long, &Options::default());
    assert_eq!(l.len(), 2);
    assert_eq!(l[1], "a".repeat(long.len() - 1023));
    assert_eq!(d.len(), 1);
}

#[test]
fn embedded_nul_ends_the_line() {
    let (l, d) = lines("router_id a\0b c\nnext\n", &Options::default());
    assert_eq!(l, ["router_id|a", "next"]);
    assert_eq!(d.len(), 1);
}

#[test]
fn spans_of_substituted_tokens_point_at_the_reference() {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let ls = preprocess_str(
        "t.conf",
        "$V=val\n  key  $V\n",
        &Options::default(),
        &mut sources,
        &mut diags,
    );
    let t = &ls[0].tokens;
    assert_eq!((t[0].span.line, t[0].span.col, t[0].span.len), (2, 3, 3));
    assert_eq!((t[1].span.line, t[1].span.col), (2, 8));
}

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

#[test]
fn include_relative_glob_and_braces() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "main.conf",
        "include conf.d/*.conf\ninclude other/{x,y}.conf\n",
    );
    write(d.path(), "conf.d/b.conf", "vrrp_script b {\n}\n");
    write(d.path(), "conf.d/a.conf", "vrrp_script a {\n}\n");
    write(d.path(), "conf.d/.hidden.conf", "vrrp_script hidden {\n}\n");
    write(d.path(), "other/x.conf", "vrrp_script x {\n}\n");
    write(d.path(), "other/y.conf", "include ../conf.d/a.conf\n");
    let p = parse_file(&d.path().join("main.conf"), &Options::default(), &ROOT);
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
    assert_eq!(
        outline(&p),
        "vrrp_script <a>\nvrrp_script <b>\nvrrp_script <x>\nvrrp_script <a>\n"
    );
    // Spans name the included file.
    let f = p.nodes[1].span.file;
    assert!(p.sources.path(f).ends_with("conf.d/b.conf"));
}

#[test]
fn include_missing_is_a_note_but_includea_is_security() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.conf", "include nothere.conf\n");
    let p = parse_file(&d.path().join("m.conf"), &Options::default(), &ROOT);
    assert_eq!(messages(&p), ["Config files missing 'nothere.conf'."]);
    assert_eq!(p.diags.exit_code(), 0);
    write(d.path(), "a.conf", "includea nothere.conf\n");
    let p = parse_file(&d.path().join("a.conf"), &Options::default(), &ROOT);
    assert_eq!(p.diags.items[0].severity, Severity::Security);
    assert_eq!(p.diags.exit_code(), 6);
    let e = Options {
        config_id: None,
        all_config: true,
    };
    let p = parse_file(&d.path().join("m.conf"), &e, &ROOT);
    assert_eq!(p.diags.exit_code(), 6);
}

#[test]
fn include_check_variants() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.conf", "");
    let cases = [
        (
            "includew zz*.conf",
            Some("No config files matched 'zz*.conf'."),
            6,
        ),
        ("includem zz*.conf", None, 0),
        (
            "includem zz.conf",
            Some("Config files missing 'zz.conf'."),
            6,
        ),
        (
            "includeb {a,zz}.conf",
            Some("Some config files missing: \"{a,zz}.conf\"."),
            6,
        ),
        (
            "includer zz.conf",
            Some("Config files missing 'zz.conf'."),
            0,
        ),
        (
            "include_check match\ninclude zz.conf",
            Some("Config files missing 'zz.conf'."),
            6,
        ),
        (
            "include_check bogus",
            Some("Unknown include_check option 'bogus'"),
            5,
        ),
    ];
    for (text, msg, rc) in cases {
        write(d.path(), "m.conf", &format!("{text}\n"));
        let p = parse_file(&d.path().join("m.conf"), &Options::default(), &ROOT);
        assert_eq!(messages(&p).first().map(String::as_str), msg, "{text}");
        assert_eq!(p.diags.exit_code(), rc, "{text}");
    }
}

#[test]
fn include_check_is_restored_after_the_included_file() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "inner.conf", "include_check match\n");
    write(d.path(), "m.conf", "include inner.conf\ninclude zz.conf\n");
    let p = parse_file(&d.path().join("m.conf"), &Options::default(), &ROOT);
    assert_eq!(p.diags.exit_code(), 0, "{:?}", p.diags);
}

#[test]
fn include_cycle_is_refused() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.conf", "include b.conf\nvrrp_script a {\n}\n");
    write(d.path(), "b.conf", "include a.conf\n");
    let p = parse_file(&d.path().join("a.conf"), &Options::default(), &ROOT);
    assert_eq!(messages(&p).len(), 1);
    assert!(
        messages(&p)[0].contains("include cycle"),
        "{:?}",
        messages(&p)
    );
    assert_eq!(outline(&p), "vrrp_script <a>\n");
}

#[test]
fn include_after_substitution_and_conditional() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "inc.conf", "vrrp_script s {\n}\n");
    write(
        d.path(),
        "m.conf",
        "$F=inc.conf\ninclude $F\n@main include inc.conf\n@other include inc.conf\n",
    );
    let o = Options {
        config_id: Some("main".into()),
        all_config: false,
    };
    let p = parse_file(&d.path().join("m.conf"), &o, &ROOT);
    assert!(p.diags.items.is_empty(), "{:?}", p.diags);
    assert_eq!(outline(&p), "vrrp_script <s>\nvrrp_script <s>\n");
}

#[test]
fn main_file_missing() {
    let o = Options::default();
    let p = parse_file(std::path::Path::new("/nonexistent/alived.conf"), &o, &ROOT);
    assert_eq!(
        messages(&p),
        ["Config files missing '/nonexistent/alived.conf'."]
    );
    // keepalived 2.2.7 -t: rc 0, and 4 with -e.
    assert_eq!(p.diags.exit_code(), 0);
    let e = Options {
        config_id: None,
        all_config: true,
    };
    let p = parse_file(std::path::Path::new("/nonexistent/alived.conf"), &e, &ROOT);
    assert_eq!(p.diags.exit_code(), 4);
}

#[test]
fn include_of_a_non_regular_file_is_skipped() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("sub.conf")).unwrap();
    write(d.path(), "m.conf", "include sub.conf\ninclude /dev/zero\n");
    let p = parse_file(&d.path().join("m.conf"), &Options::default(), &ROOT);
    let m = messages(&p);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m.iter()
            .all(|m| m.ends_with("open problem (not a regular file) - skipping")),
        "{m:?}"
    );
    assert_eq!(p.diags.exit_code(), 0);
}
