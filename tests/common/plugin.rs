//! Starts the built provider binary exactly as Terraform does (magic
//! cookie, protocol versions, a P-521 client certificate for AutoMTLS) and
//! connects to it over gRPC with mutual TLS on its unix socket.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint};

pub const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client identity shaped like Terraform's: self-signed P-521 CA for
/// `localhost`.
pub struct ClientIdentity {
    pub cert_pem: String,
    pub cert_der: CertificateDer<'static>,
    pub key_der: Vec<u8>,
}

impl ClientIdentity {
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).expect("self-signed");
        ClientIdentity {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

/// The handshake line's fields.
#[derive(Debug)]
pub struct Handshake {
    pub core_version: String,
    pub protocol_version: String,
    pub network: String,
    pub address: String,
    pub protocol: String,
    pub server_cert_der: Vec<u8>,
    pub field_count: usize,
}

pub fn parse_handshake(line: &str) -> Handshake {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert!(fields.len() >= 6, "handshake line too short: {line:?}");
    let cert_b64 = fields[5];
    assert!(
        !cert_b64.ends_with('='),
        "certificate must be unpadded base64: {cert_b64}"
    );
    Handshake {
        core_version: fields[0].into(),
        protocol_version: fields[1].into(),
        network: fields[2].into(),
        address: fields[3].into(),
        protocol: fields[4].into(),
        server_cert_der: base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(cert_b64)
            .expect("certificate is base64 without padding"),
        field_count: fields.len(),
    }
}

/// A running provider process.
pub struct ProviderProcess {
    pub child: Child,
    pub handshake: Handshake,
    pub identity: ClientIdentity,
    /// Its log lines (stderr), when started with
    /// [`ProviderProcess::start_with_logs`].
    pub logs: Option<std::sync::mpsc::Receiver<String>>,
}

impl ProviderProcess {
    /// Starts the binary with AutoMTLS and reads its handshake line.
    pub fn start(extra_env: &[(&str, &str)]) -> Self {
        Self::spawn(extra_env, false)
    }

    /// [`ProviderProcess::start`], with its log lines (stderr) kept in
    /// [`ProviderProcess::logs`] as well as shown.
    pub fn start_with_logs(extra_env: &[(&str, &str)]) -> Self {
        Self::spawn(extra_env, true)
    }

    /// Waits for a log line containing `text` and returns it; panics after
    /// `limit` (a bound on a hang, not a timing assertion).
    pub fn wait_for_log(&self, text: &str, limit: Duration) -> String {
        let logs = self.logs.as_ref().expect("started with logs");
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match logs.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with {text:?} within {limit:?}"),
            }
        }
    }

    fn spawn(extra_env: &[(&str, &str)], keep_logs: bool) -> Self {
        let identity = ClientIdentity::generate();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-domo"));
        cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_CLIENT_CERT", &identity.cert_pem)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if keep_logs {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start provider binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read handshake");
        let handshake = parse_handshake(&line);
        let logs = child.stderr.take().map(|stderr| {
            let (sender, receiver) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    let _ = sender.send(line);
                }
            });
            receiver
        });
        ProviderProcess {
            child,
            handshake,
            identity,
            logs,
        }
    }

    /// Connects with the identity given to the process.
    pub async fn connect(&self) -> Result<Channel, tonic::transport::Error> {
        connect(&self.handshake, &self.identity).await
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Trusts exactly the server certificate from the handshake line, as
/// go-plugin's client does (it puts that certificate alone in its roots).
#[derive(Debug)]
struct PinnedServer(Vec<u8>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &aws_lc_rs::default_provider().signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client's TLS stream over either of go-plugin's networks.
enum Transport {
    Unix(tokio_rustls::client::TlsStream<tokio::net::UnixStream>),
    Tcp(tokio_rustls::client::TlsStream<tokio::net::TcpStream>),
}

impl tokio::io::AsyncRead for Transport {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Unix(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Transport::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Transport {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Transport::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Transport::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Unix(s) => std::pin::Pin::new(s).poll_flush(cx),
            Transport::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Transport::Unix(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Transport::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Opens a gRPC channel over the handshake's unix socket or TCP address,
/// with mutual TLS.
pub async fn connect(
    hs: &Handshake,
    identity: &ClientIdentity,
) -> Result<Channel, tonic::transport::Error> {
    let mut config =
        rustls::ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedServer(hs.server_cert_der.clone())))
            .with_client_auth_cert(
                vec![identity.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
            )
            .expect("client auth");
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let address = hs.address.clone();
    let tcp = hs.network == "tcp";
    Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_| {
            let connector = connector.clone();
            let address = address.clone();
            async move {
                let name = ServerName::try_from("localhost").expect("server name");
                let tls = if tcp {
                    let stream = tokio::net::TcpStream::connect(address).await?;
                    Transport::Tcp(connector.connect(name, stream).await?)
                } else {
                    let stream = tokio::net::UnixStream::connect(address).await?;
                    Transport::Unix(connector.connect(name, stream).await?)
                };
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}
