//! Models shared by resources and data sources, with the rules for turning
//! what Domo reports into them, so that `domo_user`, the user data sources
//! (and later resources about users) read Domo the same way.
//!
//! Roles: a profile names its role either by `role` (one of Domo's five
//! default role names) or by `role_id` (any role's id, the only way to name
//! a custom role); exactly one is configured and the other is computed.
//! Whether Domo's user object carries `roleId` is unknown, so:
//! - when it does, both come from Domo;
//! - when it does not, `role` comes from Domo and `role_id` follows from
//!   it: a default name maps to its id; a custom name equal to the one
//!   state holds keeps state's id (as `timezone` keeps its configured
//!   value); a custom name that changed means the role changed outside
//!   Terraform, to a role whose id Domo did not say, so `role_id` becomes
//!   null and a configured `role_id` shows as a change.

use crate::domo::roles::{default_role_names, role_id_of, role_name_of};
use std::collections::{BTreeSet, HashMap};

use crate::domo::model::same_number;
use crate::domo::{Group, User, UserFields};
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};
use crate::provider::rules::{
    check_email, check_employee_number, check_not_blank, check_role_choice, parse_id,
};

model! {
    /// What Domo holds about a person besides ids, email and timestamps, as
    /// a configuration sets it.
    pub struct UserProfile {
        /// The user's display name.
        name: Field<String> [required],
        /// The user's role, by name: one of Domo's default roles `Admin`,
        /// `Privileged`, `Editor`, `Participant` or `Social`, spelled exactly
        /// so (for a user with a custom role, the name Domo reports for it).
        /// A configuration sets either `role` or `role_id`; the other is
        /// filled in from Domo.
        role: Field<String> [optional, computed],
        /// The user's role, by Domo's numeric role id: 1 to 5 for the default
        /// roles (`Admin` 1, `Privileged` 2, `Editor` 3, `Participant` 4,
        /// `Social` 5), or the id of a custom role of the instance. A
        /// configuration sets either `role` or `role_id`; the other is filled
        /// in from Domo. Domo may not report role ids: then a custom role's
        /// id is the one configured, and a role changed outside Terraform
        /// shows as a change of `role_id`.
        role_id: Field<u64> [optional, computed],
        /// Job title.
        title: Field<String> [optional],
        /// A secondary email address.
        alternate_email: Field<String> [optional],
        /// Phone number.
        phone: Field<String> [optional],
        /// Where the user works, free text.
        location: Field<String> [optional],
        /// Employee number: digits only, such as `"1815"` (Domo stores it as
        /// a whole number, so leading zeros are not kept and `"0042"` equals
        /// `"42"`). Kept as a string.
        employee_number: Field<String> [optional],
    }
}

impl UserProfile {
    /// The profile exactly as Domo reports it.
    pub fn of(user: &User) -> Self {
        let (role, role_id) = UserProfile::default().observed_role(user);
        UserProfile {
            name: Field::Known(user.name.clone()),
            role,
            role_id,
            title: Field::from_option(user.title.clone()),
            alternate_email: Field::from_option(user.alternate_email.clone()),
            phone: Field::from_option(user.phone.clone()),
            location: Field::from_option(user.location.clone()),
            employee_number: Field::from_option(user.employee_number.clone()),
        }
    }

    /// The profile after reading `user` from Domo, given this one from
    /// state: what Domo reports, except where it only spells the same value
    /// differently.
    pub fn refreshed(&self, user: &User) -> Self {
        // Domo drops empty strings: a configured "" is no drift.
        let text = |ours: &Field<String>, theirs: &Option<String>| match (ours, theirs) {
            (Field::Known(s), None) if s.is_empty() => Field::Known(String::new()),
            _ => Field::from_option(theirs.clone()),
        };
        let (role, role_id) = self.observed_role(user);
        UserProfile {
            name: Field::Known(user.name.clone()),
            role,
            role_id,
            title: text(&self.title, &user.title),
            alternate_email: text(&self.alternate_email, &user.alternate_email),
            phone: text(&self.phone, &user.phone),
            location: text(&self.location, &user.location),
            employee_number: match (self.employee_number.known(), &user.employee_number) {
                // Domo sends employee numbers as JSON numbers: "0042" comes
                // back as 42, which is the same number, not drift.
                (Some(ours), Some(theirs)) if same_number(ours, theirs) => {
                    self.employee_number.clone()
                }
                _ => text(&self.employee_number, &user.employee_number),
            },
        }
    }

