//! Drives the genuine Terraform CLI against the built provider (through
//! `dev_overrides`) and an in-process Domo simulator. Each workspace has its
//! own directory, CLI config and simulator, so tests run in parallel.

use std::path::{Path, PathBuf};
use std::process::Output;

use terraform_provider_domo::sim::Simulator;

/// The provider's source address in test configurations.
pub const SOURCE: &str = "tf-domo/domo";

/// The Terraform these tests drive: `TF_ACC_TERRAFORM_PATH`, or else the
/// Terraform 1.0.3 that `scripts/test` installs into the project's `.tools/`.
/// `scripts/test` runs the suite once per Terraform it tests with, setting
/// this variable for each pass. Never skips: a test run without Terraform is
/// a failed run.
pub fn terraform_path() -> PathBuf {
    let chosen = std::env::var_os("TF_ACC_TERRAFORM_PATH").filter(|p| !p.is_empty());
    let path = chosen.map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/terraform-1.0.3")
    });
    assert!(
        path.is_file(),
        "Terraform not found at {}. Run the tests with scripts/test (it installs Terraform 1.0.3 \
         into .tools/ and also tests with a newer Terraform on PATH), or set \
         TF_ACC_TERRAFORM_PATH to a terraform binary.",
        path.display()
    );
    path
}

/// The version of the Terraform these tests drive ([`terraform_path`]), as
/// (major, minor, patch), asked once per test binary with `terraform
/// version -json`. Tests of features that only newer releases have gate on
/// it with [`terraform_at_least`].
pub fn terraform_version() -> (u32, u32, u32) {
    static VERSION: std::sync::OnceLock<(u32, u32, u32)> = std::sync::OnceLock::new();
    *VERSION.get_or_init(|| {
        let path = terraform_path();
        let out = std::process::Command::new(&path)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {} version -json: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{} version -json printed no JSON ({e}):\n{}",
                path.display(),
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let text = json["terraform_version"].as_str().unwrap_or_default();
        parse_version(text)
            .unwrap_or_else(|| panic!("{}: unexpected terraform_version {text:?}", path.display()))
    })
}

/// "1.15.5" (or "1.16.0-beta1") as (1, 15, 5).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// True when the Terraform in use is `minimum` or newer. When it is older,
/// says on stderr that `what` does not run under it, so the test's output
/// shows why it checked nothing there (e.g. `terraform_at_least((1, 12, 0),
/// "resource identity")`). The tests that need it still run under the newer
/// Terraforms of the same `scripts/test` run.
pub fn terraform_at_least(minimum: (u32, u32, u32), what: &str) -> bool {
    let version = terraform_version();
    let ok = version >= minimum;
    if !ok {
        eprintln!(
            "not checked under Terraform {}.{}.{}: {what} needs Terraform {}.{}.{} or later",
            version.0, version.1, version.2, minimum.0, minimum.1, minimum.2
        );
    }
    ok
}

pub struct TfResult {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfResult {
    fn from(out: Output) -> Self {
        TfResult {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }

    /// [`TfResult::all`] with every run of whitespace (and the box drawing
    /// newer Terraforms put around diagnostics) made one space, so that a
    /// message Terraform wrapped at any width can be searched.
    pub fn flat(&self) -> String {
        let all = self.all().replace('│', " ");
        all.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Panics with Terraform's output unless it exited with `code`.
    pub fn expect_code(self, code: i32, what: &str) -> Self {
        assert_eq!(
            self.code,
            code,
            "{what}: unexpected exit code\n{}",
            self.all()
        );
        self
    }
}

/// A CLI config whose `dev_overrides` take the provider from `provider_dir`.
fn write_dev_overrides(cli_config: &Path, provider_dir: &Path) {
    std::fs::write(
        cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        ),
    )
    .expect("write CLI config");
}

pub struct Workspace {
    pub dir: tempfile::TempDir,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

impl Workspace {
    /// A workspace whose provider talks to `sim` with its default
    /// credentials.
    pub fn new(sim: &Simulator) -> Self {
        let cfg = sim.store().config();
        Self::with_credentials(sim, &cfg.client_id, &cfg.client_secret)
    }

