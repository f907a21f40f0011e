//! `domo-sim`: runs the local Domo API simulator (`sim` module) for the demo
//! and benchmarks, until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use terraform_provider_domo::sim::{SimConfig, Simulator};

/// A local simulator of Domo's public Users and Groups API.
#[derive(Parser, Debug)]
#[command(name = "domo-sim", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// OAuth client id to accept.
    #[arg(long, env = "DOMO_SIM_CLIENT_ID", default_value = "sim-client")]
    client_id: String,
    /// OAuth client secret to accept.
    #[arg(long, env = "DOMO_SIM_CLIENT_SECRET", default_value = "sim-secret")]
    client_secret: String,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Status answered for a duplicate email.
    #[arg(long, default_value_t = 409, value_parser = parse_duplicate_status)]
    duplicate_email_status: u16,
    /// PUT answers 200 with an empty body.
    #[arg(long)]
    put_without_body: bool,
    /// Store and return emails lower-cased.
    #[arg(long)]
    lowercase_emails: bool,
    /// Delay added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Delay between processing an API request and sending its answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    response_latency_ms: u64,
    /// Requests admitted per second; more get 429.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Send 429 without a Retry-After header.
    #[arg(long)]
    no_retry_after: bool,
    /// Probability (0 to 1) that an API request answers 500/502/503 without acting.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    error_rate: f64,
    /// For this long after a create, reading the new user by id answers 404 (milliseconds).
    #[arg(long, default_value_t = 0)]
    read_after_create_404_ms: u64,
    /// The next N creates succeed but drop the connection without an answer.
    #[arg(long, default_value_t = 0)]
    drop_connection_after_create: u32,
    /// Refuse every Nth create with a 400, creating nothing (0 = never).
    #[arg(long, default_value_t = 0)]
    fail_every_nth_create: u32,
    /// Users to create at start ("Seed User N", seed-N@example.com).
    #[arg(long, default_value_t = 0)]
    seed: usize,
    /// User objects carry roleId.
    #[arg(long)]
    return_role_id: bool,
    /// A custom role, as ID=NAME (e.g. 101=Auditor); repeatable.
    #[arg(long = "custom-role", value_parser = parse_custom_role)]
    custom_roles: Vec<(u64, String)>,
    /// Largest page of GET /v1/groups; a larger limit is served this many.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    max_group_page_size: u32,
    /// Largest page of GET /v1/groups/{id}/users; a larger limit is served this many.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    max_group_member_page_size: u32,
    /// Delete groups that still have members (by default: 400 until emptied).
    #[arg(long)]
    delete_group_with_members: bool,
    /// Status for adding a user who is a member already: 400, 409, or "none" for 204.
    #[arg(long, default_value = "400", value_parser = status_parser(&[400, 409]))]
    already_member_status: Status,
    /// Status for removing a user who is not a member: 404, 400, or "none" for 204.
    #[arg(long, default_value = "404", value_parser = status_parser(&[404, 400]))]
    not_member_status: Status,
    /// Status for a duplicate group name: 409, 400, or "none" to allow duplicates.
    #[arg(long, default_value = "409", value_parser = status_parser(&[409, 400]))]
    duplicate_group_name_status: Status,
    /// Group objects carry userIds.
    #[arg(long)]
    group_user_ids: bool,
    /// User objects leave out their groups.
    #[arg(long)]
    no_user_groups: bool,
    /// New users do not join the groups flagged default.
    #[arg(long)]
    no_default_group_join: bool,
    /// The next N group creates succeed but drop the connection without an answer.
    #[arg(long, default_value_t = 0)]
    drop_connection_after_group_create: u32,
    /// Groups to create at start ("Seed Group N"), each with --seed-group-members members.
    #[arg(long, default_value_t = 0)]
    seed_groups: usize,
    /// Members of each seeded group: the first live users, seeded when too few.
    #[arg(long, default_value_t = 0)]
    seed_group_members: usize,
    /// Play the lenient reading of every uncertain point at once: all five
    /// role names and roleId taken on create, string employee numbers,
    /// `default` in group reads, numeric roleId and creatorId in reads.
    #[arg(long)]
    lenient: bool,
    /// role takes all five default names (by default only Admin, Privileged and Participant).
    #[arg(long)]
    accept_all_role_names: bool,
    /// A create's roleId sets the role (by default a create ignores it).
    #[arg(long)]
    create_honours_role_id: bool,
    /// employeeNumber may be a string (by default a JSON integer, or null).
    #[arg(long)]
    string_employee_numbers: bool,
    /// Group reads carry `default` (by default only the create answer does).
    #[arg(long)]
    group_default_in_reads: bool,
    /// Group objects carry creatorId as a number (by default a string).
    #[arg(long)]
    creator_id_as_number: bool,
    /// With --return-role-id: roleId as a string ("3").
    #[arg(long)]
    role_id_as_string: bool,
}

