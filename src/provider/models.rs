//! Models shared by resources and data sources, with the rules for turning
//! what Domo reports into them, so that `domo_user`, the user data sources
//! (and later resources about users) read Domo the same way.

use crate::domo::{User, UserFields};
use crate::model;
use crate::protocol::{AttributePath, Diagnostic, Diagnostics, Field};

model! {
    /// What Domo holds about a person besides ids, email and timestamps, as
    /// a configuration sets it.
    pub struct UserProfile {
        /// The user's display name.
        name: Field<String> [required],
        /// The user's role: `Admin`, `Privileged` or `Participant`, spelled
        /// exactly so.
        role: Field<String> [required],
        /// Job title.
        title: Field<String> [optional],
        /// A secondary email address.
        alternate_email: Field<String> [optional],
        /// Phone number.
        phone: Field<String> [optional],
        /// Where the user works, free text.
        location: Field<String> [optional],
        /// Employee number, kept as a string.
        employee_number: Field<String> [optional],
    }
}

impl UserProfile {
    /// The profile exactly as Domo reports it.
    pub fn of(user: &User) -> Self {
        UserProfile {
            name: Field::Known(user.name.clone()),
            role: Field::Known(user.role.clone()),
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
        UserProfile {
            name: Field::Known(user.name.clone()),
            role: Field::Known(user.role.clone()),
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

    /// The user as Domo's API takes it, with this profile. Every value is
    /// known at apply time; `email`, `timezone` and `locale` live outside
    /// the profile.
    pub fn fields(
        &self,
        email: &Field<String>,
        timezone: &Field<String>,
        locale: &Field<String>,
    ) -> Result<UserFields, Diagnostics> {
        Ok(UserFields {
            name: known(&self.name, "name")?,
            email: known(email, "email")?,
            role: Some(known(&self.role, "role")?),
            role_id: None,
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

/// Whether two strings spell the same whole number ("0042" and "42").
fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    digits(a) && digits(b) && a.trim_start_matches('0') == b.trim_start_matches('0')
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
