//! Counting the provider requests being served, so that shutdown can wait
//! for the work Terraform must record (an apply half done must still be
//! answered) and not for idle connections. [`CountInFlight`] wraps the
//! provider's gRPC service once, so every call is counted without the
//! service knowing.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Notify;
use tonic::codegen::Service;
use tonic::server::NamedService;

/// The number of requests being served, and a signal when it drops to zero.
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while one request is served.
struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    /// Waits until no request is being served, or `limit` has passed.
    /// Returns whether the provider went idle.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let idle = async {
            loop {
                // Registered before the check, so a wake-up between the
                // check and the await is not lost.
                let notified = self.idle.notified();
                if self.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, idle).await.is_ok()
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// A gRPC service whose calls are counted in an [`InFlight`] from the
/// moment they arrive until their answer is ready.
#[derive(Clone)]
pub struct CountInFlight<S> {
    inner: S,
    in_flight: Arc<InFlight>,
}

impl<S> CountInFlight<S> {
    pub fn new(inner: S, in_flight: Arc<InFlight>) -> Self {
        CountInFlight { inner, in_flight }
    }
}

impl<S, R> Service<R> for CountInFlight<S>
where
    S: Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let serving = self.in_flight.enter();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await;
            drop(serving);
            answer
        })
    }
}

impl<S: NamedService> NamedService for CountInFlight<S> {
    const NAME: &'static str = S::NAME;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_when_every_call_has_answered() {
        let in_flight = Arc::new(InFlight::default());
        assert!(in_flight.wait_idle(Duration::from_millis(10)).await);
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let mut released = Some(released);
        let mut service = CountInFlight::new(
            tower_fn(move |_: ()| {
                let released = released.take();
                async move {
                    if let Some(released) = released {
                        let _ = released.await;
                    }
                    Ok::<_, ()>(())
                }
            }),
            in_flight.clone(),
        );
        let call = tokio::spawn(service.call(()));
        assert!(!in_flight.wait_idle(Duration::from_millis(20)).await);
        let _ = release.send(());
        let _ = call.await;
        assert!(in_flight.wait_idle(Duration::from_millis(100)).await);
    }

    /// A service from a closure, for the test.
    fn tower_fn<F, Fut>(f: F) -> FnService<F>
    where
        F: FnMut(()) -> Fut,
    {
        FnService(f)
    }

    struct FnService<F>(F);

    impl<F, Fut> Service<()> for FnService<F>
    where
        F: FnMut(()) -> Fut,
        Fut: Future<Output = Result<(), ()>>,
    {
        type Response = ();
        type Error = ();
        type Future = Fut;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: ()) -> Fut {
            (self.0)(request)
        }
    }
}
