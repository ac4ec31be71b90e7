//! SNS: the alarm topic (its id is its ARN) and its e-mail subscriptions.
//!
//! SNS has no tag filter on `ListTopics`. A read pass reads by ARN the topics state recorded
//! and those the pass's tag listing holds (`GetTopicAttributes`, whose NotFound means gone);
//! only when there is none of either, or none has the name the spec gives, it lists the topics
//! and keeps those whose name starts with the project and carries the environment (validation
//! requires both of the topic name) or whose ARN the state recorded.
//!
//! Subscriptions take no tags: one is this environment's when its topic is. An e-mail
//! subscription stays "pending confirmation" until its owner follows the link AWS mails;
//! `ListSubscriptionsByTopic` then shows `PendingConfirmation` instead of its ARN. As the
//! Terraform provider does, `Subscribe` asks for the ARN (`ReturnSubscriptionArn`), which is
//! recorded and found again by the subscription's endpoint; a pending subscription that AWS
//! refuses to unsubscribe is left to expire (AWS deletes unconfirmed ones after three days).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_sns::Client;
use aws_sdk_sns::types::Tag;

use super::errors::Code::{Is, Mentions};
use super::errors::ErrorClass::{Gone, Refused};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::kind::{AwsKind, mismatch};
use super::service::ReadPass;
use super::tagging::TagIndex;
use super::{AwsError, Op, sdk_err};
use crate::kinds::alarm_subscription::AlarmSubscription;
use crate::kinds::alarm_topic::AlarmTopic;
use crate::model::*;

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Sns as super::Service>::ERRORS;

/// What `ListSubscriptionsByTopic` shows for the ARN of an unconfirmed subscription.
pub const PENDING: &str = "PendingConfirmation";

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// The topic name in a topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`).
pub fn topic_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

#[derive(Debug)]
struct Sub {
    arn: String,
    protocol: String,
    endpoint: String,
}

#[derive(Debug, Default)]
pub struct Raw {
    /// (ARN, tags, access policy with placeholders, subscriptions).
    topics: Vec<(String, Tags, String, Vec<Sub>)>,
}

async fn read(client: &Client, claims: &Claims, index: &TagIndex) -> Result<Raw, AwsError> {
    let what = format!("SNS topics of {}", claims.owner);
    let recorded = claims.recorded_ids(Kind::AlarmTopic);
    // Nothing recorded (an empty account, or state lost): listed as before, so a first apply
    // makes no tag listing and a lost state's topic is found by its name.
    let listed = if recorded.is_empty() {
        Vec::new()
    } else {
        index.of_type("sns", "").await?
    };
    let listed: Vec<String> = listed
        .into_iter()
        .filter(|l| !l.id.contains(':'))
        .map(|l| l.arn)
        .collect();
    let expected = claims.expected_names(Kind::AlarmTopic);
    let arns = match candidates(&recorded, &listed, &expected) {
        Some(arns) => arns,
        None => list_topics(client, claims, &what).await?,
    };
    let tags = index
        .each(arns.clone(), |arn| {
            let (client, what) = (client.clone(), what.clone());
            async move { topic_tags(&client, &what, &arn).await }
        })
        .await?;
    let mut topics = Vec::new();
    for (arn, tags) in arns.into_iter().zip(tags) {
        if let Some(tags) = super::unless_gone(tags)?
            && claims.address(&arn, Kind::AlarmTopic, &tags).is_some()
        {
            let Some(policy) = super::unless_gone(policy_of(client, &what, &arn).await)? else {
                continue;
            };
            let subs = super::unless_gone(subscriptions(client, &what, &arn).await)?;
            topics.push((arn, tags, policy, subs.unwrap_or_default()));
        }
    }
    Ok(Raw { topics })
}

/// The topics to read by ARN, sorted: those state recorded and those the tag listing holds
/// (topic ARNs). `None` when only `ListTopics` can find them: no candidate (lost state and
/// tags the listing does not show yet), or a topic name the spec gives that no candidate has.
/// A candidate that is gone answers NotFound to its reads and is left out.
fn candidates(recorded: &[String], listed: &[String], expected: &[String]) -> Option<Vec<String>> {
    let arns: BTreeSet<&String> = recorded.iter().chain(listed).collect();
    let named = |n: &String| arns.iter().any(|a| topic_name(a) == n);
    if arns.is_empty() || !expected.iter().all(named) {
        return None;
    }
    Some(arns.into_iter().cloned().collect())
}

