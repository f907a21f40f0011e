//! Where the plugin listens, as go-plugin does it: on a unix socket in a
//! private directory (Linux and macOS), or on TCP at 127.0.0.1 (Windows,
//! which go-plugin serves over TCP; anywhere with
//! `DOMO_PLUGIN_TRANSPORT=tcp`, so that the TCP path runs under real
//! Terraform on the machines we test on). Within `PLUGIN_MIN_PORT` ..
//! `PLUGIN_MAX_PORT` when Terraform sets them.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

#[cfg(unix)]
use super::socket::PluginSocket;

/// How Terraform reaches the plugin: the handshake line's network field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Unix,
    Tcp,
}

impl Transport {
    /// `DOMO_PLUGIN_TRANSPORT` ("unix" or "tcp"), or the platform's own:
    /// TCP on Windows, a unix socket elsewhere.
    pub fn choose(requested: Option<&str>) -> Result<Transport, String> {
        match requested.map(str::trim) {
            None | Some("") => Ok(Transport::platform_default()),
            Some(name) if name.eq_ignore_ascii_case("tcp") => Ok(Transport::Tcp),
            Some(name) if name.eq_ignore_ascii_case("unix") && cfg!(unix) => Ok(Transport::Unix),
            Some(other) => Err(format!(
                "DOMO_PLUGIN_TRANSPORT={other:?} is not a transport of this platform: use \"tcp\"{}",
                if cfg!(unix) { " or \"unix\"" } else { "" }
            )),
        }
    }

    fn platform_default() -> Transport {
        if cfg!(unix) {
            Transport::Unix
        } else {
            Transport::Tcp
        }
    }

    /// The name go-plugin's handshake line gives it.
    pub fn network(self) -> &'static str {
        match self {
            Transport::Unix => "unix",
            Transport::Tcp => "tcp",
        }
    }
}

/// The ports Terraform allows (`PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`); any
/// free port when either is unset or unreadable, as go-plugin does.
pub fn port_range(min: Option<&str>, max: Option<&str>) -> Option<(u16, u16)> {
    let port = |value: Option<&str>| value?.trim().parse::<u16>().ok();
    match (port(min), port(max)) {
        (Some(min), Some(max)) if min > 0 && min <= max => Some((min, max)),
        _ => None,
    }
}

/// A bound listener, and what it takes to stay bound (the socket's private
/// directory, removed when this is dropped).
pub struct PluginListener {
    inner: Inner,
    #[cfg(unix)]
    _dir: Option<tempfile::TempDir>,
}

enum Inner {
    #[cfg(unix)]
    Unix(tokio::net::UnixListener, std::path::PathBuf),
    Tcp(TcpListener, SocketAddr),
}

impl PluginListener {
    pub fn bind(transport: Transport, ports: Option<(u16, u16)>) -> io::Result<PluginListener> {
        match transport {
            #[cfg(unix)]
            Transport::Unix => {
                // A private directory (mode 0700) holds the socket.
                let dir = tempfile::Builder::new().prefix("plugin").tempdir()?;
                let path = dir.path().join("provider.sock");
                let listener = tokio::net::UnixListener::bind(&path)?;
                Ok(PluginListener {
                    inner: Inner::Unix(listener, path),
                    _dir: Some(dir),
                })
            }
            #[cfg(not(unix))]
            Transport::Unix => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "unix sockets are not available on this platform",
            )),
            Transport::Tcp => {
                let listener = bind_tcp(ports)?;
                let addr = listener.local_addr()?;
                Ok(PluginListener {
                    inner: Inner::Tcp(listener, addr),
                    #[cfg(unix)]
                    _dir: None,
                })
            }
        }
    }

    pub fn transport(&self) -> Transport {
        match self.inner {
            #[cfg(unix)]
            Inner::Unix(..) => Transport::Unix,
            Inner::Tcp(..) => Transport::Tcp,
        }
    }

    /// The handshake line's address: the socket's path, or `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        match &self.inner {
            #[cfg(unix)]
            Inner::Unix(_, path) => path.display().to_string(),
            Inner::Tcp(_, addr) => addr.to_string(),
        }
    }

    pub async fn accept(&self) -> io::Result<PluginStream> {
        match &self.inner {
            #[cfg(unix)]
            Inner::Unix(listener, _) => {
                let (stream, _) = listener.accept().await?;
                Ok(PluginStream::Unix(PluginSocket::new(stream)?))
            }
            Inner::Tcp(listener, _) => {
                let (stream, _) = listener.accept().await?;
                // gRPC frames are small and answered at once: no Nagle delay.
                stream.set_nodelay(true)?;
                Ok(PluginStream::Tcp(stream))
            }
        }
    }
}

