//! Installing a signed release as users install providers: `terraform
//! init` against a registry. `scripts/package` builds the release and signs
//! its SHA256SUMS with a throwaway GPG key; a local registry speaking
//! Terraform's provider registry protocol serves it over HTTPS, its
//! certificate authority trusted by Terraform alone (`SSL_CERT_FILE`).
//! Terraform must verify the signature, name the key, and then run the
//! installed provider against the simulator; a zip altered after signing,
//! and SHA256SUMS rewritten to match it, must both be refused.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::terraform::{TfResult, Workspace};
use terraform_provider_domo::sim::{SimConfig, Simulator};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const NAMESPACE: &str = "tf-domo";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// SHA-256 of `bytes` in hex, by Python's hashlib (Python is required by
/// the build; the test does not trust the digests it checks to itself).
fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write to python3");
    let out = child.wait_with_output().expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A throwaway GnuPG home holding one signing key (RSA, as the registries
/// require), with no passphrase. Its agent is stopped when dropped.
struct ThrowawayKey {
    home: tempfile::TempDir,
    fingerprint: String,
}

impl ThrowawayKey {
    fn generate() -> Self {
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir()
            .expect("temp dir");
        let out = Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args([
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                "Domo provider test release <release@example.invalid>",
                "rsa3072",
                "sign",
                "never",
            ])
            .output()
            .expect("run gpg (the tests need GnuPG)");
        assert!(
            out.status.success(),
            "gpg --quick-gen-key failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args(["--batch", "--with-colons", "--list-secret-keys"])
            .output()
            .expect("gpg --list-secret-keys");
        let listing = String::from_utf8_lossy(&listing.stdout);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|field| !field.is_empty()))
            .unwrap_or_else(|| panic!("no fingerprint in:\n{listing}"))
            .to_owned();
        ThrowawayKey { home, fingerprint }
    }

    /// The long key ID Terraform prints: the fingerprint's last 16 digits.
    fn key_id(&self) -> &str {
        &self.fingerprint[self.fingerprint.len() - 16..]
    }
}

impl Drop for ThrowawayKey {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "all"])
            .status();
    }
}

/// What a signed `scripts/package` run wrote and said.
struct SignedRelease {
    zip: PathBuf,
    sums: PathBuf,
    signature: PathBuf,
    public_key: String,
}

/// Packages the already-built (debug) binary for linux_amd64, signed.
fn package_signed(dist: &Path, key: &ThrowawayKey) -> SignedRelease {
    let out = Command::new(root().join("scripts/package"))
        .env(
            "PROVIDER_BINARY",
            env!("CARGO_BIN_EXE_terraform-provider-domo"),
        )
        .env("DIST_DIR", dist)
        .env("GNUPGHOME", key.home.path())
        .env("GPG_FINGERPRINT", &key.fingerprint)
        .env_remove("GPG_KEY_FILE")
        .env_remove("GOOS")
        .env_remove("GOARCH")
        .output()
        .expect("run scripts/package");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/package failed:\n{stdout}\n{stderr}"
    );
    let lines: Vec<PathBuf> = stdout.lines().map(PathBuf::from).collect();
    let [zip, sums, _manifest, signature] = lines.as_slice() else {
        panic!("a signed scripts/package run should print four paths, printed:\n{stdout}");
    };
    assert_eq!(
        signature.file_name().and_then(|n| n.to_str()),
        Some(format!("terraform-provider-domo_{VERSION}_SHA256SUMS.sig").as_str())
    );
    // The public key to publish, as printed.
    let begin = stderr
        .find("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        .unwrap_or_else(|| panic!("no public key printed:\n{stderr}"));
    let end_marker = "-----END PGP PUBLIC KEY BLOCK-----";
    let end = stderr[begin..]
        .find(end_marker)
        .map(|at| begin + at + end_marker.len())
        .unwrap_or_else(|| panic!("public key not terminated:\n{stderr}"));
    SignedRelease {
        zip: zip.clone(),
        sums: sums.clone(),
        signature: signature.clone(),
        public_key: format!("{}\n", &stderr[begin..end]),
    }
}

type Documents = BTreeMap<String, (&'static str, Vec<u8>)>;

/// A provider registry over HTTPS: every path it serves is a document in
/// `documents` (content type and body), which the test may change between
/// `terraform init` runs.
struct Registry {
    address: SocketAddr,
    documents: Arc<Mutex<Documents>>,
    requested: Arc<Mutex<Vec<String>>>,
    ca_pem: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Accepts TCP connections and completes the TLS handshake before axum
/// sees them; a handshake that fails (a client not trusting the CA) is
/// dropped and the next connection accepted.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, peer)) = self.tcp.accept().await else {
                continue;
            };
            let handshake = self.acceptor.accept(tcp);
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), handshake).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

