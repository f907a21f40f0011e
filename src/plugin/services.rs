//! go-plugin's side services: `GRPCController` (Terraform asks us to exit)
//! and `GRPCStdio` (Terraform would copy our output; we log to stderr
//! directly, so the stream stays empty and ends at shutdown).

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::proto::go_plugin::{
    grpc_controller_server::GrpcController, grpc_stdio_server::GrpcStdio, Empty, StdioData,
};

/// The one shutdown signal every task listens to.
#[derive(Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            tx: watch::channel(false).0,
        }
    }
}

impl Shutdown {
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Resolves once shutdown has been triggered (at once if it already was).
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // An error means the sender is gone, which cannot happen while
        // `self` holds it; either way there is nothing left to wait for.
        let _ = rx.wait_for(|&down| down).await;
    }

    /// [`Shutdown::wait`] for APIs that need a `'static` future.
    pub async fn wait_owned(self) {
        self.wait().await
    }
}

pub struct Controller {
    pub shutdown: Shutdown,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by Terraform");
        self.shutdown.trigger();
        Ok(Response::new(Empty {}))
    }
}

pub struct Stdio {
    pub shutdown: Shutdown,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = ReceiverStream<Result<StdioData, Status>>;

    async fn stream_stdio(
        &self,
        _: Request<Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        // The stream ends when the sender is dropped, at shutdown, so that
        // the server's graceful drain is not held up by it.
        let (tx, rx) = mpsc::channel(1);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            shutdown.wait().await;
            drop(tx);
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
