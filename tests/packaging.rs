//! Release packaging: `scripts/package` writes the zip, SHA256SUMS and
//! manifest; the zip is then installed the way users install providers
//! without a registry (a filesystem mirror and `terraform init
//! -plugin-dir`, no dev_overrides) and used for a real apply and destroy.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::terraform::{Workspace, SOURCE};
use terraform_provider_domo::sim::{SimConfig, Simulator};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What `scripts/package` wrote.
struct Package {
    zip: PathBuf,
    sums: PathBuf,
    manifest: PathBuf,
}

/// Runs the script on the already-built (debug) binary, into `dist`.
fn package(dist: &Path) -> Package {
    let out = Command::new(root().join("scripts/package"))
        .env(
            "PROVIDER_BINARY",
            env!("CARGO_BIN_EXE_terraform-provider-domo"),
        )
        .env("DIST_DIR", dist)
        .env_remove("GOOS")
        .env_remove("GOARCH")
        .env_remove("GPG_FINGERPRINT")
        .env_remove("GPG_KEY_FILE")
        .output()
        .expect("run scripts/package");
    assert!(
        out.status.success(),
        "scripts/package failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Without a key the set is unsigned, and the script says so.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("GPG_FINGERPRINT is not set")
            && stderr.contains(&format!(
                "terraform-provider-domo_{VERSION}_SHA256SUMS is not signed"
            )),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<PathBuf> = stdout.lines().map(PathBuf::from).collect();
    let [zip, sums, manifest] = lines.as_slice() else {
        panic!("scripts/package should print three paths, printed:\n{stdout}");
    };
    Package {
        zip: zip.clone(),
        sums: sums.clone(),
        manifest: manifest.clone(),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Output of a small Python program (Python is required by the build).
fn python(program: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(program)
        .args(args)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn packaged_zip_installs_from_a_filesystem_mirror_and_applies() {
    let dist = tempfile::tempdir().expect("temp dir");
    let pkg = package(dist.path());

    // Names follow the registry's conventions.
    let zip_name = file_name(&pkg.zip);
    let platform = zip_name
        .strip_prefix(&format!("terraform-provider-domo_{VERSION}_"))
        .and_then(|rest| rest.strip_suffix(".zip"))
        .unwrap_or_else(|| panic!("unexpected zip name {zip_name}"))
        .to_owned();
    assert_eq!(
        platform, "linux_amd64",
        "Terraform 1.0.3 here is linux_amd64"
    );
    assert_eq!(
        file_name(&pkg.sums),
        format!("terraform-provider-domo_{VERSION}_SHA256SUMS")
    );
    assert_eq!(
        file_name(&pkg.manifest),
        format!("terraform-provider-domo_{VERSION}_manifest.json")
    );

    // The manifest says protocol 6.0, and is the committed one.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&pkg.manifest).expect("manifest")).expect("json");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    assert_eq!(
        std::fs::read(&pkg.manifest).unwrap(),
        std::fs::read(root().join("terraform-registry-manifest.json")).unwrap()
    );

    // SHA256SUMS lists the zip and the manifest with their true digests.
    let sums = std::fs::read_to_string(&pkg.sums).expect("SHA256SUMS");
    let computed = python(
        "import hashlib,sys\nfor p in sys.argv[1:]: print(hashlib.sha256(open(p,'rb').read()).hexdigest())",
        &[&pkg.zip, &pkg.manifest],
    );
    let computed: Vec<&str> = computed.lines().collect();
    let expected = format!(
        "{}  {}\n{}  {}\n",
        computed[0],
        zip_name,
        computed[1],
        file_name(&pkg.manifest)
    );
    assert_eq!(sums, expected);

    // The zip holds exactly the versioned, executable binary.
    let listing = python(
        "import sys,zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16))",
        &[&pkg.zip],
    );
    assert_eq!(
        listing.trim(),
        format!("terraform-provider-domo_v{VERSION} 0o100755")
    );

    // A filesystem mirror in the packed layout: HOST/NAMESPACE/TYPE/zip.
    let mirror = tempfile::tempdir().expect("temp dir");
    let provider_dir = mirror.path().join("registry.terraform.io").join(SOURCE);
    std::fs::create_dir_all(&provider_dir).expect("mirror dirs");
    std::fs::copy(&pkg.zip, provider_dir.join(&zip_name)).expect("copy zip");

    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    let ws = Workspace::without_overrides(&sim);
    ws.write_file(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    domo = {{
      source  = "{SOURCE}"
      version = "{VERSION}"
    }}
  }}
}}

provider "domo" {{}}

resource "domo_user" "packaged" {{
  name  = "Installed From Zip"
  email = "zip@example.com"
  role  = "Participant"
}}
"#
        ),
    );
    let plugin_dir = format!("-plugin-dir={}", mirror.path().display());
    let init = ws
        .run(&["init", &plugin_dir, "-input=false", "-no-color"])
        .await
        .expect_code(0, "terraform init -plugin-dir");
    let all = init.all();
    assert!(
        all.contains(&format!("Installing {SOURCE} v{VERSION}")),
        "{all}"
    );
    assert!(
        !all.contains("overrides"),
        "no dev_overrides in play\n{all}"
    );
    let installed = ws
        .path()
        .join(".terraform/providers/registry.terraform.io")
        .join(SOURCE)
        .join(VERSION)
        .join(&platform)
        .join(format!("terraform-provider-domo_v{VERSION}"));
    assert!(installed.is_file(), "{} not installed", installed.display());
    let lock = std::fs::read_to_string(ws.path().join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!("version     = \"{VERSION}\"")) && lock.contains("h1:"),
        "{lock}"
    );

    let apply = ws
        .apply()
        .await
        .expect_code(0, "apply with the installed provider");
    assert!(!apply.all().contains("overrides"), "{}", apply.all());
    let users = sim.store().users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0].email, "zip@example.com");
    ws.plan().await.expect_code(0, "clean plan");
    ws.destroy().await.expect_code(0, "destroy");
    assert!(sim.store().users().is_empty());
}
