//! The go-plugin transport: how Terraform starts us and talks to us.
//!
//! [`serve`] checks the handshake environment, listens (on a unix socket in
//! a private temporary directory, or on TCP at 127.0.0.1: see [`listener`]),
//! prints the handshake line, and serves the provider, health, controller
//! and stdio gRPC services (over mutual TLS when Terraform asks for it)
//! until shutdown.

pub mod handshake;
mod in_flight;
pub mod listener;
pub mod services;
#[cfg(unix)]
mod socket;
pub mod tls;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use crate::proto::go_plugin::{
    grpc_controller_server::GrpcControllerServer, grpc_stdio_server::GrpcStdioServer,
};
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::server::ProviderService;
pub use handshake::HandshakeError;
use in_flight::{CountInFlight, InFlight};
use listener::{PluginListener, PluginStream, Transport};
pub use services::Shutdown;

/// How long in-flight requests may run on after shutdown is asked for.
const DRAIN_GRACE: Duration = Duration::from_secs(10);
/// After requests drain, how long replies and connection close may take.
const FLUSH_GRACE: Duration = Duration::from_millis(250);
/// A client that has not finished its TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Terraform raises its own receive limit well above gRPC's 4 MiB default;
/// we accept as much.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("could not open the plugin socket: {0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Transport(String),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// How the process was started.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Serve without Terraform's cookie and print `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
    /// The provider's source address, for the reattach line.
    pub provider_address: String,
}

/// Environment variables Terraform sets for its plugins.
#[derive(Clone, Debug, Default)]
pub struct PluginEnv {
    pub magic_cookie: Option<String>,
    pub protocol_versions: Option<String>,
    pub client_cert: Option<String>,
    /// `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT`, for the TCP transport.
    pub min_port: Option<String>,
    pub max_port: Option<String>,
    /// `DOMO_PLUGIN_TRANSPORT`: "tcp" or "unix" (ours, not go-plugin's).
    pub transport: Option<String>,
}

impl PluginEnv {
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        PluginEnv {
            magic_cookie: var(handshake::MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert: var("PLUGIN_CLIENT_CERT"),
            min_port: var("PLUGIN_MIN_PORT"),
            max_port: var("PLUGIN_MAX_PORT"),
            transport: var("DOMO_PLUGIN_TRANSPORT"),
        }
    }
}

