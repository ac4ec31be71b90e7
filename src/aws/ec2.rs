//! The network service (EC2): VPC, subnets, gateways, elastic IPs, route tables and security
//! groups. Reading lives in `ec2_read`, changing in `ec2_write`, each kind's steps in `ec2_kinds`.

use super::ec2_read::{self, Raw};
use super::errors::Code::Is;
use super::errors::ErrorClass::{Busy, Exists, Gone};
use super::errors::ErrorTable;
use super::ids::{Claims, Found, Ids};
use super::service::{ReadPass, Service};
use super::tagging::TagIndex;
use super::{Aws, AwsError};
use crate::model::{Tags, Unmanaged};

/// This service's error table, which classifies what it answers (`errors::classify`).
pub(super) const ERRORS: ErrorTable = <Ec2 as Service>::ERRORS;

pub struct Ec2 {
    pub(super) client: aws_sdk_ec2::Client,
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

    async fn read(&self, claims: &Claims, tags: &TagIndex) -> Result<Raw, AwsError> {
        ec2_read::read(&self.client, claims, tags).await
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
