//! A local simulator of Domo's public Users and Groups API, the backend of
//! the demo and of every test. It speaks Domo's HTTP API only (see `shared/domo-api.md`)
//! and knows nothing of Terraform or of our client; switches in [`SimConfig`]
//! play each reading of what Domo leaves undocumented.
//!
//! - `config`: the switches.
//! - `store`: users, roles, groups, tokens, counters; also a handle for
//!   tests to look and poke.
//! - `gate`: what every API request passes first (latency, 429, 5xx, auth).
//! - `api`: `/oauth/token` and `/v1/users`.
//! - `groups`: `/v1/groups` and their members.
//! - `admin`: `/_sim/...` for scripts.
//! - `conn`: the listener: connections a handler can cut without answering,
//!   and outages (connections refused, open ones closed).

mod admin;
mod api;
mod config;
mod conn;
mod error;
mod gate;
mod groups;
mod store;
#[cfg(test)]
mod tests;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::routing::{get, put};
use axum::{middleware, Router};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::SimConfig;
pub use store::{SimGroup, SimStats, SimStore, SimUser};

use conn::{ConnectionHandle, CuttableListener};

/// How long `shutdown` waits for open requests before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running simulator. Dropping it stops it too (without waiting).
pub struct Simulator {
    addr: SocketAddr,
    store: SimStore,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts on 127.0.0.1 and a free port.
    pub async fn start(config: SimConfig) -> io::Result<Simulator> {
        Simulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> io::Result<Simulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let store = SimStore::new(config);
        let listener = CuttableListener::new(listener, store.outage())?;
        let app = router(store.clone()).into_make_service_with_connect_info::<ConnectionHandle>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                // A dropped sender stops the server as well.
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                tracing::error!("domo-sim: server failed: {e}");
            }
        });
        Ok(Simulator {
            addr,
            store,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// "http://127.0.0.1:PORT", without a trailing slash.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn store(&self) -> SimStore {
        self.store.clone()
    }

    /// Stops accepting, lets open requests finish (for a few seconds at most).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The API behind the gate, then the admin endpoints beside it.
fn router(store: SimStore) -> Router {
    let api = Router::new()
        .route("/oauth/token", get(api::token).post(api::token))
        .route("/v1/users", get(api::list_users).post(api::create_user))
        .route(
            "/v1/users/{id}",
            get(api::get_user)
                .put(api::update_user)
                .delete(api::delete_user),
        )
        .route(
            "/v1/groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/v1/groups/{id}",
            get(groups::get_group)
                .put(groups::update_group)
                .delete(groups::delete_group),
        )
        .route("/v1/groups/{id}/users", get(groups::list_members))
        .route(
            "/v1/groups/{id}/users/{user_id}",
            put(groups::add_member).delete(groups::remove_member),
        )
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            store.clone(),
            gate::api_gate,
        ));
    api.merge(admin::router()).with_state(store)
}
