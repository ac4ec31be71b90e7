//! `provision graph` against LocalStack: the SVG is well-formed XML and shows every resource of
//! staging; `plan --graph` writes the picture beside the plan; `--drift` colours what moved.

use std::collections::BTreeSet;

use crate::support::{self, Account, assert_ok, text};

/// Every `data-address` of a well-formed SVG document (xmlparser fails on malformed XML).
fn drawn(svg: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut root = None;
    for token in xmlparser::Tokenizer::from(svg) {
        match token.unwrap_or_else(|e| panic!("not XML: {e}")) {
            xmlparser::Token::ElementStart { local, .. } if root.is_none() => {
                root = Some(local.as_str().to_owned())
            }
            xmlparser::Token::Attribute { local, value, .. }
                if local.as_str() == "data-address" =>
            {
                out.insert(value.as_str().to_owned());
            }
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("svg"));
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_svg_is_xml_and_shows_every_resource_of_staging() {
    let account = Account::new();
    let dir = account.workdir();
    let d = dir.path();
    let scope = ["--env", "staging", "--state", "local"];
    let run =
        |verb: &[&str], extra: &[&str]| account.provision(d, &[verb, &scope[..], extra].concat());

    // Before anything exists: the plan's picture, every resource to create.
    let file = d.join("plan.svg");
    let out = run(&["plan"], &["--graph", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let svg = std::fs::read_to_string(&file).unwrap();
    let planned = drawn(&svg);
    assert!(planned.len() > 40, "{planned:?}");
    assert!(svg.contains("<title>shared.vpc: create</title>"), "{svg}");

    assert_ok(&run(&["apply", "--auto-approve"], &[]));
    let aws = account.aws().await;
    let live = support::live_ids(&aws, "staging").await;
    let out = run(&["--format", "svg", "graph"], &[]);
    assert_ok(&out);
    let svg = String::from_utf8(out.stdout).unwrap();
    let shown = drawn(&svg);
    let all: BTreeSet<String> = live.keys().cloned().collect();
    assert_eq!(shown, all);
    assert_eq!(shown, planned);
    assert!(
        svg.contains("<title>backend.rds: no change</title>"),
        "{svg}"
    );
    // A reference between settings is dashed: the backend reads the database's endpoint.
    assert!(svg.contains("stroke-dasharray=\"5 4\" marker-end=\"url(#arrow)\"><title>backend.beanstalk -&gt; backend.rds</title>"), "{svg}");

    // DOT and Mermaid carry the same resources.
    let out = run(&["--format", "dot", "graph"], &[]);
    assert_ok(&out);
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph \"staging\" {"), "{dot}");
    assert!(
        all.iter()
            .all(|a| dot.contains(&format!("\"{a}\" [fillcolor")))
    );
    let out = run(&["--format", "mermaid", "graph"], &[]);
    assert_ok(&out);
    let mermaid = String::from_utf8(out.stdout).unwrap();
    assert!(
        mermaid.contains("backend_beanstalk -.-> backend_rds"),
        "{mermaid}"
    );

    // --drift: the VPC retagged by hand is coloured as changed.
    let vpc = live["shared.vpc"].clone();
    aws.ec2
        .create_tags()
        .resources(&vpc)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Environment")
                .value("by-hand")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = run(&["--format", "json", "graph"], &["--drift"]);
    assert_ok(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |a: &str| {
        doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["address"] == a)
            .map(|n| n["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("shared.vpc").as_deref(), Some("changed"));
    assert_eq!(status("backend.rds").as_deref(), Some("no drift"));
}
