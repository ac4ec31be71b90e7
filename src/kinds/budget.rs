//! The `Budget` kind: what provision knows of it, whatever the service that holds it.

use super::{Description, KindDef, PLAIN, Terraform, TfKey};

pub struct Budget;

// A budget's id is its ARN, `arn:aws:budgets::ACCOUNT:budget/NAME` (Service Authorization
// Reference, AWS Budget Service resource types); UpdateBudget cannot rename one ("the name
// of a budget ... must be unique within an account", Budget in the Budgets API reference), so
// a new name is a new budget. CreateBudget refuses a held name (DuplicateRecordException),
// so no names check is needed before a create. Terraform's `aws_budgets_budget` has the id
// `ACCOUNT:NAME` and an `arn` attribute (as a public v4 state of provider 6 shows), which is
// the id provision takes.
impl KindDef for Budget {
    const DESCRIPTION: Description = Description {
        segment: "budget",
        immutable: &["name", "budget_type"],
        // Its ARN: one `/`, before the name (provision's names have none).
        id_shape: Some(("arn:aws:budgets::ACCOUNT:budget/NAME", 2)),
        lookup: "DescribeBudget",
        terraform: Some(Terraform {
            tf_type: "aws_budgets_budget",
            key: TfKey::NameArn,
        }),
        ..PLAIN
    };
}

#[cfg(test)]
mod tests {
    use crate::kinds::Kind;

    #[test]
    fn import_takes_a_budget_by_its_arn() {
        let arn = "arn:aws:budgets::123456789012:budget/agentpass-staging-monthly";
        assert!(crate::import::check_id(Kind::Budget, arn).is_ok());
        // Terraform's own id is not the one provision keeps.
        let e = crate::import::check_id(Kind::Budget, "123456789012:agentpass-staging-monthly")
            .unwrap_err();
        assert!(e.contains("arn:aws:budgets::ACCOUNT:budget/NAME"), "{e}");
    }
}