impl Registry {
    async fn start() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Domo provider test registry CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let server_key = KeyPair::generate().expect("server key");
        let server_cert = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &ca)
            .expect("server certificate");

        let mut tls = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone(), ca.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            )
            .expect("TLS config");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind registry");
        let address = tcp.local_addr().expect("registry address");

        let documents: Arc<Mutex<Documents>> = Arc::default();
        let requested: Arc<Mutex<Vec<String>>> = Arc::default();
        let app = {
            let documents = documents.clone();
            let requested = requested.clone();
            axum::Router::new().fallback(move |uri: axum::http::Uri| {
                let documents = documents.clone();
                let requested = requested.clone();
                async move {
                    let path = uri.path().to_owned();
                    requested.lock().unwrap().push(path.clone());
                    let (status, content_type, body) = match documents.lock().unwrap().get(&path) {
                        Some((content_type, body)) => {
                            (axum::http::StatusCode::OK, *content_type, body.clone())
                        }
                        None => (
                            axum::http::StatusCode::NOT_FOUND,
                            "text/plain",
                            b"not found".to_vec(),
                        ),
                    };
                    (
                        status,
                        [(axum::http::header::CONTENT_TYPE, content_type)],
                        body,
                    )
                }
            })
        };
        let listener = TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
        };
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Registry {
            address,
            documents,
            requested,
            ca_pem: ca.pem(),
            server,
        }
    }

    /// `localhost:PORT`, the registry's host in provider source addresses.
    fn host(&self) -> String {
        format!("localhost:{}", self.address.port())
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.host())
    }

    /// Serves `body` at `path`, as JSON when the path names no file.
    fn serve(&self, path: &str, body: Vec<u8>) {
        let content_type = if path.starts_with("/files/") {
            "application/octet-stream"
        } else {
            "application/json"
        };
        self.documents
            .lock()
            .unwrap()
            .insert(path.to_owned(), (content_type, body));
    }

    /// Publishes one linux_amd64 release: service discovery, the version
    /// listing, the download document (with the digest registries take
    /// from SHA256SUMS at publish time, and the signing key) and the files.
    fn publish(&self, zip: &[u8], sums: &[u8], signature: &[u8], public_key: &str, key_id: &str) {
        let zip_name = format!("terraform-provider-domo_{VERSION}_linux_amd64.zip");
        let sums_name = format!("terraform-provider-domo_{VERSION}_SHA256SUMS");
        let sums_text = String::from_utf8_lossy(sums);
        let listed_digest = sums_text
            .lines()
            .find_map(|l| l.strip_suffix(&format!("  {zip_name}")))
            .unwrap_or_else(|| panic!("{zip_name} not in SHA256SUMS:\n{sums_text}"))
            .to_owned();
        let json = |value: serde_json::Value| value.to_string().into_bytes();
        self.serve(
            "/.well-known/terraform.json",
            json(serde_json::json!({"providers.v1": "/v1/providers/"})),
        );
        self.serve(
            &format!("/v1/providers/{NAMESPACE}/domo/versions"),
            json(serde_json::json!({"versions": [{
                "version": VERSION,
                "protocols": ["6.0"],
                "platforms": [{"os": "linux", "arch": "amd64"}],
            }]})),
        );
        self.serve(
            &format!("/v1/providers/{NAMESPACE}/domo/{VERSION}/download/linux/amd64"),
            json(serde_json::json!({
                "protocols": ["6.0"],
                "os": "linux",
                "arch": "amd64",
                "filename": zip_name,
                "download_url": self.url(&format!("/files/{zip_name}")),
                "shasums_url": self.url(&format!("/files/{sums_name}")),
                "shasums_signature_url": self.url(&format!("/files/{sums_name}.sig")),
                "shasum": listed_digest,
                "signing_keys": {"gpg_public_keys": [{
                    "key_id": key_id,
                    "ascii_armor": public_key,
                    "trust_signature": "",
                    "source": "Domo provider tests",
                    "source_url": null,
                }]},
            })),
        );
        self.serve(&format!("/files/{zip_name}"), zip.to_vec());
        self.serve(&format!("/files/{sums_name}"), sums.to_vec());
        self.serve(&format!("/files/{sums_name}.sig"), signature.to_vec());
    }

    fn was_requested(&self, path_end: &str) -> bool {
        self.requested
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.ends_with(path_end))
    }
}

/// A workspace that installs the provider from `registry` (no
/// dev_overrides, no plugin cache), trusting the registry's CA through
/// `SSL_CERT_FILE` (and nothing from the system's certificate directory)
/// when `trust_ca`.
fn workspace(sim: &Simulator, registry: &Registry, trust_ca: bool) -> Workspace {
    let mut ws = Workspace::without_overrides(sim);
    if trust_ca {
        let ca_dir = ws.path().join("ca");
        std::fs::create_dir_all(&ca_dir).expect("CA dir");
        let ca_file = ca_dir.join("registry-ca.pem");
        std::fs::write(&ca_file, &registry.ca_pem).expect("write CA");
        ws.set_env("SSL_CERT_FILE", &ca_file.to_string_lossy());
        ws.set_env("SSL_CERT_DIR", &ca_dir.to_string_lossy());
    }
    ws.write_file(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    domo = {{
      source  = "{}/{NAMESPACE}/domo"
      version = "{VERSION}"
    }}
  }}
}}

provider "domo" {{}}