/// An optional status switch: a status, or none (the operation succeeds).
#[derive(Clone, Copy, Debug)]
struct Status(Option<u16>);

/// Parses one of `allowed` or "none".
fn status_parser(allowed: &'static [u16]) -> impl Fn(&str) -> Result<Status, String> + Clone {
    move |raw: &str| {
        if raw.eq_ignore_ascii_case("none") {
            return Ok(Status(None));
        }
        match raw.parse::<u16>() {
            Ok(status) if allowed.contains(&status) => Ok(Status(Some(status))),
            _ => Err(format!("{raw} is not one of {allowed:?} or none")),
        }
    }
}

fn parse_custom_role(raw: &str) -> Result<(u64, String), String> {
    let (id, name) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw} is not ID=NAME"))?;
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("{id} is not a role id"))?;
    Ok((id, name.trim().to_string()))
}

fn parse_duplicate_status(raw: &str) -> Result<u16, String> {
    match raw {
        "409" => Ok(409),
        "400" => Ok(400),
        _ => Err(format!("{raw} is neither 409 nor 400")),
    }
}

fn parse_probability(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{raw} is not a probability between 0 and 1")),
    }
}

impl Args {
    fn config(&self) -> SimConfig {
        let base = if self.lenient {
            SimConfig::lenient()
        } else {
            SimConfig::default()
        };
        SimConfig {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            duplicate_email_status: self.duplicate_email_status,
            put_returns_body: !self.put_without_body,
            lowercase_emails: self.lowercase_emails,
            latency: Duration::from_millis(self.latency_ms),
            response_latency: Duration::from_millis(self.response_latency_ms),
            rate_limit_per_second: self.rate_limit,
            retry_after_header: !self.no_retry_after,
            error_rate: self.error_rate,
            read_after_create_404: Duration::from_millis(self.read_after_create_404_ms),
            drop_connection_after_create: self.drop_connection_after_create,
            fail_every_nth_create: self.fail_every_nth_create,
            return_role_id: self.return_role_id || base.return_role_id,
            max_group_page_size: self.max_group_page_size,
            max_group_member_page_size: self.max_group_member_page_size,
            delete_group_with_members: self.delete_group_with_members,
            already_member_status: self.already_member_status.0,
            not_member_status: self.not_member_status.0,
            duplicate_group_name_status: self.duplicate_group_name_status.0,
            group_user_ids: self.group_user_ids,
            user_groups: !self.no_user_groups,
            default_groups_gain_new_users: !self.no_default_group_join,
            drop_connection_after_group_create: self.drop_connection_after_group_create,
            accept_all_role_names: self.accept_all_role_names || base.accept_all_role_names,
            create_honours_role_id: self.create_honours_role_id || base.create_honours_role_id,
            string_employee_numbers: self.string_employee_numbers || base.string_employee_numbers,
            group_default_in_reads: self.group_default_in_reads || base.group_default_in_reads,
            creator_id_as_number: self.creator_id_as_number || base.creator_id_as_number,
            role_id_as_string: self.role_id_as_string,
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let simulator = Simulator::start_on(args.listen, args.config()).await?;
    let store = simulator.store();
    for (id, name) in &args.custom_roles {
        store.define_role(*id, name).map_err(|why| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("--custom-role {id}={name}: {why}"),
            )
        })?;
    }
    store.seed_users(args.seed);
    store.seed_groups(args.seed_groups, args.seed_group_members);

    let mut stdout = std::io::stdout();
    writeln!(stdout, "domo-sim listening on {}", simulator.base_url())?;
    stdout.flush()?;

    wait_for_signal().await?;
    simulator.shutdown().await;
    Ok(())
}

/// Until SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn wait_for_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