/// 127.0.0.1 on the first free port of `ports`, or on any free port.
fn bind_tcp(ports: Option<(u16, u16)>) -> io::Result<TcpListener> {
    let Some((min, max)) = ports else {
        return std_listener(0);
    };
    let mut last_error = None;
    for port in min..=max {
        match std_listener(port) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!(
            "no free port between PLUGIN_MIN_PORT={min} and PLUGIN_MAX_PORT={max}{}",
            last_error
                .map(|e| format!(" (last: {e})"))
                .unwrap_or_default()
        ),
    ))
}

fn std_listener(port: u16) -> io::Result<TcpListener> {
    let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

/// One accepted connection, before TLS.
pub enum PluginStream {
    #[cfg(unix)]
    Unix(PluginSocket),
    Tcp(TcpStream),
}

impl AsyncRead for PluginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            PluginStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            PluginStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            PluginStream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_flush(cx),
            PluginStream::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            PluginStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_is_the_platforms_unless_asked() {
        let default = if cfg!(unix) {
            Transport::Unix
        } else {
            Transport::Tcp
        };
        assert_eq!(Transport::choose(None), Ok(default));
        assert_eq!(Transport::choose(Some("")), Ok(default));
        assert_eq!(Transport::choose(Some("TCP")), Ok(Transport::Tcp));
        let error = Transport::choose(Some("pipe")).unwrap_err();
        assert!(error.contains("\"pipe\""), "{error}");
    }

    #[test]
    fn a_port_range_needs_both_ends_in_order() {
        assert_eq!(
            port_range(Some("10000"), Some("25000")),
            Some((10000, 25000))
        );
        assert_eq!(port_range(Some("10000"), None), None);
        assert_eq!(port_range(Some("9"), Some("8")), None);
        assert_eq!(port_range(Some("x"), Some("8")), None);
        assert_eq!(port_range(Some("0"), Some("8")), None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn tcp_listens_on_loopback_within_the_range() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let busy = taken.local_addr().expect("addr").port();
        // The range starts at a busy port: the next one is taken, if free.
        let listener = match PluginListener::bind(Transport::Tcp, Some((busy, busy + 20))) {
            Ok(listener) => listener,
            Err(e) => panic!("no free port near {busy}: {e}"),
        };
        let address: SocketAddr = listener.address().parse().expect("ip:port");
        assert!(address.ip().is_loopback());
        assert!(address.port() > busy && address.port() <= busy + 20);
        assert_eq!(listener.transport().network(), "tcp");

        let client = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let mut stream = TcpStream::connect(address).await.expect("connect");
            stream.write_all(b"ping").await.expect("write");
        });
        let mut accepted = listener.accept().await.expect("accept");
        let mut received = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut accepted, &mut received)
            .await
            .expect("read");
        client.await.expect("client");
        assert_eq!(received, b"ping");

        let error = match PluginListener::bind(Transport::Tcp, Some((busy, busy))) {
            Ok(_) => panic!("bound a busy port"),
            Err(e) => e,
        };
        assert!(error.to_string().contains("PLUGIN_MIN_PORT"), "{error}");
        drop(taken);
    }
}