/// The account's topics whose name starts with the project and carries the environment
/// (validation requires both of the topic name), or whose ARN the state recorded.
async fn list_topics(
    client: &Client,
    claims: &Claims,
    what: &str,
) -> Result<Vec<String>, AwsError> {
    let recorded = claims.recorded_ids(Kind::AlarmTopic);
    let mut arns = Vec::new();
    let mut pages = client.list_topics().into_paginator().send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, what, "ListTopics"))?;
        arns.extend(
            p.topics()
                .iter()
                .filter_map(|t| t.topic_arn())
                .filter(|arn| {
                    let name = topic_name(arn);
                    recorded.iter().any(|r| r == arn)
                        || (name.starts_with(&claims.owner.project)
                            && names_env(name, &claims.owner.env))
                })
                .map(str::to_owned),
        );
    }
    Ok(arns)
}

async fn topic_tags(client: &Client, res: &str, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "ListTagsForResource"))?;
    Ok(tags_of(out.tags()))
}

/// The topic's access policy as `AlarmTopicAttrs::policy` holds it.
async fn policy_of(client: &Client, res: &str, arn: &str) -> Result<String, AwsError> {
    let out = client
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .map_err(sdk_err(ERRORS, res, "GetTopicAttributes"))?;
    let policy = out.attributes().and_then(|a| a.get("Policy"));
    Ok(policy
        .map(|p| with_placeholders(p, arn))
        .unwrap_or_default())
}

/// A policy as the spec writes it: canonical JSON (keys sorted, lists of names sorted), the
/// topic's ARN as `{topic}` and its account as `{account}`.
pub fn with_placeholders(policy: &str, arn: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(policy) else {
        return policy.to_owned();
    };
    sort_names(&mut value);
    let text = value.to_string().replace(arn, "{topic}");
    match arn.split(':').nth(4).filter(|a| !a.is_empty()) {
        Some(account) => text.replace(account, "{account}"),
        None => text,
    }
}

/// Lists of strings (actions, principals) mean the same in any order.
fn sort_names(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(sort_names);
            if items.iter().all(serde_json::Value::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(sort_names),
        _ => {}
    }
}

/// The policy to send for a topic: the placeholders filled.
fn filled(policy: &str, arn: &str) -> String {
    let account = arn.split(':').nth(4).unwrap_or_default();
    policy.replace("{topic}", arn).replace("{account}", account)
}

async fn set_policy(client: &Client, op: &Op<'_>, arn: &str, policy: &str) -> Result<(), AwsError> {
    client
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name("Policy")
        .attribute_value(filled(policy, arn))
        .send()
        .await
        .map_err(sdk_err(ERRORS, &op.resource(), "SetTopicAttributes"))?;
    Ok(())
}

async fn subscriptions(client: &Client, res: &str, topic: &str) -> Result<Vec<Sub>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .into_paginator()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, res, "ListSubscriptionsByTopic"))?;
        out.extend(p.subscriptions().iter().map(|s| Sub {
            arn: s.subscription_arn().unwrap_or_default().to_owned(),
            protocol: s.protocol().unwrap_or_default().to_owned(),
            endpoint: s.endpoint().unwrap_or_default().to_owned(),
        }));
    }
    Ok(out)
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        self.topics
            .iter()
            .map(|(arn, tags, _, _)| (arn.clone(), tags.clone()))
            .collect()
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        let mut found = Found::default();
        let no_tags = Tags::new();
        for (arn, tags, policy, subs) in self.topics {
            let Some(address) = claims.address(&arn, Kind::AlarmTopic, &tags) else {
                continue;
            };
            let attrs = Attrs::AlarmTopic(AlarmTopicAttrs {
                name: topic_name(&arn).to_owned(),
                policy,
            });
            found.insert(address.clone(), live(arn.clone(), attrs, tags));
            for s in subs {
                let sub = Address::named(
                    address.stack,
                    Kind::AlarmSubscription,
                    subscription_name(&s.endpoint),
                );
                // A pending subscription is listed without its ARN: the recorded one is it.
                let id = if s.arn == PENDING {
                    claims
                        .recorded_ids(Kind::AlarmSubscription)
                        .into_iter()
                        .find(|id| {
                            claims.address(id, Kind::AlarmSubscription, &no_tags)
                                == Some(sub.clone())
                        })
                        .unwrap_or(s.arn)
                } else {
                    s.arn
                };
                let attrs = Attrs::AlarmSubscription(AlarmSubscriptionAttrs {
                    topic: ids.to_ref(&arn),
                    protocol: s.protocol,
                    endpoint: s.endpoint,
                });
                found.insert(sub, live(id, attrs, Tags::new()));
            }
        }
        found
    }
}

fn live(id: String, attrs: Attrs, tags: Tags) -> LiveResource {
    LiveResource {
        id,
        attrs,
        tags,
        pending: BTreeMap::new(),
    }
}

