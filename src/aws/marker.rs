//! The ownership marker of a dashboard. CloudWatch takes no tags on dashboards, so provision
//! writes its ownership tags into the body instead: a text widget under the graphs naming the
//! project, the environment, the stack and the address (and the version of provision that
//! wrote it, which is not compared). A read takes the marker's tags as the dashboard's tags, so
//! a dashboard is found and claimed as any tagged resource is, also with its state lost; one
//! without a marker proves nothing (made by hand, by Terraform, or by an older provision).
//!
//! A text widget "must have exactly one property, markdown" (CloudWatch API reference,
//! Dashboard Body Structure and Syntax: Properties of a Text Widget Object). Pure.

use serde_json::{Value, json};

use crate::model::{TAG_ADDRESS, TAG_ENV, TAG_PROJECT, TAG_STACK, Tags};

/// The tags a marker carries, in this order.
const KEYS: [&str; 4] = [TAG_PROJECT, TAG_ENV, TAG_STACK, TAG_ADDRESS];

/// The marker's height in grid units, across the whole 24-column grid.
const HEIGHT: u64 = 2;

/// The markdown of a marker for these tags (only the ownership tags are written).
pub fn text(tags: &Tags) -> String {
    let pairs: Vec<String> = KEYS
        .iter()
        .filter_map(|k| tags.get(*k).map(|v| format!("`{k}={v}`")))
        .collect();
    format!(
        "Managed by provision {}: made from the spec, and written again by the next apply \
         (change the spec, not this dashboard).\n\n{}",
        env!("CARGO_PKG_VERSION"),
        pairs.join(" ")
    )
}

/// The marker widget at row `y`, or `None` for tags without ownership tags.
pub fn widget(tags: &Tags, y: u64) -> Option<Value> {
    KEYS.iter().any(|k| tags.contains_key(*k)).then(|| {
        json!({
            "type": "text",
            "x": 0,
            "y": y,
            "width": 24,
            "height": HEIGHT,
            "properties": { "markdown": text(tags) },
        })
    })
}

/// Whether a widget is a marker: a text widget naming a `provision:` tag.
pub fn is_marker(w: &Value) -> bool {
    w.get("type").and_then(Value::as_str) == Some("text")
        && markdown(w).is_some_and(|m| m.contains("`provision:"))
}

fn markdown(w: &Value) -> Option<&str> {
    w.get("properties")?.get("markdown")?.as_str()
}

/// The ownership tags a body's marker carries (none without one). Each is a code span
/// `` `provision:KEY=VALUE` ``; anything else in the text is ignored.
pub fn tags(body: &str) -> Tags {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut out = Tags::new();
    let widgets = v.get("widgets").and_then(Value::as_array);
    for w in widgets.into_iter().flatten().filter(|w| is_marker(w)) {
        let text = markdown(w).unwrap_or_default();
        for span in text.split('`').skip(1).step_by(2) {
            if let Some((k, v)) = span.split_once('=')
                && KEYS.contains(&k)
            {
                out.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    out
}

/// A body with its marker for `tags` (replacing any marker it had; none when `tags` has no
/// ownership tag), below every other widget. What is not JSON stays as it is.
pub fn with_tags(body: &str, tags: &Tags) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(body) else {
        return body.to_owned();
    };
    let Some(widgets) = v.get_mut("widgets").and_then(Value::as_array_mut) else {
        return body.to_owned();
    };
    widgets.retain(|w| !is_marker(w));
    let bottom = widgets
        .iter()
        .map(|w| {
            let at = |k: &str| w.get(k).and_then(Value::as_u64).unwrap_or(0);
            at("y") + at("height")
        })
        .max()
        .unwrap_or(0);
    widgets.extend(widget(tags, bottom));
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> Tags {
        [
            (TAG_PROJECT, "agentpass"),
            (TAG_ENV, "staging"),
            (TAG_STACK, "shared"),
            (TAG_ADDRESS, "shared.dashboard"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    const GRAPH: &str = r#"{"widgets":[{"height":6,"properties":{"title":"a"},"type":"metric","width":12,"x":0,"y":0}]}"#;

    #[test]
    fn a_marker_reads_back_as_the_ownership_tags_it_was_written_with() {
        let body = with_tags(GRAPH, &ours());
        assert_eq!(tags(&body), ours());
        assert!(body.contains("Managed by provision"), "{body}");
        assert!(body.contains(env!("CARGO_PKG_VERSION")), "{body}");
        // Below the graphs, across the grid.
        assert!(
            body.contains(r#""width":24,"x":0,"y":6"#),
            "the marker is not under the graph: {body}"
        );
        // Written again, it replaces itself: one marker.
        let again = with_tags(&body, &ours());
        assert_eq!(again, body);
        assert_eq!(again.matches("Managed by provision").count(), 1);
    }

    #[test]
    fn other_tags_are_not_written_and_no_ownership_tags_means_no_marker() {
        let mut t = ours();
        t.insert("Name".into(), "x".into());
        assert!(!text(&t).contains("Name"));
        assert_eq!(with_tags(GRAPH, &Tags::new()), GRAPH);
        let stripped = with_tags(&with_tags(GRAPH, &ours()), &Tags::new());
        assert_eq!(stripped, GRAPH);
    }

    #[test]
    fn a_body_without_a_marker_or_not_json_has_no_tags() {
        assert!(tags(GRAPH).is_empty());
        assert!(tags("not json").is_empty());
        assert_eq!(with_tags("not json", &ours()), "not json");
        // A text widget of someone else's is not a marker.
        let hand =
            r#"{"widgets":[{"type":"text","properties":{"markdown":"provision:env=staging"}}]}"#;
        assert!(tags(hand).is_empty());
        // A marker edited by hand to name another environment says so.
        let edited =
            with_tags(GRAPH, &ours()).replace("provision:env=staging", "provision:env=production");
        assert_eq!(
            tags(&edited).get(TAG_ENV).map(String::as_str),
            Some("production")
        );
    }
}
