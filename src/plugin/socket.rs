//! The socket of one Terraform connection, watched for reads only.
//!
//! tokio watches a socket for reads and writes. A unix socket reports
//! "writable" each time the peer reads from it, so every answer Terraform
//! read woke the provider once more with nothing to do: in an apply of 100
//! users, 125 of the apply process's 411 wake-ups. Our answers fit in the
//! socket buffer, so a write almost never has to wait; when one does, a
//! duplicate of the descriptor is watched for room until the write goes
//! through, then dropped.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

pub struct PluginSocket {
    stream: AsyncFd<UnixStream>,
    /// Watches a duplicate of the descriptor for room, only while a write
    /// is waiting for it.
    room: Option<AsyncFd<OwnedFd>>,
}

impl PluginSocket {
    pub fn new(stream: tokio::net::UnixStream) -> io::Result<PluginSocket> {
        // `into_std` leaves the descriptor non-blocking.
        Ok(PluginSocket {
            stream: watch(stream.into_std()?, Interest::READABLE)?,
            room: None,
        })
    }

    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&UnixStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let PluginSocket { stream, room } = self;
        loop {
            match write(stream.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                done => {
                    *room = None;
                    return Poll::Ready(done);
                }
            }
            let watcher = match room {
                Some(watcher) => watcher,
                None => {
                    let duplicate = stream.get_ref().as_fd().try_clone_to_owned()?;
                    room.insert(watch(duplicate, Interest::WRITABLE)?)
                }
            };
            let mut guard = ready!(watcher.poll_write_ready(cx))?;
            // Room was reported; if the socket is full again, forget the
            // report and wait for the next one.
            match write(stream.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                done => {
                    drop(guard);
                    *room = None;
                    return Poll::Ready(done);
                }
            }
        }
    }
}

/// Registers a descriptor we own with tokio's reactor.
fn watch<T: AsRawFd>(owner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
    // SAFETY: `owner` (a `UnixStream` or an `OwnedFd`) owns its descriptor,
    // keeps it open and never swaps it while the `AsyncFd` holds it.
    unsafe { AsyncFd::register_with_interest(owner, interest) }
        .map_err(|failed| failed.into_parts().1)
}

impl AsyncRead for PluginSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let mut guard = ready!(this.stream.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|stream| stream.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // Would block: readiness is cleared, wait for the next.
                Err(_) => {}
            }
        }
    }
}

impl AsyncWrite for PluginSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, |mut stream| stream.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, |mut stream| stream.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket; nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.get_ref().shutdown(Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A write bigger than the socket buffer must wait for the peer to read
    /// and then complete: the path that watches the duplicate descriptor.
    #[tokio::test(flavor = "current_thread")]
    async fn writes_larger_than_the_socket_buffer_complete() {
        let (ours, mut theirs) = tokio::net::UnixStream::pair().expect("socket pair");
        let mut ours = PluginSocket::new(ours).expect("plugin socket");
        let payload: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            theirs.read_to_end(&mut received).await.expect("read");
            received
        });
        let written = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            ours.write_all(&payload).await?;
            ours.shutdown().await
        });
        written
            .await
            .expect("the write is woken when room appears")
            .expect("write");
        let received = reader.await.expect("reader task");
        assert_eq!(received.len(), expected.len());
        assert!(received == expected, "bytes arrive intact and in order");
        assert!(
            ours.room.is_none(),
            "the write watcher is dropped once done"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn reads_what_the_peer_writes_and_sees_its_end() {
        let (ours, mut theirs) = tokio::net::UnixStream::pair().expect("socket pair");
        let mut ours = PluginSocket::new(ours).expect("plugin socket");
        let writer = tokio::spawn(async move {
            for chunk in [&b"hello "[..], &b"terraform"[..]] {
                theirs.write_all(chunk).await.expect("write");
                tokio::task::yield_now().await;
            }
        });
        let mut received = String::new();
        ours.read_to_string(&mut received).await.expect("read");
        writer.await.expect("writer task");
        assert_eq!(received, "hello terraform");
    }
}
