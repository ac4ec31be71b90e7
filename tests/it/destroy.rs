//! Destroy against what still holds network resources: the interfaces a deleted database or load
//! balancer keeps for a while (the emulator's `eni_release_delay`), and what was made by hand.

use crate::support;

use std::time::{Duration, Instant};

use crate::support::output::calls;
use crate::support::{Account, assert_ok, text};

/// The emulator's linger, in seconds: each test below needs it on to mean anything.
fn release_delay(acct: &Account) -> f64 {
    let config = acct
        .http_get("/_provision/config")
        .expect("the extension's config");
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    config["eni_release_delay"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_rides_out_interfaces_a_database_and_load_balancers_just_released() {
    let acct = Account::new();
    assert!(
        release_delay(&acct) >= 1.0,
        "the emulator must keep interfaces"
    );
    let dir = acct.workdir();
    let d = dir.path();
    assert_ok(&acct.apply(d, "staging", &[]));

    let out = acct.destroy(d, "staging", &[]);
    assert_ok(&out);
    // The database's and load balancers' interfaces still held subnets or groups when their
    // deletes were first tried (4 subnets, 5 groups): some were refused and tried again.
    let tries = calls(&out, "EC2", "DeleteSubnet") + calls(&out, "EC2", "DeleteSecurityGroup");
    assert!(
        tries > 9,
        "no delete was retried ({tries} tries):\n{}",
        text(&out)
    );
    let aws = acct.aws().await;
    assert!(support::live_ids(&aws, "staging").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subnet_held_by_a_hand_made_interface_is_named_when_destroy_gives_up() {
    let acct = Account::new();
    let dir = acct.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--stack", "shared", "--auto-approve"];
    assert_ok(&acct.provision(d, &[&["apply"][..], &scope].concat()));
    let aws = acct.aws().await;
    let live = support::live_ids(&aws, "staging").await;
    let subnet = live
        .iter()
        .find(|(a, _)| a.starts_with("shared.subnet"))
        .map(|(_, id)| id.clone())
        .expect("a subnet");
    let made = aws
        .ec2
        .create_network_interface()
        .subnet_id(&subnet)
        .description("made by hand")
        .send()
        .await
        .unwrap();
    let eni = made
        .network_interface()
        .unwrap()
        .network_interface_id()
        .unwrap()
        .to_owned();

    let started = Instant::now();
    let out = acct
        .command(d, &[&["destroy"][..], &scope].concat())
        .env("PROVISION_DEPENDENCY_TIMEOUT", "3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it did not wait:\n{}",
        text(&out)
    );
    let t = text(&out);
    assert!(
        t.contains("DeleteSubnet failed: DependencyViolation"),
        "{t}"
    );
    assert!(t.contains("gave up after waiting 3 s"), "{t}");
    assert!(
        t.contains(&format!("network interface {eni} (made by hand")),
        "the error must name the interface:\n{t}"
    );

    // Remove it and the destroy finishes.
    aws.ec2
        .delete_network_interface()
        .network_interface_id(&eni)
        .send()
        .await
        .unwrap();
    assert_ok(&acct.provision(d, &[&["destroy"][..], &scope].concat()));
}
