//! The Windows build of the provider, driven by real (Linux) Terraform:
//! `scripts/windows-provider` cross-compiles it and makes a launcher that
//! runs the .exe under Wine, which `dev_overrides` points Terraform at. On
//! Windows the provider listens on TCP (go-plugin's transport there) with
//! no setting, and it must carry a whole lifecycle against the simulator.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::terraform::Workspace;
use terraform_provider_domo::sim::{SimConfig, Simulator};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the Windows provider (installing the cross toolchain and Wine
/// into .tools/ on first use) and returns the launcher's directory. The
/// build goes where this test's own build went.
fn windows_provider_launcher() -> PathBuf {
    let target_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-domo"))
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let out = Command::new(root().join("scripts/windows-provider"))
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("run scripts/windows-provider");
    assert!(
        out.status.success(),
        "scripts/windows-provider failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let launcher =
        std::fs::read_to_string(dir.join("terraform-provider-domo")).expect("the launcher script");
    assert!(
        launcher.contains("wine64") && launcher.contains("terraform-provider-domo.exe"),
        "{launcher}"
    );
    dir
}

/// Wine's server for the project's prefix, kept running for the whole test
/// with Wine's own services (else each provider start boots them afresh)
/// and stopped when the test ends, so that nothing outlives it.
struct WineServer;

impl WineServer {
    fn wine() -> PathBuf {
        root().join(".tools/wine")
    }

    fn command(program: &str) -> Command {
        let mut cmd = Command::new(Self::wine().join("root/usr/lib/wine").join(program));
        cmd.env("WINEPREFIX", Self::wine().join("prefix"))
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=d")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    }

    /// The server, persistent, and Wine's services (services.exe,
    /// winedevice.exe) started by `wineboot` here, with no standard
    /// streams: started by the first provider instead, they would inherit
    /// its stdout and stderr and outlive it, and Terraform, which reads
    /// those pipes to their end, would wait for them forever.
    fn start_persistent() -> WineServer {
        let status = Self::command("wineserver64")
            .arg("-p")
            .status()
            .expect("start wineserver");
        assert!(status.success(), "wineserver -p: {status}");
        let status = Self::command("wine64")
            .arg("wineboot")
            .status()
            .expect("run wineboot");
        assert!(status.success(), "wineboot: {status}");
        WineServer
    }
}

impl Drop for WineServer {
    fn drop(&mut self) {
        let _ = Self::command("wineserver64").arg("-k").status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_windows_build_under_wine_applies_plans_clean_and_destroys() {
    let launcher_dir = tokio::task::spawn_blocking(windows_provider_launcher)
        .await
        .expect("build the Windows provider");
    let _wine_server = WineServer::start_persistent();

    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let store = sim.store();
    let mut ws = Workspace::new(&sim);
    ws.override_provider_dir(&launcher_dir);
    let log = ws.path().join("terraform.log");
    // No DOMO_PLUGIN_TRANSPORT: the Linux build would listen on a unix
    // socket; TCP below is the Windows build's own choice.
    ws.set_env("DOMO_PLUGIN_TRANSPORT", "");
    ws.set_env("TF_LOG", "debug");
    ws.set_env("TF_LOG_PATH", &log.display().to_string());
    ws.write_config(
        r#"
resource "domo_user" "grace" {
  name  = "Grace Hopper"
  email = "grace@example.com"
  role  = "Editor"
}
"#,
    );
    ws.apply().await.expect_code(0, "apply under Wine");
    let users = store.users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0].email, "grace@example.com");
    assert_eq!(
        ws.state_attr("domo_user.grace", "role").await,
        Some(serde_json::json!("Editor"))
    );
    ws.plan().await.expect_code(0, "clean plan under Wine");

    let text = std::fs::read_to_string(&log).expect("Terraform's log");
    let announced: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("provider serving") || line.contains("plugin address"))
        .collect();
    assert!(!announced.is_empty(), "no provider started?\n{text}");
    assert!(
        announced
            .iter()
            .all(|line| line.contains("network=tcp") && line.contains("127.0.0.1:")),
        "{announced:#?}"
    );
    assert!(
        text.contains(&launcher_dir.display().to_string()),
        "Terraform started the launcher"
    );

    ws.destroy().await.expect_code(0, "destroy under Wine");
    assert!(store.users().is_empty());
}
