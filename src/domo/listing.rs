//! Listings walked one page at a time, for callers that hand on what they
//! find as it comes (a `terraform query`): a page is fetched only when the
//! caller asks for the next one, so a caller that stops asking (enough
//! found, or nobody listening any more) stops the listing.
//!
//! The pages follow the one paging rule of every listing (`paging`): N
//! users cost ceil(N/500) requests, one more when N is a multiple of 500
//! (only a short page ends a listing). Each page is its own operation, with
//! its own deadline and retries, so a long listing is not bounded by one
//! operation's deadline. An object listed twice (pages shift when objects
//! come and go while we page) is handed on once.

use std::collections::HashSet;

use super::error::DomoError;
use super::groups::Group;
use super::model::User;
use super::paging::{PageSize, PageWalk, Progress};
use super::users::MAX_PAGE_SIZE;
use super::DomoClient;

/// The user listing, a page at a time ([`DomoClient::user_pages`]).
pub struct UserPages {
    client: DomoClient,
    walk: PageWalk,
    seen: HashSet<u64>,
    ended: bool,
}

impl UserPages {
    /// The next page's users (deleted ones left out), or `None` once the
    /// listing has ended. A page may hold no user to hand on (every row
    /// deleted or listed before) without the listing having ended.
    pub async fn next_page(&mut self) -> Result<Option<Vec<User>>, DomoError> {
        if self.ended {
            return Ok(None);
        }
        let op = self.client.inner.operation();
        let page = self
            .client
            .fetch_page(&op, self.walk.limit(), self.walk.offset())
            .await?;
        let progress = self
            .walk
            .record(page.iter().map(|record| record.user.id))
            .map_err(|repeated| repeated.into_error("/v1/users", "users"))?;
        self.ended = progress == Progress::Last;
        Ok(Some(
            page.into_iter()
                .filter(|record| !record.deleted && self.seen.insert(record.user.id))
                .map(|record| record.user)
                .collect(),
        ))
    }
}

/// The group listing, a page at a time ([`DomoClient::group_pages`]).
pub struct GroupPages {
    client: DomoClient,
    walk: PageWalk,
    seen: HashSet<u64>,
    ended: bool,
}

impl GroupPages {
    /// The next page's groups, or `None` once the listing has ended.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Group>>, DomoError> {
        if self.ended {
            return Ok(None);
        }
        let op = self.client.inner.operation();
        let (page, progress) = self.client.group_page(&op, &mut self.walk).await?;
        self.ended = progress == Progress::Last;
        Ok(Some(
            page.into_iter()
                .filter(|group| self.seen.insert(group.id))
                .collect(),
        ))
    }
}

impl DomoClient {
    /// Every (not deleted) user, a page of 500 at a time, in Domo's order.
    pub fn user_pages(&self) -> UserPages {
        UserPages {
            client: self.clone(),
            walk: PageWalk::new(MAX_PAGE_SIZE, PageSize::Documented),
            seen: HashSet::new(),
            ended: false,
        }
    }

    /// Every group, a page at a time, in Domo's order.
    pub fn group_pages(&self) -> GroupPages {
        GroupPages {
            client: self.clone(),
            walk: super::groups::group_walk(),
            seen: HashSet::new(),
            ended: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domo::{ClientConfig, DomoClient};
    use crate::sim::{SimConfig, Simulator};

    fn client(sim: &Simulator) -> DomoClient {
        DomoClient::new(ClientConfig {
            api_host: sim.base_url(),
            client_id: "sim-client".into(),
            client_secret: "sim-secret".into(),
            ..ClientConfig::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn pages_come_one_request_each_and_only_when_asked_for() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let ids = sim.store().seed_users(1_100);
        assert!(sim.store().mark_deleted(ids[3]));
        let client = client(&sim);
        let mut pages = client.user_pages();
        let first = pages.next_page().await.unwrap().unwrap();
        assert_eq!(
            sim.store().stats().list_requests,
            1,
            "one page asked, one fetched"
        );
        let mut listed: Vec<u64> = first.iter().map(|user| user.id).collect();
        while let Some(page) = pages.next_page().await.unwrap() {
            listed.extend(page.iter().map(|user| user.id));
        }
        assert_eq!(listed.len(), 1_099);
        assert!(!listed.contains(&ids[3]), "the deleted user is left out");
        assert_eq!(
            sim.store().stats().list_requests,
            3,
            "ceil(1100 / 500) pages, the last one short"
        );
        assert!(pages.next_page().await.unwrap().is_none());
        assert_eq!(sim.store().stats().list_requests, 3);
    }

    #[tokio::test]
    async fn groups_too() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        sim.store().seed_groups(3, 0);
        let client = client(&sim);
        let mut pages = client.group_pages();
        let mut names = Vec::new();
        while let Some(page) = pages.next_page().await.unwrap() {
            names.extend(page.into_iter().map(|group| group.name));
        }
        assert_eq!(names, ["Seed Group 1", "Seed Group 2", "Seed Group 3"]);
    }
}
