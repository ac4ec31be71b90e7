//! The `Budget` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct Budget;

// A budget's id is its ARN, `arn:aws:budgets::ACCOUNT:budget/NAME` (Service Authorization
// Reference, AWS Budget Service resource types); UpdateBudget cannot rename one ("the name
// of a budget ... must be unique within an account", Budget in the Budgets API reference), so
// a new name is a new budget. CreateBudget refuses a held name (DuplicateRecordException),
// so no names check is needed before a create.
impl KindDef for Budget {
    const DESCRIPTION: Description = Description {
        segment: "budget",
        immutable: &["name", "budget_type"],
        lookup: "DescribeBudget",
        terraform: Some(Terraform {
            tf_type: "aws_budgets_budget",
            key: TfKey::NameArn,
        }),
        ..PLAIN
    };
}