    /// The role Domo reports for `user`, as `(role, role_id)`, given this
    /// profile from state (see the module documentation).
    fn observed_role(&self, user: &User) -> (Field<String>, Field<u64>) {
        let id_named_in_state = || match (self.role.known(), self.role_id.known()) {
            (Some(name), Some(id)) => Some((name.as_str(), *id)),
            _ => None,
        };
        let name = Some(user.role.clone())
            .filter(|name| !name.is_empty())
            .or_else(|| user.role_id.and_then(role_name_of).map(str::to_owned))
            .or_else(|| {
                // No name from Domo, an id we know: keep the name we know.
                let (name, id) = id_named_in_state()?;
                (Some(id) == user.role_id).then(|| name.to_owned())
            });
        let id = user
            .role_id
            .or_else(|| name.as_deref().and_then(role_id_of))
            .or_else(|| {
                // A custom role's name, without its id: the role is
                // unchanged if the name is, and unknown otherwise.
                let (ours, id) = id_named_in_state()?;
                (Some(ours) == name.as_deref()).then_some(id)
            });
        (Field::from_option(name), Field::from_option(id))
    }

    /// The role rules and the checks of the other profile attributes, for a
    /// profile whose attributes sit under `at` (the root for `domo_user`;
    /// an entry such as `users["k"]` for a map of users). Values not known
    /// yet pass.
    pub fn problems(&self, at: &AttributePath) -> Diagnostics {
        let mut diagnostics = check_role_choice(&self.role, &self.role_id, at);
        diagnostics.extend(
            [
                check_email(
                    &self.alternate_email,
                    at.clone().attribute("alternate_email"),
                ),
                check_not_blank(&self.name, at.clone().attribute("name")),
                check_employee_number(
                    &self.employee_number,
                    at.clone().attribute("employee_number"),
                ),
            ]
            .into_iter()
            .flatten(),
        );
        Diagnostics(diagnostics)
    }

    /// Plans the role attribute the configuration leaves unset, from the
    /// one it sets: a default role's name gives its id and a default id its
    /// name; a custom id keeps the name `prior` holds for it, or is unknown
    /// until Domo names it. `self` is the planned profile (configured values
    /// already in place); `prior` is `None` on create. Never calls Domo.
    pub fn plan_role(&mut self, prior: Option<&UserProfile>, config: &UserProfile) {
        match (&config.role, &config.role_id) {
            (Field::Known(name), Field::Null) => {
                self.role_id = Field::from_option(role_id_of(name));
            }
            (Field::Unknown, Field::Null) => self.role_id = Field::Unknown,
            (Field::Null, Field::Known(id)) => {
                self.role = match role_name_of(*id) {
                    Some(name) => Field::Known(name.to_owned()),
                    None => match prior {
                        Some(prior)
                            if prior.role_id.known() == Some(id) && !prior.role.is_null() =>
                        {
                            prior.role.clone()
                        }
                        _ => Field::Unknown,
                    },
                };
            }
            (Field::Null, Field::Unknown) => self.role = Field::Unknown,
            // Neither or both: validation has already said so.
            _ => {}
        }
    }

    /// This planned profile after Domo applied it: the role attribute that
    /// was unknown at plan time comes from Domo's answer; everything known
    /// stays exactly as planned (Terraform requires it).
    pub fn applied(mut self, user: &User) -> Self {
        let (role, role_id) = self.observed_role(user);
        if self.role.is_unknown() {
            self.role = role;
        }
        if self.role_id.is_unknown() {
            self.role_id = role_id;
        }
        self
    }

    /// Fills in `role_id` for state written before it existed, when `role`
    /// names a default role (so no plan shows it appearing).
    pub fn upgraded(mut self) -> Self {
        if self.role_id.is_null() {
            if let Some(id) = self.role.as_deref().and_then(role_id_of) {
                self.role_id = Field::Known(id);
            }
        }
        self
    }

