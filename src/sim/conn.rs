//! The simulator's TCP listener, with two ways of failing on purpose:
//!
//! - a handler can cut its own connection without answering, to play "the
//!   create happened but the response was lost"
//!   (`SimConfig::drop_connection_after_create`);
//! - an [`Outage`] closes the listening socket for a while, so that new
//!   connections are refused by the kernel (nothing listens on the port),
//!   and closes every open connection, keep-alive ones included: what
//!   clients see while Domo is down or restarting.
//!
//! Each connection carries a flag, handed to handlers as
//! `ConnectInfo<ConnectionHandle>`. Once it is set, every read and write on
//! the socket fails, so hyper abandons the connection before writing a byte
//! of the response and the client sees it closed.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// How often a listener that cannot bind its port again tries once more.
const REBIND_INTERVAL: Duration = Duration::from_millis(50);

/// The cut flag of one connection, and the waker of its reader so that a
/// cut takes effect at once, even on an idle keep-alive connection.
#[derive(Debug, Default)]
struct ConnectionFlag {
    cut: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl ConnectionFlag {
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        if let Some(waker) = lock(&self.reader).take() {
            waker.wake();
        }
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

/// Lets a handler cut its own connection.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionHandle {
    pub peer: SocketAddr,
    flag: Arc<ConnectionFlag>,
}

impl ConnectionHandle {
    fn new(peer: SocketAddr) -> ConnectionHandle {
        ConnectionHandle {
            peer,
            flag: Arc::default(),
        }
    }

    /// Closes the connection instead of sending whatever the handler returns.
    pub fn drop_without_response(&self) {
        self.flag.cut();
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for ConnectionHandle {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A switch that takes the simulator off the network for a while. Cheap to
/// clone; clones share the switch.
#[derive(Clone, Debug)]
pub(crate) struct Outage {
    inner: Arc<OutageState>,
}

#[derive(Debug)]
struct OutageState {
    /// When the current outage ends; `None` when there is none.
    until: watch::Sender<Option<Instant>>,
    /// Every connection accepted and not yet closed, to cut at an outage.
    open: Mutex<Vec<Weak<ConnectionFlag>>>,
}

impl Default for Outage {
    fn default() -> Outage {
        Outage {
            inner: Arc::new(OutageState {
                until: watch::Sender::new(None),
                open: Mutex::new(Vec::new()),
            }),
        }
    }
}

impl Outage {
    /// Refuses connections for `duration` from now (an outage already in
    /// force lasts until the later end) and closes every open connection.
    /// Returns how many open connections were closed.
    pub fn refuse_for(&self, duration: Duration) -> usize {
        let until = Instant::now() + duration;
        self.inner.until.send_modify(|current| {
            if current.is_none_or(|end| end < until) {
                *current = Some(until);
            }
        });
        let open: Vec<_> = lock(&self.inner.open)
            .drain(..)
            .filter_map(|flag| flag.upgrade())
            .collect();
        for flag in &open {
            flag.cut();
        }
        open.len()
    }

    fn track(&self, flag: &Arc<ConnectionFlag>) {
        let mut open = lock(&self.inner.open);
        open.retain(|flag| flag.strong_count() > 0);
        open.push(Arc::downgrade(flag));
    }
}

pub(crate) struct CuttableListener {
    /// `None` while an outage keeps the port closed.
    inner: Option<TcpListener>,
    addr: SocketAddr,
    outage: Outage,
    outage_end: watch::Receiver<Option<Instant>>,
}

impl CuttableListener {
    pub fn new(inner: TcpListener, outage: Outage) -> io::Result<CuttableListener> {
        let addr = inner.local_addr()?;
        let outage_end = outage.inner.until.subscribe();
        Ok(CuttableListener {
            inner: Some(inner),
            addr,
            outage,
            outage_end,
        })
    }

    fn accepted(&self, stream: TcpStream, peer: SocketAddr) -> (CuttableStream, ConnectionHandle) {
        let handle = ConnectionHandle::new(peer);
        self.outage.track(&handle.flag);
        let stream = CuttableStream {
            inner: stream,
            flag: handle.flag.clone(),
        };
        (stream, handle)
    }
}

/// Resolves when the outage switch changes (never, if it cannot change).
async fn switched(receiver: &mut watch::Receiver<Option<Instant>>) {
    if receiver.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = ConnectionHandle;

    async fn accept(&mut self) -> (CuttableStream, ConnectionHandle) {
        loop {
            let outage_end = *self.outage_end.borrow_and_update();
            if let Some(end) = outage_end.filter(|end| *end > Instant::now()) {
                // Nothing listens: the kernel refuses every connection.
                self.inner = None;
                tokio::select! {
                    () = tokio::time::sleep_until(end) => {}
                    () = switched(&mut self.outage_end) => {}
                }
                continue;
            }
            let listener = match &self.inner {
                Some(listener) => listener,
                None => match TcpListener::bind(self.addr).await {
                    Ok(listener) => self.inner.insert(listener),
                    Err(e) => {
                        tracing::warn!("domo-sim: cannot listen on {} again: {e}", self.addr);
                        tokio::time::sleep(REBIND_INTERVAL).await;
                        continue;
                    }
                },
            };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => return self.accepted(stream, peer),
                    // Out of file descriptors and the like: wait rather than spin.
                    Err(e) => {
                        tracing::warn!("domo-sim: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                () = switched(&mut self.outage_end) => {}
            }
        }
    }

    fn local_addr(&self) -> io::Result<ConnectionHandle> {
        Ok(ConnectionHandle::new(self.addr))
    }
}

pub(crate) struct CuttableStream {
    inner: TcpStream,
    flag: Arc<ConnectionFlag>,
}

impl CuttableStream {
    fn check(&self) -> io::Result<()> {
        if self.flag.is_cut() {
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
        {
            let mut reader = lock(&self.flag.reader);
            if !reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *reader = Some(cx.waker().clone());
            }
        }
        // A cut between the first check and storing the waker found no
        // waker to wake: look again.
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

/// Locks a std mutex, shrugging off poisoning: the guarded data stay
/// consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
