//! Switches that choose how the simulator plays the parts of Domo's API that
//! are undocumented or unreliable (see `shared/domo-api.md`). Where Domo's
//! behaviour is unknown, the default is the reading that is harder on a
//! client.

use std::time::Duration;

/// How the simulator behaves. Every switch can be changed while it runs
/// (`SimStore::set_config`).
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// OAuth client id accepted by `/oauth/token`.
    pub client_id: String,
    /// OAuth client secret accepted by `/oauth/token`.
    pub client_secret: String,
    /// Lifetime of issued tokens; `expires_in` reports it in whole seconds (at least 1).
    pub token_ttl: Duration,
    /// Status for a create or update whose email another live user has: 409 or 400.
    pub duplicate_email_status: u16,
    /// `false`: `PUT /v1/users/{id}` and `PUT /v1/groups/{id}` answer 200
    /// with an empty body.
    pub put_returns_body: bool,
    /// `true`: emails are stored and returned lower-cased.
    pub lowercase_emails: bool,
    /// Delay added to every API request (not to `/_sim` admin requests).
    pub latency: Duration,
    /// Delay between an API request being processed and its answer being
    /// sent: a create is stored at once, its answer comes this much later
    /// (a slow network on the way back, or a busy gateway).
    pub response_latency: Duration,
    /// Requests admitted per fixed one-second window (token endpoint included); over it: 429.
    pub rate_limit_per_second: Option<u32>,
    /// Whether a 429 carries `Retry-After: 1`.
    pub retry_after_header: bool,
    /// Probability in [0, 1] that an API request (not the token endpoint)
    /// answers 500, 502 or 503 without performing the operation.
    pub error_rate: f64,
    /// For this long after a user is created through the API, reading it by id answers 404.
    pub read_after_create_404: Duration,
    /// The next N successful creates store the user, then drop the connection
    /// without an answer. Counts down as it fires.
    pub drop_connection_after_create: u32,
    /// When N > 0, every Nth create request the handler sees (counting from
    /// the simulator's start) is refused with a 400 and creates nothing: a
    /// definite failure, which clients do not retry. 0 = never.
    pub fail_every_nth_create: u32,
    /// `true`: user objects carry `roleId`. Whether Domo sends it is
    /// unknown; by default it does not, so clients must cope without it.
    pub return_role_id: bool,
    /// Largest page of `GET /v1/groups`. Unknown for Domo (its users
    /// listing documents 500, assumed here too); a larger `limit` is
    /// silently served this many rows, the reading in which a client that
    /// trusts short pages loses data.
    pub max_group_page_size: u32,
    /// Largest page of `GET /v1/groups/{id}/users`, served like
    /// `max_group_page_size`.
    pub max_group_member_page_size: u32,
    /// `false`: deleting a group that still has members answers 400 (Domo's
    /// Python SDK empties a group before deleting it, which suggests Domo
    /// refuses); `true`: the group and its memberships go.
    pub delete_group_with_members: bool,
    /// Status for adding a user who is already a member (400 or 409);
    /// `None`: 204, nothing changes.
    pub already_member_status: Option<u16>,
    /// Status for removing a user who is not a member (404 or 400), `None`:
    /// 204, nothing changes. 404 is the default: a client cannot tell it
    /// from "no such group".
    pub not_member_status: Option<u16>,
    /// Status for a create or rename to a name another group has, compared
    /// ignoring case (409 or 400); `None`: names need not be unique.
    pub duplicate_group_name_status: Option<u16>,
    /// `true`: group objects carry `userIds`, every member's id.
    pub group_user_ids: bool,
    /// `false`: user objects leave out `groups` (whether Domo's listing
    /// and every read carry them is not documented).
    pub user_groups: bool,
    /// `true`: a user created through the API joins every active group
    /// flagged `default` ("the group new users join").
    pub default_groups_gain_new_users: bool,
    /// The next N successful group creates store the group, then drop the
    /// connection without an answer. Counts down as it fires.
    pub drop_connection_after_group_create: u32,
    /// `false` (Domo's reference): `role` takes only the documented names
    /// `Admin`, `Privileged` and `Participant`, on create and on update, and
    /// any other name answers 400 "Invalid role"; `true`: all five default
    /// role names.
    pub accept_all_role_names: bool,
    /// `false` (`roleId` is documented on update only): a create ignores
    /// `roleId`, so the user gets the role `role` names (and a create
    /// without `role` is refused); `true`: a create's `roleId` sets the role.
    pub create_honours_role_id: bool,
    /// `false` (Domo's create schema types it `integer`): `employeeNumber`
    /// must be a JSON integer, or null to clear it, and a string (`""`
    /// included) answers 400; `true`: strings are taken too, `""` clears.
    pub string_employee_numbers: bool,
    /// `false` (the docs' sample of a group read): group objects leave out
    /// `default`; `true`: they carry it.
    pub group_default_in_reads: bool,
    /// `false` (Domo's docs sample and Rust SDK): a group's `creatorId` is a
    /// JSON string; `true`: a number.
    pub creator_id_as_number: bool,
    /// With `return_role_id`: `true` sends `roleId` as a string (`"1"`, as
    /// in Domo's OpenAPI file), `false` as a number.
    pub role_id_as_string: bool,
}

impl SimConfig {
    /// The lenient reading of every uncertain point about users and groups: all
    /// five role names and `roleId` taken on create, string employee
    /// numbers, `default` in group reads, numeric `roleId` and `creatorId`
    /// in reads. The default is the strict reading.
    pub fn lenient() -> SimConfig {
        SimConfig {
            accept_all_role_names: true,
            create_honours_role_id: true,
            string_employee_numbers: true,
            group_default_in_reads: true,
            creator_id_as_number: true,
            return_role_id: true,
            ..SimConfig::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            client_id: "sim-client".to_string(),
            client_secret: "sim-secret".to_string(),
            token_ttl: Duration::from_secs(3600),
            duplicate_email_status: 409,
            put_returns_body: true,
            lowercase_emails: false,
            latency: Duration::ZERO,
            response_latency: Duration::ZERO,
            rate_limit_per_second: None,
            retry_after_header: true,
            error_rate: 0.0,
            read_after_create_404: Duration::ZERO,
            drop_connection_after_create: 0,
            fail_every_nth_create: 0,
            return_role_id: false,
            max_group_page_size: 500,
            max_group_member_page_size: 500,
            delete_group_with_members: false,
            already_member_status: Some(400),
            not_member_status: Some(404),
            duplicate_group_name_status: Some(409),
            group_user_ids: false,
            user_groups: true,
            default_groups_gain_new_users: true,
            drop_connection_after_group_create: 0,
            accept_all_role_names: false,
            create_honours_role_id: false,
            string_employee_numbers: false,
            group_default_in_reads: false,
            creator_id_as_number: false,
            role_id_as_string: false,
        }
    }
}
