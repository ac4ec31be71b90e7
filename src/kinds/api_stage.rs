//! The `ApiStage` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct ApiStage;

impl KindDef for ApiStage {
    const DESCRIPTION: Description = Description {
        segment: "api_stage",
        immutable: &["api", "stage_name"],
        // A stage serves a snapshot (deployment) of the API: when the integration changes (its
        // target was replaced and has a new endpoint), clients keep the old one until then.
        redeployed_by: &[super::Kind::ApiIntegration],
        exposed: &["invoke_url"],
        id_shape: Some(("REST_API_ID/STAGE_NAME", 2)),
        lookup: "GetStage",
        terraform: Some(Terraform {
            tf_type: "aws_api_gateway_stage",
            key: TfKey::Stage,
        }),
        ..PLAIN
    };
}
