//! The one rule for walking Domo's offset-paged listings (users, groups,
//! group members), as a pure state machine the endpoints feed page by page.
//!
//! Domo's listings are bare JSON arrays with no total and no "next" link, so
//! the only signal is each page's length:
//! - an empty page ends the listing;
//! - a full page means there may be more: ask at the next offset (the
//!   offset moves by the rows received, since it is a row offset);
//! - a short page ends the listing;
//! - a full page made only of ids seen before means Domo ignores `offset`:
//!   the walk stops with an error instead of looping forever.
//!
//! What counts as "full" depends on whether Domo documents its page size
//! ([`PageSize`]): where it does not, Domo may serve fewer rows than asked
//! without saying so, and taking such a page for the last one would lose
//! data silently.

use std::collections::HashSet;

use super::error::DomoError;

/// How far a page's length can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PageSize {
    /// Domo documents its largest page and we ask for no more: a page
    /// shorter than asked is the last (the users listing, 500).
    Documented,
    /// Domo's largest page is unknown and may be smaller than asked: a page
    /// is full when it is as long as the longest page so far, so a first
    /// page shorter than asked is confirmed by one more (empty) request.
    Assumed,
}

/// What follows a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Ask for the page at [`PageWalk::offset`].
    More,
    /// The listing is complete.
    Last,
}

/// A full page of ids seen before, fetched at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RepeatedPage {
    pub offset: u32,
}

impl RepeatedPage {
    /// The error to report for a listing at `path` (of `what`, e.g. "users").
    pub(crate) fn into_error(self, path: &str, what: &str) -> DomoError {
        DomoError::InvalidResponse {
            method: "GET".to_string(),
            path: path.to_string(),
            status: 200,
            detail: format!(
                "the page at offset {} repeats {what} already listed",
                self.offset
            ),
        }
    }
}

/// One walk through a listing.
#[derive(Debug)]
pub(crate) struct PageWalk {
    limit: u32,
    size: PageSize,
    offset: u32,
    /// Longest page received so far.
    longest: usize,
    seen: HashSet<u64>,
}

impl PageWalk {
    /// A walk asking for `limit` rows a page (at least 1), from offset 0.
    pub(crate) fn new(limit: u32, size: PageSize) -> PageWalk {
        PageWalk {
            limit: limit.max(1),
            size,
            offset: 0,
            longest: 0,
            seen: HashSet::new(),
        }
    }

    /// Rows to ask for in each page.
    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    /// Where the next page starts.
    pub(crate) fn offset(&self) -> u32 {
        self.offset
    }

    /// Records the page fetched at [`PageWalk::offset`], given the ids of
    /// its rows in order (deleted rows included: they take up places).
    pub(crate) fn record(
        &mut self,
        ids: impl IntoIterator<Item = u64>,
    ) -> Result<Progress, RepeatedPage> {
        let mut len = 0usize;
        let mut new_ids = 0usize;
        for id in ids {
            len += 1;
            if self.seen.insert(id) {
                new_ids += 1;
            }
        }
        if len == 0 {
            return Ok(Progress::Last);
        }
        let full = match self.size {
            PageSize::Documented => len >= self.limit as usize,
            PageSize::Assumed => len >= self.longest,
        };
        self.longest = self.longest.max(len);
        if !full {
            return Ok(Progress::Last);
        }
        if new_ids == 0 {
            return Err(RepeatedPage {
                offset: self.offset,
            });
        }
        self.offset = self
            .offset
            .saturating_add(u32::try_from(len).unwrap_or(u32::MAX));
        Ok(Progress::More)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks a listing of `total` rows served `served` at a time (Domo's
    /// real page size) while asking `limit`; returns the requests made and
    /// the ids received.
    fn walk(total: u64, limit: u32, served: u32, size: PageSize) -> (u32, Vec<u64>) {
        let mut walk = PageWalk::new(limit, size);
        let mut requests = 0;
        let mut received = Vec::new();
        loop {
            requests += 1;
            let start = u64::from(walk.offset());
            let end = (start + u64::from(limit.min(served))).min(total);
            let page: Vec<u64> = (start..end).collect();
            received.extend(&page);
            match walk.record(page).expect("offsets honoured") {
                Progress::More => {}
                Progress::Last => return (requests, received),
            }
        }
    }

    #[test]
    fn a_documented_page_size_ends_on_the_first_short_page() {
        assert_eq!(walk(1203, 500, 500, PageSize::Documented).0, 3);
        assert_eq!(walk(203, 500, 500, PageSize::Documented).0, 1);
        // An exact multiple ends on an empty page.
        assert_eq!(walk(1000, 500, 500, PageSize::Documented).0, 3);
        assert_eq!(walk(0, 500, 500, PageSize::Documented).0, 1);
        let (_, ids) = walk(1203, 500, 500, PageSize::Documented);
        assert_eq!(ids, (0..1203).collect::<Vec<_>>());
    }

    #[test]
    fn an_assumed_page_size_confirms_a_short_first_page() {
        assert_eq!(walk(1234, 500, 500, PageSize::Assumed).0, 3);
        assert_eq!(walk(5000, 500, 500, PageSize::Assumed).0, 11);
        assert_eq!(walk(7, 500, 500, PageSize::Assumed).0, 2);
        assert_eq!(walk(0, 500, 500, PageSize::Assumed).0, 1);
    }

    #[test]
    fn an_assumed_page_size_survives_domo_serving_fewer_rows_than_asked() {
        // Domo serves 100 a page whatever is asked: nothing is lost.
        let (requests, ids) = walk(1234, 500, 100, PageSize::Assumed);
        assert_eq!(requests, 13);
        assert_eq!(ids, (0..1234).collect::<Vec<_>>());
        assert_eq!(walk(1200, 500, 100, PageSize::Assumed).0, 13);
        // The documented rule would have stopped after the first page.
        assert_eq!(walk(1234, 500, 100, PageSize::Documented).1.len(), 100);
    }

    #[test]
    fn a_full_page_of_ids_seen_before_means_offset_is_ignored() {
        for size in [PageSize::Documented, PageSize::Assumed] {
            let mut walk = PageWalk::new(3, size);
            assert_eq!(walk.record([1, 2, 3]), Ok(Progress::More));
            assert_eq!(walk.offset(), 3);
            assert_eq!(walk.record([1, 2, 3]), Err(RepeatedPage { offset: 3 }));
        }
        // A short page of old ids simply ends the listing.
        let mut walk = PageWalk::new(3, PageSize::Documented);
        walk.record([1, 2, 3]).unwrap();
        assert_eq!(walk.record([3]), Ok(Progress::Last));
        let error = RepeatedPage { offset: 500 }.into_error("/v1/users", "users");
        assert!(
            error.to_string().contains("offset 500 repeats users"),
            "{error}"
        );
    }

    #[test]
    fn a_limit_of_zero_asks_for_one_row() {
        assert_eq!(PageWalk::new(0, PageSize::Documented).limit(), 1);
    }
}
