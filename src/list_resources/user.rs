//! `list "domo_user"`: the users of the Domo instance, for `terraform
//! query`, optionally only those at an email domain, with a role, or whose
//! name starts with some text.
//!
//! Domo's API has no search, so this walks the user listing (pages of 500,
//! the most Domo allows) and filters here, handing each match to Terraform
//! as soon as its page arrives: N users cost ceil(N/500) requests, and the
//! listing stops once Terraform has `limit` results.

use crate::domo::DomoClient;
use crate::framework::{ListResource, Results};
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::models::UserProfile;
use crate::provider::rules::{
    check_email_domain, check_not_blank, check_role, check_role_id, email_domain_of,
    normalise_email_domain,
};
use crate::resources::user::{UserModel, UserResource};

model! {
    /// Which users a `list "domo_user"` block finds: those that pass every
    /// filter set (none set: every user).
    pub struct UserListConfig {
        /// Only users whose primary email address is at this domain (the
        /// part after `@`, such as `example.com`), compared ignoring letter
        /// case. Subdomains are not included.
        email_domain: Field<String> [optional],
        /// Only users with this role: one of Domo's default roles `Admin`,
        /// `Privileged`, `Editor`, `Participant` or `Social`, spelled
        /// exactly so. For a custom role, use `role_id`.
        role: Field<String> [optional],
        /// Only users with this role, by Domo's numeric role id: 1 to 5 for
        /// the default roles, or the id of a custom role.
        role_id: Field<u64> [optional],
        /// Only users whose display name starts with this text, compared
        /// ignoring letter case.
        name_prefix: Field<String> [optional],
    }
}

/// The filters, ready to test users against.
struct UserFilter {
    domain: Option<String>,
    role: Option<String>,
    role_id: Option<u64>,
    name_prefix: Option<String>,
}

impl UserFilter {
    fn of(config: &UserListConfig) -> Self {
        UserFilter {
            domain: config
                .email_domain
                .as_deref()
                .and_then(normalise_email_domain),
            role: config.role.known().cloned(),
            role_id: config.role_id.known().copied(),
            name_prefix: config.name_prefix.as_deref().map(str::to_lowercase),
        }
    }

    fn matches(&self, user: &crate::domo::User) -> bool {
        let profile = UserProfile::of(user);
        self.domain
            .as_deref()
            .is_none_or(|d| email_domain_of(&user.email).is_some_and(|ud| ud == d))
            && self
                .role
                .as_deref()
                .is_none_or(|r| profile.role.as_deref() == Some(r))
            && self
                .role_id
                .is_none_or(|id| profile.role_id.known() == Some(&id))
            && self
                .name_prefix
                .as_deref()
                .is_none_or(|p| user.name.to_lowercase().starts_with(p))
    }
}

pub struct UserList;

#[tonic::async_trait]
impl ListResource for UserList {
    type Resource = UserResource;
    type Config = UserListConfig;
    const DESCRIPTION: &'static str = "Finds the users of the Domo instance for `terraform query`, optionally only those at an email domain, with a role, or whose name starts with some text. Reads Domo's user listing, 500 users a request, and stops as soon as `limit` users are found.";

    fn validate(&self, config: &UserListConfig) -> Diagnostics {
        let mut problems: Vec<Diagnostic> = [
            check_email_domain(&config.email_domain, AttributePath::root("email_domain")),
            check_role(&config.role, AttributePath::root("role")),
            check_role_id(&config.role_id, AttributePath::root("role_id")),
            check_not_blank(&config.name_prefix, AttributePath::root("name_prefix")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !config.role.is_null() && !config.role_id.is_null() {
            problems.push(
                Diagnostic::error(
                    "Conflicting role filters",
                    "Set either role (a default role's name) or role_id (a role's id, for custom roles), not both.",
                )
                .at(AttributePath::root("role_id")),
            );
        }
        Diagnostics(problems)
    }

    async fn list(
        &self,
        client: &DomoClient,
        config: UserListConfig,
        results: &mut Results<UserResource>,
    ) -> Result<(), Diagnostics> {
        let filter = UserFilter::of(&config);
        let mut pages = client.user_pages();
        while let Some(page) = pages
            .next_page()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::List, ObjectKind::User, &e)))?
        {
            for user in page.iter().filter(|user| filter.matches(user)) {
                let name = format!("{} <{}>", user.name, user.email);
                if !results.push(name, &UserModel::listed(user)).await {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::models::tests::sample_user;

    fn config(pairs: &[(&str, &str)]) -> UserListConfig {
        let text = |name: &str| {
            Field::from_option(
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string()),
            )
        };
        UserListConfig {
            email_domain: text("email_domain"),
            role: text("role"),
            role_id: Field::from_option(
                pairs
                    .iter()
                    .find(|(k, _)| *k == "role_id")
                    .and_then(|(_, v)| v.parse().ok()),
            ),
            name_prefix: text("name_prefix"),
        }
    }

    #[test]
    fn filters_combine() {
        let mut ada = sample_user(1, "ada@Example.com", "Admin");
        ada.name = "Ada Lovelace".into();
        let mut bob = sample_user(2, "bob@other.org", "Participant");
        bob.name = "Bob".into();
        let carol = sample_user(3, "carol@sub.example.com", "Participant");
        let people = [ada, bob, carol];
        let found = |pairs: &[(&str, &str)]| -> Vec<u64> {
            let filter = UserFilter::of(&config(pairs));
            people
                .iter()
                .filter(|u| filter.matches(u))
                .map(|u| u.id)
                .collect()
        };
        assert_eq!(found(&[]), [1, 2, 3]);
        assert_eq!(found(&[("email_domain", "EXAMPLE.com")]), [1]);
        assert_eq!(found(&[("role", "Participant")]), [2, 3]);
        assert_eq!(found(&[("role_id", "1")]), [1]);
        assert_eq!(found(&[("name_prefix", "ada")]), [1]);
        assert_eq!(
            found(&[("role", "Participant"), ("email_domain", "other.org")]),
            [2]
        );
        assert!(found(&[("name_prefix", "Zed")]).is_empty());
    }

    #[test]
    fn bad_filters_point_at_their_attribute() {
        let problems = UserList.validate(&config(&[
            ("email_domain", "@"),
            ("role", "admin"),
            ("role_id", "0"),
            ("name_prefix", "  "),
        ]));
        assert_eq!(
            problems.paths(),
            [
                AttributePath::root("email_domain"),
                AttributePath::root("role"),
                AttributePath::root("role_id"),
                AttributePath::root("name_prefix"),
                AttributePath::root("role_id"),
            ]
        );
        assert!(problems.0[1].detail.contains("Did you mean \"Admin\""));
        assert_eq!(problems.0[4].summary, "Conflicting role filters");
        let unknown = UserListConfig {
            email_domain: Field::Unknown,
            role: Field::Unknown,
            role_id: Field::Null,
            name_prefix: Field::Unknown,
        };
        assert!(UserList.validate(&unknown).is_empty());
        assert!(UserList.validate(&config(&[])).is_empty());
    }
}