    /// The role as Domo's API takes it: a default role by name (what every
    /// Domo version accepts), any other by id.
    fn role_to_send(&self) -> Result<(Option<String>, Option<u64>), Diagnostics> {
        if let Some(name) = self
            .role
            .as_deref()
            .filter(|name| role_id_of(name).is_some())
        {
            let consistent = match self.role_id.known() {
                Some(id) => role_id_of(name) == Some(*id),
                None => true,
            };
            if consistent {
                return Ok((Some(name.to_owned()), None));
            }
        }
        match self.role_id.known() {
            Some(id) => Ok((None, Some(*id))),
            None => Err(Diagnostic::error(
                "Role is not known",
                format!(
                    "Neither role nor role_id holds a role Domo can take at apply time (role must be one of {}). This is a bug, please report it.",
                    default_role_names()
                ),
            )
            .at(AttributePath::root("role"))
            .into()),
        }
    }

    /// The user as Domo's API takes it, with this profile. Every value is
    /// known at apply time; `email`, `timezone` and `locale` live outside
    /// the profile.
    pub fn fields(
        &self,
        email: &Field<String>,
        timezone: &Field<String>,
        locale: &Field<String>,
    ) -> Result<UserFields, Diagnostics> {
        let (role, role_id) = self.role_to_send()?;
        Ok(UserFields {
            name: known(&self.name, "name")?,
            email: known(email, "email")?,
            role,
            role_id,
            title: self.title.known().cloned(),
            alternate_email: self.alternate_email.known().cloned(),
            phone: self.phone.known().cloned(),
            location: self.location.known().cloned(),
            timezone: timezone.known().cloned(),
            locale: locale.known().cloned(),
            employee_number: self.employee_number.known().cloned(),
        })
    }
}

/// A value that must be known by apply time.
fn known(field: &Field<String>, name: &str) -> Result<String, Diagnostics> {
    field.known().cloned().ok_or_else(|| {
        Diagnostic::error(
            format!("{name} is not known"),
            "Terraform sent an unknown value at apply time; this is a bug, please report it.",
        )
        .at(AttributePath::root(name))
        .into()
    })
}

model! {
    /// One user as the data sources report it.
    pub struct UserData {
        /// Domo's numeric id of the user, as a string.
        id: Field<String> [optional, computed],
        /// Primary email address.
        email: Field<String> [optional, computed],
        profile: UserProfile [computed],
        /// When the user was created in Domo (ISO-8601, UTC).
        created_at: Field<String> [computed],
        /// When the user was last changed in Domo (ISO-8601, UTC).
        updated_at: Field<String> [computed],
        /// URL of the user's avatar image.
        image_url: Field<String> [computed],
    }
}

impl UserData {
    /// Everything Domo reports about `user`.
    pub fn of(user: &User) -> Self {
        UserData {
            id: Field::Known(user.id.to_string()),
            email: Field::Known(user.email.clone()),
            profile: UserProfile::of(user),
            created_at: Field::from_option(user.created_at.clone()),
            updated_at: Field::from_option(user.updated_at.clone()),
            image_url: Field::from_option(user.image_url.clone()),
        }
    }
}

model! {
    /// One group as the data sources report it.
    pub struct GroupData {
        /// Domo's numeric id of the group, as a string.
        id: Field<String> [optional, computed],
        /// The group's name.
        name: Field<String> [optional, computed],
        /// Whether this is a default group: one that new users join (null
        /// when Domo's answer does not say).
        default: Field<bool> [computed],
        /// How many users are members, as Domo counts them (null when Domo
        /// does not say).
        member_count: Field<u64> [computed],
        /// Id of the user who created the group (null when Domo does not
        /// say).
        creator_id: Field<String> [computed],
    }
}

impl GroupData {
    /// Everything Domo reports about `group`.
    pub fn of(group: &Group) -> Self {
        GroupData {
            id: Field::Known(group.id.to_string()),
            name: Field::Known(group.name.clone()),
            default: Field::from_option(group.default),
            member_count: Field::from_option(group.member_count),
            creator_id: Field::from_option(group.creator_id.map(|id| id.to_string())),
        }
    }
}