/// A subscription's topic, from its ARN (`TOPIC_ARN:UUID`).
fn topic_of_subscription(arn: &str) -> Option<&str> {
    arn.rsplit_once(':').map(|(topic, _)| topic)
}

/// Who holds a topic name: `CreateTopic` with a held name answers with that topic instead of
/// an error, so the holder must be found first.
pub(super) async fn topic_holder(
    client: &Client,
    res: &str,
    name: &str,
) -> Result<Vec<crate::plan::names::Holder>, AwsError> {
    let mut held = Vec::new();
    let mut pages = client.list_topics().into_paginator().send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(sdk_err(ERRORS, res, "ListTopics"))?;
        held.extend(
            p.topics()
                .iter()
                .filter_map(|t| t.topic_arn())
                .filter(|arn| topic_name(arn) == name)
                .map(str::to_owned),
        );
    }
    let mut out = Vec::new();
    for arn in held {
        if let Some(tags) = super::unless_gone(topic_tags(client, res, &arn).await)? {
            out.push(crate::plan::names::Holder::Resource {
                id: arn,
                tags,
                detail: None,
            });
        }
    }
    Ok(out)
}

/// SNS as a `Service`.
pub struct Sns {
    client: Client,
}

impl super::Service for Sns {
    type Client = Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        (None, Is("NotFound"), Gone),
        (None, Is("NotFoundException"), Gone),
        // A subscription still pending confirmation cannot be unsubscribed; AWS expires it.
        (
            Some("Unsubscribe"),
            Mentions("InvalidParameter", "pending"),
            Gone,
        ),
        (None, Is("InvalidParameter"), Refused),
    ];

    fn new(aws: &super::Aws) -> Self {
        Sns {
            client: aws.sns.clone(),
        }
    }

    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Raw, AwsError> {
        read(&self.client, claims, tags).await
    }
}

/// Tags on a topic: set and removed by its ARN.
async fn retag_topic(
    client: &Client,
    op: &Op<'_>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let res = op.resource();
    if !set.is_empty() {
        client
            .tag_resource()
            .resource_arn(op.id())
            .set_tags(Some(tag_list(set)))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "TagResource"))?;
    }
    if !remove.is_empty() {
        client
            .untag_resource()
            .resource_arn(op.id())
            .set_tag_keys(Some(remove.iter().cloned().collect()))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "UntagResource"))?;
    }
    Ok(())
}

impl AwsKind for AlarmTopic {
    type Service = Sns;

    async fn tags_now(s: &Sns, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        super::unless_gone(topic_tags(&s.client, &op.resource(), op.id()).await)
    }

    async fn create(s: &Sns, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::AlarmTopic(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let out = s
            .client
            .create_topic()
            .name(&a.name)
            .set_tags(Some(tag_list(&op.tags())))
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "CreateTopic"))?;
        let arn = out
            .topic_arn()
            .map(str::to_owned)
            .ok_or_else(|| op.invalid("CreateTopic answered without a topic ARN"))?;
        // The policy names the topic's ARN, known only now.
        if !a.policy.is_empty() {
            set_policy(&s.client, op, &arn, &a.policy).await?;
        }
        Ok(arn)
    }

    /// Only a topic's policy changes in place (the rest is immutable but the tags).
    async fn update(s: &Sns, op: &Op<'_>) -> Result<(), AwsError> {
        match (op.before()?, op.after()?) {
            (Attrs::AlarmTopic(was), Attrs::AlarmTopic(now)) if was.policy != now.policy => {
                set_policy(&s.client, op, op.id(), &now.policy).await
            }
            _ => Ok(()),
        }
    }

    async fn retag(
        s: &Sns,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        retag_topic(&s.client, op, set, remove).await
    }

    async fn delete(s: &Sns, op: &Op<'_>) -> Result<(), AwsError> {
        let r = s
            .client
            .delete_topic()
            .topic_arn(op.id())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "DeleteTopic"));
        super::unless_gone(r).map(drop)
    }

    async fn not_found(s: &Sns, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "GetTopicAttributes",
            s.client.get_topic_attributes().topic_arn(id)
        )
    }
}

impl AwsKind for AlarmSubscription {
    type Service = Sns;

