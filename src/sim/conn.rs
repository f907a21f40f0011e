//! A TCP listener whose connections a handler can cut without answering, to
//! play the ambiguous failure "the create happened but the response was
//! lost" (`SimConfig::drop_connection_after_create`).
//!
//! Each connection carries a flag, handed to handlers as
//! `ConnectInfo<ConnectionHandle>`. Once it is set, every read and write on
//! the socket fails, so hyper abandons the connection before writing a byte
//! of the response and the client sees it closed mid-request.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Lets a handler cut its own connection.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionHandle {
    pub peer: SocketAddr,
    cut: Arc<AtomicBool>,
}

impl ConnectionHandle {
    fn new(peer: SocketAddr) -> ConnectionHandle {
        ConnectionHandle {
            peer,
            cut: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Closes the connection instead of sending whatever the handler returns.
    pub fn drop_without_response(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for ConnectionHandle {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

pub(crate) struct CuttableListener {
    inner: TcpListener,
}

impl CuttableListener {
    pub fn new(inner: TcpListener) -> CuttableListener {
        CuttableListener { inner }
    }
}

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = ConnectionHandle;

    async fn accept(&mut self) -> (CuttableStream, ConnectionHandle) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let handle = ConnectionHandle::new(peer);
                    let stream = CuttableStream {
                        inner: stream,
                        cut: handle.cut.clone(),
                    };
                    return (stream, handle);
                }
                // Out of file descriptors and the like: wait rather than spin.
                Err(e) => {
                    tracing::warn!("domo-sim: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<ConnectionHandle> {
        self.inner.local_addr().map(ConnectionHandle::new)
    }
}

pub(crate) struct CuttableStream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
}

impl CuttableStream {
    fn check(&self) -> io::Result<()> {
        if self.cut.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection cut by the simulator",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
