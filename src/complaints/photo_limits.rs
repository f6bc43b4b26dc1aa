//! Rate limits on photo uploads (issue 9): the upload endpoint is public (the submitter's
//! `Upload-Secret`), so without limits one client could probe complaint ids or flood a
//! complaint with attempts. Two GCRA limiters from `governor` (no hand-written bucket):
//! per client IP, checked first so that every attempt counts (401, 403 and 404 too), and per
//! complaint, checked only after the uploader is authorised so that a stranger cannot use up
//! the submitter's allowance.

use governor::clock::{Clock, FakeRelativeClock};
use governor::nanos::Nanos;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Uploads allowed per minute, each also the burst (the whole minute's allowance at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoRate {
    /// Per client IP (IPv6 per /64, which one subscriber usually holds whole). All clients
    /// without a known address (no `ConnectInfo`) share one allowance.
    pub per_ip: NonZeroU32,
    /// Per complaint: 5 photos plus room for retries.
    pub per_complaint: NonZeroU32,
}

const fn per_minute(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a rate is at least 1"),
    }
}

impl Default for PhotoRate {
    /// 30 per minute per IP (an office behind one address uploading for several complaints),
    /// 10 per minute per complaint.
    fn default() -> Self {
        PhotoRate { per_ip: per_minute(30), per_complaint: per_minute(10) }
    }
}

/// The time the limiters read: the process clock, or one a test moves by hand (so no test
/// sleeps). One type for both, so the handler is not generic over it.
#[derive(Debug, Clone)]
pub enum PhotoClock {
    Real(Instant),
    Fake(FakeRelativeClock),
}

impl Clock for PhotoClock {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        match self {
            PhotoClock::Real(start) => start.elapsed().into(),
            PhotoClock::Fake(c) => c.now(),
        }
    }
}

type Keyed<K> = RateLimiter<K, governor::state::keyed::DefaultKeyedStateStore<K>, PhotoClock, governor::middleware::NoOpMiddleware<Nanos>>;

/// Keys kept before idle ones (whose allowance is full again) are dropped, so the maps stay
/// small however many addresses or complaints pass.
const RETAIN_AT: usize = 4096;

/// The two limiters of one running app (cloned into each request).
#[derive(Clone)]
pub struct PhotoLimits {
    by_ip: Arc<Keyed<Option<IpAddr>>>,
    by_complaint: Arc<Keyed<i64>>,
    clock: PhotoClock,
}

impl PhotoLimits {
    pub fn new(rate: PhotoRate, clock: PhotoClock) -> PhotoLimits {
        fn keyed<K: Hash + Eq + Clone>(n: NonZeroU32, clock: &PhotoClock) -> Arc<Keyed<K>> {
            Arc::new(RateLimiter::new(Quota::per_minute(n), Default::default(), clock.clone()))
        }
        PhotoLimits { by_ip: keyed(rate.per_ip, &clock), by_complaint: keyed(rate.per_complaint, &clock), clock }
    }

    /// One attempt from `ip` (`None`: address unknown); `Err` holds how long to wait.
    pub fn check_ip(&self, ip: Option<IpAddr>) -> Result<(), Duration> {
        let key = ip.map(|ip| match ip.to_canonical() {
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & (u128::MAX << 64)).into()),
            v4 => v4,
        });
        self.check(&self.by_ip, key)
    }

    /// One authorised upload to complaint `id`; `Err` holds how long to wait.
    pub fn check_complaint(&self, id: i64) -> Result<(), Duration> {
        self.check(&self.by_complaint, id)
    }

    fn check<K: Hash + Eq + Clone>(&self, l: &Keyed<K>, key: K) -> Result<(), Duration> {
        if l.len() >= RETAIN_AT {
            l.retain_recent();
        }
        l.check_key(&key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits::new(PhotoRate::default(), PhotoClock::Real(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64_and_time_refills_the_allowance() {
        let clock = FakeRelativeClock::default();
        let one = NonZeroU32::MIN;
        let l = PhotoLimits::new(PhotoRate { per_ip: one, per_complaint: one }, PhotoClock::Fake(clock.clone()));
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::ffff".parse().unwrap();
        assert_eq!(l.check_ip(Some(a)), Ok(()));
        assert_eq!(l.check_ip(Some(b)), Err(Duration::from_secs(60)));
        assert_eq!(l.check_ip(Some("2001:db8:1:3::1".parse().unwrap())), Ok(()));
        assert_eq!(l.check_ip(Some("::ffff:10.0.0.1".parse().unwrap())), Ok(()));
        assert!(l.check_ip(Some("10.0.0.1".parse().unwrap())).is_err(), "an IPv4-mapped address is that IPv4 address");
        clock.advance(Duration::from_secs(60));
        assert_eq!(l.check_ip(Some(b)), Ok(()));
    }
}
