//! The network service (EC2): VPC, subnets, gateways, elastic IPs, route tables and security
//! groups. Reading lives in `ec2_read`, changing in `ec2_write`.

use std::collections::{BTreeMap, BTreeSet};

use super::ec2_read::{self, Raw};
use super::ec2_write;
use super::errors::Code::Is;
use super::errors::ErrorClass::{Busy, Exists, Gone};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::service::{ReadPass, Service};
use super::{Aws, AwsError, Op};
use crate::model::{Address, Tags, Unmanaged};

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Ec2 as Service>::ERRORS;

pub struct Ec2 {
    client: aws_sdk_ec2::Client,
}

impl Service for Ec2 {
    type Client = aws_sdk_ec2::Client;
    type Raw = Raw;
    const ERRORS: ErrorTable = &[
        // Detaching what is not attached: done.
        (
            Some("DetachInternetGateway"),
            Is("Gateway.NotAttached"),
            Gone,
        ),
        (None, Is("Resource.AlreadyAssociated"), Exists),
        // Something still holds the resource (named by `ec2_write::explain_dependency`).
        (None, Is("DependencyViolation"), Busy),
        // A group another group's rule or an instance still uses (AWS answers either code).
        (Some("DeleteSecurityGroup"), Is("InvalidGroup.InUse"), Busy),
    ];

    fn new(aws: &Aws) -> Self {
        Ec2 {
            client: aws.ec2.clone(),
        }
    }

    async fn read(&self, claims: &Claims) -> Result<Raw, AwsError> {
        ec2_read::read(&self.client, claims).await
    }
}

impl super::service::ServiceSteps for Ec2 {
    async fn not_found(&self, address: &Address, id: &str) -> Option<AwsError> {
        ec2_read::not_found(&self.client, address, id).await
    }

    async fn tags_now(&self, op: &Op<'_>) -> Result<Option<Tags>, AwsError> {
        ec2_read::tags_now(&self.client, op.address.kind, op.id(), &op.resource()).await
    }

    async fn create(&self, op: &Op<'_>) -> Result<String, AwsError> {
        ec2_write::create(&self.client, op).await
    }

    async fn update(&self, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::update(&self.client, op).await
    }

    async fn retag(
        &self,
        op: &Op<'_>,
        set: &BTreeMap<String, String>,
        remove: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        ec2_write::retag(&self.client, op, set, remove).await
    }

    async fn delete(&self, op: &Op<'_>) -> Result<(), AwsError> {
        ec2_write::delete(&self.client, op).await
    }
}

impl ReadPass for Raw {
    fn tagged(&self) -> Vec<(String, Tags)> {
        Raw::tagged(self)
    }

    fn unmanaged(&self, claims: &Claims) -> Vec<Unmanaged> {
        Raw::unmanaged(self, claims)
    }

    fn normalise(self: Box<Self>, claims: &Claims, ids: &Ids) -> Found {
        Raw::normalise(*self, claims, ids)
    }
}