    pub fn with_credentials(sim: &Simulator, client_id: &str, client_secret: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-domo"))
            .parent()
            .expect("binary dir")
            .to_path_buf();
        let cli_config = dir.path().join("terraformrc");
        write_dev_overrides(&cli_config, &provider_dir);
        let env = vec![
            ("DOMO_API_HOST".into(), sim.base_url()),
            ("DOMO_CLIENT_ID".into(), client_id.into()),
            ("DOMO_CLIENT_SECRET".into(), client_secret.into()),
        ];
        Workspace {
            dir,
            cli_config,
            env,
        }
    }

    /// A workspace whose CLI config has no `dev_overrides`: the provider
    /// must be installed by `terraform init` (e.g. from `-plugin-dir`), as
    /// users install it.
    pub fn without_overrides(sim: &Simulator) -> Self {
        let mut ws = Self::new(sim);
        std::fs::write(
            &ws.cli_config,
            "# No dev_overrides: providers come from terraform init.\n",
        )
        .expect("write CLI config");
        // A shared plugin cache could satisfy init without the mirror.
        ws.set_env("TF_PLUGIN_CACHE_DIR", "");
        ws
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Points `dev_overrides` at `dir` (which holds a
    /// `terraform-provider-domo`) instead of this build's binaries.
    pub fn override_provider_dir(&self, dir: &Path) {
        write_dev_overrides(&self.cli_config, dir);
    }

    /// Sets an extra environment variable for Terraform (and so the provider).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    /// Writes `main.tf`: the required_providers block plus `body`.
    pub fn write_config(&self, body: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    domo = {{\n      source = \"{SOURCE}\"\n    }}\n  }}\n}}\n\nprovider \"domo\" {{}}\n\n{body}\n"
        );
        std::fs::write(self.dir.path().join("main.tf"), text).expect("write main.tf");
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(terraform_path());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .stdin(std::process::Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> TfResult {
        TfResult::from(self.command(args).output().await.expect("run terraform"))
    }

    /// Starts Terraform without waiting for it, its output read as it
    /// comes (a full pipe would stall Terraform). Terraform is killed if the
    /// handle is dropped.
    pub fn spawn(&self, args: &[&str]) -> RunningTerraform {
        let mut child = self
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            // Its own process group, so that dropping the handle can stop
            // Terraform's own child and the providers as well.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("start terraform");
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        RunningTerraform {
            child,
            stdout,
            stderr,
        }
    }

    pub async fn apply(&self) -> TfResult {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .await
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub async fn plan(&self) -> TfResult {
        self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
            .await
    }

    pub async fn destroy(&self) -> TfResult {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
            .await
    }

    /// Reads an attribute of a resource from state, via `terraform show -json`.
    pub async fn state_attr(&self, address: &str, attr: &str) -> Option<serde_json::Value> {
        self.state_resources()
            .await
            .into_iter()
            .find(|(found, _)| found == address)
            .map(|(_, values)| values[attr].clone())
    }

    /// `terraform output -json`: every root module output, by name, as
    /// `{"sensitive": .., "type": .., "value": ..}`.
    pub async fn output_json(&self) -> serde_json::Value {
        let out = self
            .run(&["output", "-json", "-no-color"])
            .await
            .expect_code(0, "output -json");
        serde_json::from_str(&out.stdout).expect("output -json is JSON")
    }

    /// The value of one output, from `terraform output -json`.
    pub async fn output(&self, name: &str) -> serde_json::Value {
        let all = self.output_json().await;
        all.get(name)
            .map(|o| o["value"].clone())
            .unwrap_or_else(|| panic!("no output {name:?} in {all}"))
    }

    /// Writes any file into the working directory, e.g. a configuration
    /// that brings its own `terraform` and `provider` blocks.
    pub fn write_file(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text)
            .unwrap_or_else(|e| panic!("write {name}: {e}"));
    }

    /// The addresses held in state.
    pub async fn state_list(&self) -> Vec<String> {
        let out = self.run(&["state", "list"]).await;
        out.stdout
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// Extracts "N to add, N to change, N to destroy" from plan output.
pub fn plan_counts(output: &str) -> Option<(u32, u32, u32)> {
    let line = output.lines().find(|l| l.contains("Plan:"))?;
    let nums: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match nums.as_slice() {
        [add, change, destroy] => Some((*add, *change, *destroy)),
        _ => None,
    }
}

/// A resource's instances for [`Workspace::write_user_state`]: (index key,
/// attributes) each.
pub type StateInstances = Vec<(Option<u64>, serde_json::Value)>;

impl Workspace {
    /// Every resource instance in state as (address, attribute values), via
    /// `terraform show -json`.
    pub async fn state_resources(&self) -> Vec<(String, serde_json::Value)> {
        let out = self
            .run(&["show", "-json", "-no-color"])
            .await
            .expect_code(0, "show -json");
        let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("show -json output");
        json["values"]["root_module"]["resources"]
            .as_array()
            .map(|resources| {
                resources
                    .iter()
                    .map(|r| {
                        let address = r["address"].as_str().unwrap_or_default().to_owned();
                        (address, r["values"].clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Writes `terraform.tfstate` (format version 4) holding `resources`:
    /// each (resource name, instances as (index key, attributes)) becomes a
    /// `domo_user` resource. For tests that need many objects in state
    /// without creating them through Terraform.
    pub fn write_user_state(&self, resources: &[(&str, StateInstances)]) {
        self.write_state("domo_user", resources);
    }

    /// [`Workspace::write_user_state`] for resources of any type.
    pub fn write_state(&self, type_name: &str, resources: &[(&str, StateInstances)]) {
        let resources: Vec<serde_json::Value> = resources
            .iter()
            .map(|(name, instances)| {
                let instances: Vec<serde_json::Value> = instances
                    .iter()
                    .map(|(index, attributes)| {
                        let mut instance = serde_json::json!({
                            "schema_version": 0,
                            "attributes": attributes,
                            "sensitive_attributes": [],
                        });
                        if let Some(index) = index {
                            instance["index_key"] = serde_json::json!(index);
                        }
                        instance
                    })
                    .collect();
                serde_json::json!({
                    "mode": "managed",
                    "type": type_name,
                    "name": name,
                    "provider": format!("provider[\"registry.terraform.io/{SOURCE}\"]"),
                    "instances": instances,
                })
            })
            .collect();
        let state = serde_json::json!({
            "version": 4,
            "terraform_version": "1.0.3",
            "serial": 1,
            "lineage": "7d3c1b4e-0000-4000-8000-000000005ca1",
            "outputs": {},
            "resources": resources,
        });
        std::fs::write(
            self.dir.path().join("terraform.tfstate"),
            serde_json::to_vec_pretty(&state).expect("state JSON"),
        )
        .expect("write terraform.tfstate");
    }
}

/// Reads a pipe to its end in the background.
fn drain(
    pipe: Option<impl tokio::io::AsyncRead + Send + Unpin + 'static>,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut pipe, &mut text).await;
        }
        text
    })
}

/// A Terraform command started with [`Workspace::spawn`]. Dropped before
/// it finished (a failed test), it is killed with everything it started.
pub struct RunningTerraform {
    child: tokio::process::Child,
    stdout: tokio::task::JoinHandle<Vec<u8>>,
    stderr: tokio::task::JoinHandle<Vec<u8>>,
}

impl RunningTerraform {
    pub fn pid(&self) -> u32 {
        self.child.id().expect("terraform is running")
    }

    /// True once Terraform has exited.
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for Terraform to exit; `None` (and Terraform killed) when it
    /// has not within `limit`.
    pub async fn finish(mut self, limit: std::time::Duration) -> Option<TfResult> {
        let status = tokio::time::timeout(limit, self.child.wait()).await.ok()?;
        let status = status.expect("wait for terraform");
        let stdout = (&mut self.stdout).await.unwrap_or_default();
        let stderr = (&mut self.stderr).await.unwrap_or_default();
        Some(TfResult::from(Output {
            status,
            stdout,
            stderr,
        }))
    }
}

impl Drop for RunningTerraform {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // The group's id is Terraform's pid (process_group(0)).
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// The pids of the provider processes (this build's binary) running under
/// process `ancestor` (Terraform 1.0 runs as a child of itself, and the
/// providers as children of that child). Linux only: reads /proc.
pub fn provider_processes(ancestor: u32) -> Vec<u32> {
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_terraform-provider-domo"))
        .expect("provider binary");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parent_of = |pid: u32| -> Option<u32> {
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (_, rest) = stat.rsplit_once(')')?;
        rest.split_whitespace().nth(1)?.parse().ok()
    };
    let descends = |pid: u32| {
        let mut current = pid;
        while let Some(parent) = parent_of(current).filter(|parent| *parent > 1) {
            if parent == ancestor {
                return true;
            }
            current = parent;
        }
        false
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary)
                && descends(*pid)
        })
        .collect()
}
