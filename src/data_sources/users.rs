//! `data "domo_users"`: every user of the Domo instance, optionally
//! filtered by role and email domain.
//!
//! Domo's API has no filters and no search, so this is one pass over the
//! listing (pages of 500, the most Domo allows) with the filters applied
//! here; 20,000 users take 40 pages and no per-user calls.

use crate::domo::{DomoClient, User};
use crate::framework::DataSource;
use crate::model;
use crate::protocol::{AttributePath, Diagnostics, Field};
use crate::provider::errors::{api_error, Action, ObjectKind};
use crate::provider::models::UserData;
use crate::provider::rules::{
    check_email_domain, check_role, email_domain_of, normalise_email_domain,
};

model! {
    /// The filters, and the users that pass them.
    pub struct UsersModel {
        /// Only list users with this role: one of Domo's default roles
        /// `Admin`, `Privileged`, `Editor`, `Participant` or `Social`,
        /// spelled exactly so.
        role: Field<String> [optional],
        /// Only list users whose primary email address is at this domain
        /// (the part after `@`, such as `example.com`), compared ignoring
        /// letter case. Subdomains are not included.
        email_domain: Field<String> [optional],
        /// The users that pass the filters, ordered by id. Deleted users are
        /// never listed.
        users: Field<Vec<UserData>> [computed],
    }
}

impl UsersModel {
    fn problems(&self) -> Diagnostics {
        let mut diags = Diagnostics::default();
        if let Some(d) = check_role(&self.role, AttributePath::root("role")) {
            diags.push(d);
        }
        if let Some(d) = check_email_domain(&self.email_domain, AttributePath::root("email_domain"))
        {
            diags.push(d);
        }
        diags
    }

    /// Whether `user` passes every configured filter.
    fn matcher(&self) -> impl Fn(&User) -> bool {
        let role = self.role.known().cloned();
        let domain = self
            .email_domain
            .as_deref()
            .and_then(normalise_email_domain);
        move |user: &User| {
            role.as_deref().is_none_or(|r| user.role == r)
                && domain
                    .as_deref()
                    .is_none_or(|d| email_domain_of(&user.email).is_some_and(|ud| ud == d))
        }
    }

    /// The filters as configured, and the matching users by id.
    fn with_users(mut self, mut users: Vec<User>) -> Self {
        let keep = self.matcher();
        users.retain(|u| keep(u));
        users.sort_by_key(|u| u.id);
        self.users = Field::Known(users.iter().map(UserData::of).collect());
        self
    }
}

pub struct UsersDataSource;

#[tonic::async_trait]
impl DataSource for UsersDataSource {
    type Model = UsersModel;
    const TYPE_NAME: &'static str = "domo_users";
    const DESCRIPTION: &'static str = "Lists the users of the Domo instance, optionally only those with a given role or email domain. Reads Domo's whole user listing once, 500 users a request.";

    fn validate(&self, config: &UsersModel) -> Diagnostics {
        config.problems()
    }

    async fn read(
        &self,
        client: &DomoClient,
        config: UsersModel,
    ) -> Result<UsersModel, Diagnostics> {
        let users = client
            .list_all_users()
            .await
            .map_err(|e| Diagnostics::from(api_error(Action::List, ObjectKind::User, &e)))?;
        let listed = users.len();
        let state = config.with_users(users);
        let matched = state.users.known().map_or(0, Vec::len);
        tracing::debug!(listed, matched, "read domo_users");
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Model, Value};
    use crate::provider::models::tests::sample_user;

    fn filters(role: Option<&str>, domain: Option<&str>) -> UsersModel {
        let f = |v: Option<&str>| Field::from_option(v.map(str::to_owned));
        UsersModel {
            role: f(role),
            email_domain: f(domain),
            users: Field::Null,
        }
    }

    fn ids(m: &UsersModel) -> Vec<String> {
        m.users
            .known()
            .map(|users| users.iter().filter_map(|u| u.id.known().cloned()).collect())
            .unwrap_or_default()
    }

    fn people() -> Vec<User> {
        vec![
            sample_user(3, "c@Example.com", "Participant"),
            sample_user(1, "a@example.com", "Admin"),
            sample_user(2, "b@other.org", "Participant"),
            sample_user(4, "d@sub.example.com", "Participant"),
        ]
    }

    #[test]
    fn filters_combine_and_results_are_ordered_by_id() {
        let run = |role, domain| ids(&filters(role, domain).with_users(people()));
        assert_eq!(run(None, None), ["1", "2", "3", "4"]);
        assert_eq!(run(Some("Participant"), None), ["2", "3", "4"]);
        assert_eq!(run(None, Some("EXAMPLE.com")), ["1", "3"]);
        assert_eq!(run(None, Some("@example.com")), ["1", "3"]);
        assert_eq!(run(Some("Participant"), Some("example.com")), ["3"]);
        assert!(run(Some("Admin"), Some("other.org")).is_empty());
    }

    #[test]
    fn state_echoes_the_filters() {
        let v = filters(Some("Admin"), Some("@Example.com"))
            .with_users(people())
            .to_value();
        assert_eq!(v.get("role"), Some(&Value::string("Admin")));
        assert_eq!(v.get("email_domain"), Some(&Value::string("@Example.com")));
        assert_eq!(
            filters(None, None)
                .with_users(vec![])
                .to_value()
                .get("role"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn bad_filters_point_at_their_attribute() {
        let d = filters(Some("admin"), Some("not a domain")).problems();
        assert_eq!(
            d.paths(),
            vec![
                AttributePath::root("role"),
                AttributePath::root("email_domain")
            ]
        );
        assert!(d.0[0].detail.contains("Did you mean \"Admin\""));
        for bad in ["", "a@b.com", "example..com", "@"] {
            assert!(normalise_email_domain(bad).is_none(), "{bad}");
        }
        let unknown = UsersModel {
            role: Field::Unknown,
            email_domain: Field::Unknown,
            users: Field::Null,
        };
        assert!(unknown.problems().is_empty());
    }
}
