//! Domo's five default roles, by id and name: the one table the client and
//! the resource layer share. Instances may add custom roles with their own
//! ids, which only the instance knows (the public API has no roles
//! endpoint), so anything not in this table is a custom role id.

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
}
