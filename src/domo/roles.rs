//! Domo's five default roles, by id and name: the one table the client and
//! the resource layer share. Instances may add custom roles with their own
//! ids, which only the instance knows (the public API has no roles
//! endpoint), so anything not in this table is a custom role id.
//!
//! How a role reaches Domo. Domo's reference documents only three names for
//! `role` (Admin, Privileged, Participant) and `roleId` on update only. So
//! a documented name goes by name; any other role (Editor, Social, a custom
//! role) goes by id, and a new user gets it in two steps: created as
//! [`CREATE_AS`], then given the role by `roleId` in an update. That works
//! whether Domo takes all five names or only three, and whether it honours
//! or ignores `roleId` on create.
//!
//! The id-to-name table is not confirmed by any public source, so the ids an
//! instance reports beside names (user objects that carry both `role` and
//! `roleId`) win over it: see [`RoleBook`].

use std::collections::HashMap;
use std::sync::Mutex;

use super::model::{RoleInBody, User, UserFields};

/// One of the roles every Domo instance has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultRole {
    /// Domo's `roleId`.
    pub id: u64,
    /// Domo's `role`, spelled exactly as Domo takes it (case-sensitive).
    pub name: &'static str,
}

/// The default roles, by id.
pub const DEFAULT_ROLES: [DefaultRole; 5] = [
    DefaultRole {
        id: 1,
        name: "Admin",
    },
    DefaultRole {
        id: 2,
        name: "Privileged",
    },
    DefaultRole {
        id: 3,
        name: "Editor",
    },
    DefaultRole {
        id: 4,
        name: "Participant",
    },
    DefaultRole {
        id: 5,
        name: "Social",
    },
];

/// The role names Domo's reference documents for `role`.
pub const DOCUMENTED_ROLE_NAMES: [&str; 3] = ["Admin", "Privileged", "Participant"];

/// The role a user is created with when its own role must be set by id
/// afterwards: the least privileged documented role, so that a user whose
/// role update then fails holds less access than asked, never more.
pub const CREATE_AS: &str = "Participant";

/// Role names and ids as the instance reports them, learned from the user
/// objects the client reads, in front of the default table.
#[derive(Debug, Default)]
pub(crate) struct RoleBook {
    ids_by_name: Mutex<HashMap<String, u64>>,
}

impl RoleBook {
    /// Remembers each `(role, roleId)` pair these users carry.
    pub(crate) fn learn<'a>(&self, users: impl IntoIterator<Item = &'a User>) {
        let mut ids = self
            .ids_by_name
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for user in users {
            if let (false, Some(id)) = (user.role.is_empty(), user.role_id) {
                if ids.get(&user.role) != Some(&id) {
                    ids.insert(user.role.clone(), id);
                }
            }
        }
    }

    /// The id of the role with this name: as the instance reported it, or
    /// from the default table.
    pub(crate) fn id_of(&self, name: &str) -> Option<u64> {
        let learned = self
            .ids_by_name
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .copied();
        learned.or_else(|| role_id_of(name))
    }

    /// The name of the role with this id: as the instance reported it, or
    /// from the default table.
    pub(crate) fn name_of(&self, id: u64) -> Option<String> {
        let learned = self
            .ids_by_name
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .find(|(_, known)| **known == id)
            .map(|(name, _)| name.clone());
        learned.or_else(|| role_name_of(id).map(str::to_string))
    }

    /// How a body names the role `fields` asks for (module documentation).
    pub(crate) fn in_body(&self, fields: &UserFields) -> RoleInBody {
        let name = fields
            .role
            .clone()
            .or_else(|| fields.role_id.and_then(|id| self.name_of(id)));
        if let Some(name) = name
            .as_deref()
            .filter(|n| DOCUMENTED_ROLE_NAMES.contains(n))
        {
            return RoleInBody::Name(name.to_string());
        }
        let id = fields
            .role_id
            .or_else(|| name.as_deref().and_then(|n| self.id_of(n)));
        match (id, name) {
            (Some(id), _) => RoleInBody::Id(id),
            // A name we know no id for: Domo decides.
            (None, Some(name)) => RoleInBody::Name(name),
            (None, None) => RoleInBody::Missing,
        }
    }
}

/// The id of the default role with exactly this name.
pub fn role_id_of(name: &str) -> Option<u64> {
    DEFAULT_ROLES
        .iter()
        .find(|role| role.name == name)
        .map(|role| role.id)
}

/// The name of the default role with this id; `None` for a custom role.
pub fn role_name_of(id: u64) -> Option<&'static str> {
    DEFAULT_ROLES
        .iter()
        .find(|role| role.id == id)
        .map(|role| role.name)
}

/// The default role names, joined for messages: "Admin, Privileged, ...".
pub fn default_role_names() -> String {
    DEFAULT_ROLES
        .iter()
        .map(|role| role.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_map_both_ways_exactly() {
        for role in DEFAULT_ROLES {
            assert_eq!(role_id_of(role.name), Some(role.id));
            assert_eq!(role_name_of(role.id), Some(role.name));
        }
        assert_eq!(role_id_of("Editor"), Some(3));
        assert_eq!(role_id_of("admin"), None, "case-sensitive, as Domo");
        assert_eq!(role_name_of(0), None);
        assert_eq!(role_name_of(101), None, "custom");
        assert_eq!(
            default_role_names(),
            "Admin, Privileged, Editor, Participant, Social"
        );
    }

    fn asking(role: Option<&str>, role_id: Option<u64>) -> UserFields {
        UserFields {
            role: role.map(str::to_string),
            role_id,
            ..UserFields::default()
        }
    }

    #[test]
    fn documented_names_go_by_name_every_other_role_by_id() {
        let book = RoleBook::default();
        let body = |role, id| book.in_body(&asking(role, id));
        assert_eq!(body(Some("Admin"), None), RoleInBody::Name("Admin".into()));
        assert_eq!(body(None, Some(4)), RoleInBody::Name("Participant".into()));
        assert_eq!(body(Some("Editor"), None), RoleInBody::Id(3));
        assert_eq!(body(Some("Social"), None), RoleInBody::Id(5));
        assert_eq!(body(None, Some(3)), RoleInBody::Id(3));
        assert_eq!(body(None, Some(101)), RoleInBody::Id(101));
        assert_eq!(
            body(Some("Auditor"), None),
            RoleInBody::Name("Auditor".into())
        );
        assert_eq!(body(None, None), RoleInBody::Missing);
    }

    #[test]
    fn ids_the_instance_reports_win_over_the_table() {
        let book = RoleBook::default();
        let user = |role: &str, role_id: Option<u64>| User {
            id: 1,
            name: String::new(),
            email: String::new(),
            role: role.into(),
            role_id,
            group_ids: None,
            title: None,
            alternate_email: None,
            phone: None,
            location: None,
            employee_number: None,
            created_at: None,
            updated_at: None,
            image_url: None,
        };
        book.learn(&[
            user("Editor", Some(7)),
            user("Auditor", Some(101)),
            user("Social", None),
        ]);
        assert_eq!(book.id_of("Editor"), Some(7));
        assert_eq!(book.id_of("Social"), Some(5), "no id reported: the table");
        assert_eq!(book.name_of(101).as_deref(), Some("Auditor"));
        assert_eq!(
            book.in_body(&asking(Some("Editor"), None)),
            RoleInBody::Id(7)
        );
        assert_eq!(book.in_body(&asking(None, Some(7))), RoleInBody::Id(7));
    }
}