resource "domo_user" "from_registry" {{
  name  = "Installed From A Registry"
  email = "registry@example.com"
  role  = "Participant"
}}
"#,
            registry.host()
        ),
    );
    ws
}

async fn init(ws: &Workspace) -> TfResult {
    ws.run(&["init", "-input=false", "-no-color"]).await
}

fn installed_binary(ws: &Workspace, registry: &Registry) -> PathBuf {
    ws.path()
        .join(".terraform/providers")
        .join(registry.host())
        .join(NAMESPACE)
        .join("domo")
        .join(VERSION)
        .join("linux_amd64")
        .join(format!("terraform-provider-domo_v{VERSION}"))
}

/// The release's zip with the provider replaced by something else: a
/// valid zip of the same name, as an attacker would substitute.
fn altered_zip(original: &Path, dir: &Path) -> Vec<u8> {
    let altered = dir.join("altered.zip");
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             src, dst = sys.argv[1:]\n\
             with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, 'w') as out:\n\
             \x20   for info in z.infolist():\n\
             \x20       out.writestr(info, b'#!/bin/sh\\necho not the provider\\n')\n",
        )
        .arg(original)
        .arg(&altered)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&altered).expect("altered zip")
}

#[tokio::test(flavor = "multi_thread")]
async fn terraform_init_installs_and_verifies_the_signed_release_from_a_registry() {
    let key = ThrowawayKey::generate();
    let dist = tempfile::tempdir().expect("temp dir");
    let release = package_signed(dist.path(), &key);
    let zip = std::fs::read(&release.zip).expect("zip");
    let sums = std::fs::read(&release.sums).expect("SHA256SUMS");
    let signature = std::fs::read(&release.signature).expect("signature");
    assert!(
        !signature.starts_with(b"-----BEGIN"),
        "registries take a binary signature, not an armored one"
    );

    let registry = Registry::start().await;
    registry.publish(&zip, &sums, &signature, &release.public_key, key.key_id());
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");

    // Without the test CA, Terraform does not trust the registry: the
    // trust below comes from SSL_CERT_FILE alone.
    let untrusting = workspace(&sim, &registry, false);
    let refused = init(&untrusting)
        .await
        .expect_code(1, "init without the CA");
    assert!(
        refused
            .flat()
            .contains("certificate signed by unknown authority"),
        "expected a certificate error\n{}",
        refused.all()
    );

    // Installed, with the signature verified and the key named.
    let ws = workspace(&sim, &registry, true);
    let installed = init(&ws).await.expect_code(0, "terraform init");
    let flat = installed.flat();
    let source = format!("{}/{NAMESPACE}/domo", registry.host());
    assert!(
        flat.contains(&format!("Installed {source} v{VERSION}"))
            && flat.contains(&format!("key ID {}", key.key_id())),
        "init should name the key that signed the release\n{}",
        installed.all()
    );
    assert!(registry.was_requested("_SHA256SUMS.sig"));
    assert!(installed_binary(&ws, &registry).is_file());
    let lock = std::fs::read_to_string(ws.path().join(".terraform.lock.hcl")).expect("lock file");
    assert!(
        lock.contains(&format!("zh:{}", sha256_hex(&zip))),
        "the lock file records the signed zip's digest\n{lock}"
    );

    // The installed provider works against Domo (the simulator).
    ws.apply().await.expect_code(0, "apply");
    let users = sim.store().users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0].email, "registry@example.com");
    ws.plan().await.expect_code(0, "clean plan");
    ws.destroy().await.expect_code(0, "destroy");
    assert!(sim.store().users().is_empty());

    // A zip altered after signing: refused, nothing installed.
    let altered = altered_zip(&release.zip, dist.path());
    registry.serve(
        &format!("/files/terraform-provider-domo_{VERSION}_linux_amd64.zip"),
        altered.clone(),
    );
    let tampered = workspace(&sim, &registry, true);
    let refused = init(&tampered)
        .await
        .expect_code(1, "init of an altered zip");
    let genuine_digest = sha256_hex(&zip);
    assert!(
        refused.flat().contains(&format!(
            "archive has incorrect checksum zh:{} (expected zh:{genuine_digest})",
            sha256_hex(&altered)
        )),
        "expected a checksum error for the altered zip\n{}",
        refused.all()
    );
    assert!(!installed_binary(&tampered, &registry).exists());

    // The altered zip with SHA256SUMS rewritten to match it, the old
    // signature kept (the key is not the attacker's): the signature check
    // refuses it.
    let rewritten_sums = String::from_utf8_lossy(&sums)
        .replace(&genuine_digest, &sha256_hex(&altered))
        .into_bytes();
    registry.publish(
        &altered,
        &rewritten_sums,
        &signature,
        &release.public_key,
        key.key_id(),
    );
    let forged = workspace(&sim, &registry, true);
    let refused = init(&forged)
        .await
        .expect_code(1, "init with a rewritten SHA256SUMS");
    assert!(
        refused.flat().contains("error checking signature"),
        "expected a signature error\n{}",
        refused.all()
    );
    assert!(!installed_binary(&forged, &registry).exists());
}