/// Ids as state holds them (decimal text), spelled as `spelled` has them
/// where it holds the same id in another spelling ("0042" for 42), so that
/// spelling alone is never drift.
pub fn id_strings(ids: &[u64], spelled: Option<&BTreeSet<String>>) -> BTreeSet<String> {
    let by_id: HashMap<u64, &String> = spelled
        .into_iter()
        .flatten()
        .filter_map(|text| parse_id(text).map(|id| (id, text)))
        .collect();
    ids.iter()
        .map(|id| match by_id.get(id) {
            Some(text) => (*text).clone(),
            None => id.to_string(),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::{Mode, Model};

    pub(crate) fn sample_user(id: u64, email: &str, role: &str) -> User {
        User {
            id,
            name: format!("User {id}"),
            email: email.into(),
            role: role.into(),
            title: Some("Analyst".into()),
            alternate_email: None,
            phone: None,
            location: None,
            employee_number: Some("7".into()),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            updated_at: Some("2026-01-02T00:00:00Z".into()),
            image_url: None,
            role_id: None,
            group_ids: None,
        }
    }

    #[test]
    fn data_sources_report_the_profile_read_only() {
        let attributes = UserData::attributes();
        let names: Vec<_> = attributes.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "id",
                "email",
                "name",
                "role",
                "role_id",
                "title",
                "alternate_email",
                "phone",
                "location",
                "employee_number",
                "created_at",
                "updated_at",
                "image_url"
            ]
        );
        assert!(attributes[2..].iter().all(|a| a.mode == Mode::Computed));
        assert!(attributes.iter().all(|a| a.description.len() > 5));
    }

    fn with_role(name: &str, id: Option<u64>) -> User {
        User {
            role_id: id,
            ..sample_user(1, "a@b.com", name)
        }
    }

    fn profile(role: Field<String>, role_id: Field<u64>) -> UserProfile {
        UserProfile {
            role,
            role_id,
            ..UserProfile::default()
        }
    }

    fn roles(p: &UserProfile) -> (Field<String>, Field<u64>) {
        (p.role.clone(), p.role_id.clone())
    }

    #[test]
    fn refresh_takes_both_role_attributes_from_domo_when_it_reports_role_ids() {
        let state = profile(Field::Known("Auditor".into()), Field::Known(101));
        let r = state.refreshed(&with_role("Reviewer", Some(102)));
        assert_eq!(
            roles(&r),
            (Field::Known("Reviewer".into()), Field::Known(102))
        );
        let r = state.refreshed(&with_role("Editor", Some(3)));
        assert_eq!(roles(&r), (Field::Known("Editor".into()), Field::Known(3)));
    }

    #[test]
    fn refresh_without_role_ids_maps_default_names_and_keeps_an_unchanged_custom_role() {
        let custom = profile(Field::Known("Auditor".into()), Field::Known(101));
        // Same custom name: the configured id is kept.
        let r = custom.refreshed(&with_role("Auditor", None));
        assert_eq!(
            roles(&r),
            (Field::Known("Auditor".into()), Field::Known(101))
        );
        // Another custom name: the role changed, to an id Domo did not say.
        let r = custom.refreshed(&with_role("Reviewer", None));
        assert_eq!(roles(&r), (Field::Known("Reviewer".into()), Field::Null));
        // A default name: its id.
        let r = custom.refreshed(&with_role("Social", None));
        assert_eq!(roles(&r), (Field::Known("Social".into()), Field::Known(5)));
        // Imported (nothing in state): a custom role's id is not known.
        let r = UserProfile::of(&with_role("Auditor", None));
        assert_eq!(roles(&r), (Field::Known("Auditor".into()), Field::Null));
        let r = UserProfile::of(&with_role("Editor", None));
        assert_eq!(r.role_id, Field::Known(3));
    }

    #[test]
    fn planning_fills_the_role_attribute_left_unset() {
        let by_name = profile(Field::Known("Editor".into()), Field::Null);
        let mut planned = profile(Field::Known("Editor".into()), Field::Known(1));
        planned.plan_role(None, &by_name);
        assert_eq!(planned.role_id, Field::Known(3));

        let by_id = |id| profile(Field::Null, Field::Known(id));
        let mut planned = profile(Field::Known("Admin".into()), Field::Known(4));
        planned.plan_role(None, &by_id(4));
        assert_eq!(planned.role, Field::Known("Participant".into()));

        // A custom id: its name is known only when state has it for that id.
        let prior = profile(Field::Known("Auditor".into()), Field::Known(101));
        let mut planned = profile(Field::Known("Auditor".into()), Field::Known(101));
        planned.plan_role(Some(&prior), &by_id(101));
        assert_eq!(planned.role, Field::Known("Auditor".into()));
        let mut planned = profile(Field::Known("Auditor".into()), Field::Known(102));
        planned.plan_role(Some(&prior), &by_id(102));
        assert!(planned.role.is_unknown());
        let mut planned = profile(Field::Unknown, Field::Known(101));
        planned.plan_role(None, &by_id(101));
        assert!(planned.role.is_unknown());

        let unknown = profile(Field::Unknown, Field::Null);
        let mut planned = profile(Field::Unknown, Field::Known(1));
        planned.plan_role(None, &unknown);
        assert!(planned.role_id.is_unknown());
    }

    #[test]
    fn applying_fills_only_what_was_unknown_and_sends_defaults_by_name() {
        let planned = profile(Field::Unknown, Field::Known(101));
        let applied = planned.applied(&with_role("Auditor", None));
        assert_eq!(
            roles(&applied),
            (Field::Known("Auditor".into()), Field::Known(101))
        );
        let send = |role: Field<String>, id: Field<u64>| {
            let p = UserProfile {
                name: Field::Known("A".into()),
                ..profile(role, id)
            };
            let f = p
                .fields(&Field::Known("a@b.com".into()), &Field::Null, &Field::Null)
                .unwrap();
            (f.role, f.role_id)
        };
        assert_eq!(
            send(Field::Known("Editor".into()), Field::Known(3)),
            (Some("Editor".into()), None)
        );
        assert_eq!(send(Field::Unknown, Field::Known(101)), (None, Some(101)));
        assert_eq!(
            send(Field::Known("Auditor".into()), Field::Known(101)),
            (None, Some(101)),
            "a custom role's name is never sent"
        );
        assert_eq!(send(Field::Null, Field::Known(2)), (None, Some(2)));
        assert!(UserProfile {
            name: Field::Known("A".into()),
            ..profile(Field::Known("Auditor".into()), Field::Null)
        }
        .fields(&Field::Known("a@b.com".into()), &Field::Null, &Field::Null)
        .is_err());
        let old_state = profile(Field::Known("Privileged".into()), Field::Null);
        assert_eq!(old_state.upgraded().role_id, Field::Known(2));
    }

    #[test]
    fn problems_point_under_the_prefix() {
        let entry = AttributePath::root("users").key("ada");
        let p = UserProfile {
            name: Field::Known(" ".into()),
            alternate_email: Field::Known("nope".into()),
            ..profile(Field::Known("admin".into()), Field::Null)
        };
        assert_eq!(
            p.problems(&entry).paths(),
            vec![
                entry.clone().attribute("role"),
                entry.clone().attribute("alternate_email"),
                entry.clone().attribute("name"),
            ]
        );
    }

    #[test]
    fn id_strings_keep_the_spelling_state_has() {
        let spelled: BTreeSet<String> = ["0042".to_string(), "7".to_string()].into();
        let ids = id_strings(&[42, 8], Some(&spelled));
        assert_eq!(ids, BTreeSet::from(["0042".to_string(), "8".to_string()]));
        assert_eq!(id_strings(&[1], None), BTreeSet::from(["1".to_string()]));
    }

    #[test]
    fn refresh_keeps_what_domo_only_spells_differently() {
        let user = sample_user(42, "a@b.com", "Admin");
        let ours = UserProfile {
            title: Field::Known("Analyst".into()),
            phone: Field::Known(String::new()),
            employee_number: Field::Known("007".into()),
            ..UserProfile::default()
        };
        let r = ours.refreshed(&user);
        assert_eq!(r.phone.as_deref(), Some(""));
        assert_eq!(r.employee_number.as_deref(), Some("007"));
        assert_eq!(r.name.as_deref(), Some("User 42"));
        let ours = UserProfile {
            employee_number: Field::Known("8".into()),
            ..UserProfile::default()
        };
        assert_eq!(ours.refreshed(&user).employee_number.as_deref(), Some("7"));
    }
}
