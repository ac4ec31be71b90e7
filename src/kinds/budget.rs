//! The `Budget` kind: what provision knows of it, whatever the service that holds it.

use super::{Charge, Description, KindDef, PLAIN, Price, Quantity, Terraform, TfKey};

pub struct Budget;

// A budget's id is its ARN, `arn:aws:budgets::ACCOUNT:budget/NAME` (Service Authorization
// Reference, AWS Budget Service resource types); UpdateBudget cannot rename one ("the name
// of a budget ... must be unique within an account", Budget in the Budgets API reference), so
// a new name is a new budget. CreateBudget refuses a held name (DuplicateRecordException),
// so no names check is needed before a create. Terraform's `aws_budgets_budget` has the id
// `ACCOUNT:NAME` and an `arn` attribute (as a public v4 state of provider 6 shows), which is
// the id provision takes. That ARN is the account's and the name's alone, so a budget deleted
// and made again under the name by someone else has the recorded id: like an alarm's, it is
// ours only with this project's tags (`id_is_name`).
impl KindDef for Budget {
    const DESCRIPTION: Description = Description {
        segment: "budget",
        id_is_name: true,
        immutable: &["name", "budget_type"],
        // Its ARN: one `/`, before the name (provision's names have none).
        id_shape: Some(("arn:aws:budgets::ACCOUNT:budget/NAME", 2)),
        lookup: "DescribeBudget",
        terraform: Some(Terraform {
            tf_type: "aws_budgets_budget",
            key: TfKey::NameArn,
        }),
        // No actions: a notification-only budget is free (the price table's [budgets]).
        price: Price::Charges(&[Charge {
            item: "AWS Budgets budget (notifications, no actions)",
            rate: "budgets.budget_day",
            unit: "budget-day",
            quantity: Quantity::Days,
        }]),
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

    #[test]
    fn a_recorded_budget_without_this_projects_tags_is_not_proven_ours() {
        use crate::aws::ids::{Claims, Verdict};
        use crate::model::{Address, Owner, TAG_ENV, TAG_PROJECT, Tags};
        let owner = Owner {
            project: "agentpass".into(),
            env: "staging".into(),
        };
        let address: Address = "shared.budget".parse().unwrap();
        let arn = "arn:aws:budgets::123456789012:budget/agentpass-staging-monthly";
        let claims = Claims::new(owner, [(&address, arn)]);
        // Made again under the name by someone else: the recorded ARN proves nothing.
        let bare = claims.verdict(arn, Kind::Budget, &Tags::new());
        assert!(matches!(bare, Verdict::Unproven), "{bare:?}");
        let ours = Tags::from([
            (TAG_PROJECT.to_owned(), "agentpass".to_owned()),
            (TAG_ENV.to_owned(), "staging".to_owned()),
        ]);
        let verdict = claims.verdict(arn, Kind::Budget, &ours);
        assert!(matches!(verdict, Verdict::Ours(_)), "{verdict:?}");
    }
}
