//! Root tests of the namespace harness itself and of `netns`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use alived_sys::netns;
use common::*;

fn netns_inode() -> std::io::Result<std::path::PathBuf> {
    std::fs::read_link("/proc/thread-self/ns/net")
}

#[test]
fn lab_cleans_up_even_when_the_test_panics() {
    let record: Arc<Mutex<(Vec<String>, u32)>> = Arc::default();
    let rec = record.clone();
    let r = std::panic::catch_unwind(move || {
        let mut lab = Lab::new("drop");
        let a = lab.add_ns("a").unwrap();
        let b = lab.add_ns("b").unwrap();
        lab.veth(&a, "eth0", &b, "eth0").unwrap();
        let pid = lab.spawn(&a, &["sleep", "60"]).unwrap();
        *rec.lock().unwrap() = (lab.namespaces().to_vec(), pid);
        panic!("deliberate");
    });
    assert!(r.is_err());
    let (names, pid) = record.lock().unwrap().clone();
    assert_eq!(names.len(), 2);
    for n in &names {
        assert!(
            !Path::new(&format!("/run/netns/{n}")).exists(),
            "{n} left behind"
        );
    }
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} left running"
    );
}

#[test]
fn run_in_enters_only_the_worker_thread() {
    let mut lab = Lab::new("enter");
    let a = lab.add_ns("a").unwrap();
    let here = netns_inode().unwrap();
    let name = a.clone();
    let (inside, via_enter) = lab
        .run_in(&a, move || {
            let inside = netns_inode().unwrap();
            let t = std::thread::spawn(move || {
                netns::enter(&name).unwrap();
                netns_inode().unwrap()
            });
            (inside, t.join().unwrap())
        })
        .unwrap();
    assert_ne!(inside, here);
    assert_eq!(inside, via_enter);
    assert_eq!(
        netns_inode().unwrap(),
        here,
        "the test thread stays in its namespace"
    );
    assert!(matches!(
        netns::enter("../x"),
        Err(netns::NetnsError::BadName(_))
    ));
    assert!(matches!(
        netns::enter("alv-no-such-ns"),
        Err(netns::NetnsError::Open { .. })
    ));
    // A panic inside run_in reaches the caller.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lab.run_in(&a, || panic!("inside")).unwrap();
    }));
    assert!(r.is_err());
}