    /// No tags of its own: it is there while AWS knows it, and ours as its topic is.
    async fn tags_now(s: &Sns, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        if op.id() == PENDING {
            return Ok(Some(Tags::new()));
        }
        let res = op.resource();
        let out = s
            .client
            .get_subscription_attributes()
            .subscription_arn(op.id())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &res, "GetSubscriptionAttributes"));
        let Some(_) = super::unless_gone(out)? else {
            return Ok(None);
        };
        let topic = topic_of_subscription(op.id()).unwrap_or_default();
        super::unless_gone(topic_tags(&s.client, &res, topic).await)
    }

    async fn create(s: &Sns, op: &Op<'_>) -> Result<String, AwsError> {
        let Attrs::AlarmSubscription(a) = op.after()? else {
            return Err(mismatch(op));
        };
        let topic = op.ids.id(&a.topic)?;
        let out = s
            .client
            .subscribe()
            .topic_arn(&topic)
            .protocol(&a.protocol)
            .endpoint(&a.endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "Subscribe"))?;
        out.subscription_arn()
            .map(str::to_owned)
            .ok_or_else(|| op.invalid("Subscribe answered without a subscription ARN"))
    }

    /// Nothing of a subscription changes in place (all immutable).
    async fn update(_s: &Sns, _op: &Op<'_>) -> Result<(), AwsError> {
        Ok(())
    }

    /// Subscriptions take no tags.
    async fn retag(
        _s: &Sns,
        _op: &Op<'_>,
        _set: &BTreeMap<String, String>,
        _remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        Ok(())
    }

    async fn delete(s: &Sns, op: &Op<'_>) -> Result<(), AwsError> {
        // Listed without an ARN and none recorded: AWS expires it unconfirmed.
        if op.id() == PENDING {
            return Ok(());
        }
        let r = s
            .client
            .unsubscribe()
            .subscription_arn(op.id())
            .send()
            .await
            .map_err(sdk_err(ERRORS, &op.resource(), "Unsubscribe"));
        super::unless_gone(r).map(drop)
    }

    async fn not_found(s: &Sns, address: &Address, id: &str) -> Option<AwsError> {
        super::service::refused!(
            ERRORS,
            &address.to_string(),
            "GetSubscriptionAttributes",
            s.client.get_subscription_attributes().subscription_arn(id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_policy_compares_with_the_spec_s() {
        let arn = "arn:aws:sns:us-east-2:123456789012:p-staging-alarms";
        let spec = crate::spec::desired::topic_policy(true);
        let sent = filled(&spec, arn);
        assert!(sent.contains("arn:aws:budgets::123456789012:*"), "{sent}");
        assert!(
            !sent.contains("{account}") && !sent.contains("{topic}"),
            "{sent}"
        );
        // AWS may answer with other spacing and another order of actions.
        let mut value: serde_json::Value = serde_json::from_str(&sent).unwrap();
        value["Statement"][0]["Action"]
            .as_array_mut()
            .unwrap()
            .reverse();
        let answered = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(with_placeholders(&answered, arn), spec);
        assert_ne!(
            with_placeholders(&answered, arn),
            crate::spec::desired::topic_policy(false)
        );
    }

    #[test]
    fn names_come_out_of_arns_and_endpoints() {
        assert_eq!(
            topic_name("arn:aws:sns:us-east-2:000000000000:agentpass-staging-alarms"),
            "agentpass-staging-alarms"
        );
        assert_eq!(
            subscription_name("Ops.Team@example.com"),
            "ops-team-example-com"
        );
        assert_eq!(
            topic_of_subscription("arn:aws:sns:us-east-2:1:t:0b4c"),
            Some("arn:aws:sns:us-east-2:1:t")
        );
    }

    #[test]
    fn topics_are_listed_only_when_state_and_tags_name_none() {
        let arn = |n: &str| format!("arn:aws:sns:us-east-2:1:{n}");
        let (a, b) = (arn("p-staging-alarms"), arn("p-staging-old"));
        let v = |x: &String| vec![x.clone()];
        let want = |v: &[&String]| Some(v.iter().map(|s| (*s).clone()).collect::<Vec<_>>());
        let expected = ["p-staging-alarms".to_owned()];
        // Converged: recorded and listed alike.
        assert_eq!(candidates(&v(&a), &v(&a), &expected), want(&[&a]));
        // Tags lost or not listed yet: the recorded ARN is read.
        assert_eq!(candidates(&v(&a), &[], &expected), want(&[&a]));
        // State lost, tags listed: the listed one.
        assert_eq!(candidates(&[], &v(&a), &expected), want(&[&a]));
        // A leftover beside it is read too.
        assert_eq!(candidates(&v(&a), &v(&b), &expected), want(&[&a, &b]));
        // Nothing recorded nor listed: only the listing can find it.
        assert_eq!(candidates(&[], &[], &expected), None);
        // The spec names a topic no candidate is (renamed, or made and not recorded): listed.
        assert_eq!(candidates(&v(&b), &v(&b), &expected), None);
        // No spec to go by (a read that knows only tags): the candidates.
        assert_eq!(candidates(&[], &v(&b), &[]), want(&[&b]));
    }
}