/// Runs the plugin until Terraform (or a signal) shuts it down.
pub async fn serve(
    opts: ServeOptions,
    env: PluginEnv,
    provider: ProviderService,
) -> Result<(), PluginError> {
    if !opts.debug {
        handshake::check_magic_cookie(env.magic_cookie.as_deref())?;
    }
    handshake::negotiate_version(env.protocol_versions.as_deref())?;

    let transport = Transport::choose(env.transport.as_deref()).map_err(PluginError::Transport)?;
    let ports = listener::port_range(env.min_port.as_deref(), env.max_port.as_deref());
    // Dropping the listener (at the end of `serve`) removes a unix socket
    // and its private directory.
    let listener = PluginListener::bind(transport, ports)?;
    let network = listener.transport().network();
    let address = listener.address();

    let mtls = match (&env.client_cert, opts.debug) {
        (Some(pem), false) => Some(tls::AutoMtls::new(pem)?),
        _ => None,
    };

    if opts.debug {
        print_reattach_instructions(&opts.provider_address, network, &address);
    } else {
        let line = handshake::handshake_line(
            network,
            &address,
            mtls.as_ref().map(|m| m.server_cert_der.as_slice()),
        );
        print_stdout_line(&line)?;
    }
    tracing::info!(network, address, tls = mtls.is_some(), "provider serving");

    let shutdown = Shutdown::default();
    watch_signals(shutdown.clone());
    let incoming = accept_connections(
        listener,
        mtls.map(|m| tokio_rustls::TlsAcceptor::from(m.server_config)),
        shutdown.clone(),
    );

    let in_flight = std::sync::Arc::new(InFlight::default());
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let server = tonic::transport::Server::builder()
        // One trace line per RPC: `TF_LOG_PROVIDER=TRACE` shows which calls
        // Terraform makes and how many.
        .trace_fn(|request| {
            tracing::trace!(rpc = request.uri().path(), "gRPC request");
            tracing::Span::none()
        })
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(services::Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(services::Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(CountInFlight::new(
            ProviderServer::new(provider)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            in_flight.clone(),
        ))
        .serve_with_incoming_shutdown(incoming, shutdown.clone().wait_owned());

    // Shutdown lets requests in flight finish, so Terraform can record what
    // they did, but does not wait on idle connections. Replies already
    // written (the Shutdown reply among them) get a moment to flush.
    let mut server = tokio::spawn(server);
    tokio::select! {
        result = &mut server => return finish(result),
        () = shutdown.wait() => {}
    }
    if !in_flight.wait_idle(DRAIN_GRACE).await {
        tracing::warn!("requests still running {DRAIN_GRACE:?} after shutdown; exiting anyway");
    }
    if let Ok(result) = tokio::time::timeout(FLUSH_GRACE, &mut server).await {
        return finish(result);
    }
    Ok(())
}

/// The server task's end.
fn finish(
    result: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
) -> Result<(), PluginError> {
    match result {
        Ok(served) => Ok(served?),
        Err(join) => Err(PluginError::Io(io::Error::other(join))),
    }
}

/// SIGINT and SIGTERM end the process the same way Shutdown does: stop
/// accepting, let in-flight requests finish, exit.
#[cfg(unix)]
fn watch_signals(shutdown: Shutdown) {
    use tokio::signal::unix::{signal, SignalKind};
    for kind in [SignalKind::interrupt(), SignalKind::terminate()] {
        let shutdown = shutdown.clone();
        match signal(kind) {
            Ok(mut stream) => {
                tokio::spawn(async move {
                    if stream.recv().await.is_some() {
                        tracing::debug!(signal = ?kind, "signal received, shutting down");
                        shutdown.trigger();
                    }
                });
            }
            Err(e) => tracing::warn!("cannot watch signal {kind:?}: {e}"),
        }
    }
}

/// Ctrl-C (a console's Ctrl-C or Ctrl-Break) ends the process the same way
/// Shutdown does.
#[cfg(not(unix))]
fn watch_signals(shutdown: Shutdown) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("Ctrl-C received, shutting down");
            shutdown.trigger();
        }
    });
}

/// Accepts connections until shutdown; TLS handshakes run on their own
/// tasks so one slow or hostile client cannot block the others. The
/// listener lives as long as this task: until shutdown.
fn accept_connections(
    listener: PluginListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: Shutdown,
) -> ReceiverStream<Result<Connection, io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(stream) => stream,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                },
                () = shutdown.wait() => return,
            };
            let Some(acceptor) = tls.clone() else {
                if tx.send(Ok(Connection::Plain(stream))).await.is_err() {
                    return;
                }
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls_stream)) => {
                        let _ = tx.send(Ok(Connection::Tls(Box::new(tls_stream)))).await;
                    }
                    Ok(Err(e)) => tracing::warn!("refused a client: TLS handshake failed: {e}"),
                    Err(_) => tracing::warn!("refused a client: TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// One accepted client connection, plaintext or TLS.
pub enum Connection {
    Plain(PluginStream),
    Tls(Box<tokio_rustls::server::TlsStream<PluginStream>>),
}

impl Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// stdout carries the handshake line and nothing else, ever.
fn print_stdout_line(line: &str) -> io::Result<()> {
    use std::io::Write;
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

fn print_reattach_instructions(provider_address: &str, network: &str, address: &str) {
    let reattach = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": address },
        }
    });
    // Best effort: in debug mode stdout is a terminal for a person to read.
    let _ = print_stdout_line(&format!(
        "terraform-provider-domo is running in debug mode.\n\
         Run Terraform in another shell with this variable set to use it:\n\n    \
         export TF_REATTACH_PROVIDERS='{reattach}'\n\n\
         Stop the provider with Ctrl-C when you are done."
    ));
}
