//! Per-address rate limits on the routes that take a password or a code: account locking stops
//! guessing one account's password, this stops one address trying many accounts.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// A token bucket per client address.
#[derive(Clone)]
pub struct SignInLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trust_forwarded_for: bool,
}

impl SignInLimit {
    /// `burst` attempts at once, then one more every `refill`.
    pub fn new(burst: u32, refill: Duration, trust_forwarded_for: bool) -> Self {
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(refill.max(Duration::from_millis(1)))
            .map_or_else(|| Quota::per_second(burst), |q| q.allow_burst(burst));
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            trust_forwarded_for,
        }
    }

    /// The client's address: the peer, or behind a trusted proxy the first X-Forwarded-For hop.
    fn client(&self, req: &Request) -> Option<IpAddr> {
        if self.trust_forwarded_for
            && let Some(ip) = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    }
}

/// Middleware: refuses with 429 once an address has used up its attempts.
pub async fn limit_sign_in(State(limit): State<SignInLimit>, req: Request, next: Next) -> Response {
    if let Some(ip) = limit.client(&req)
        && limit.limiter.check_key(&ip).is_err()
    {
        tracing::warn!(%ip, "sign-in rate limit reached");
        return ApiError::RateLimited.into_response();
    }
    // Forget addresses whose buckets are full again, so the map does not grow for ever.
    if limit.limiter.len() > 10_000 {
        limit.limiter.retain_recent();
    }
    next.run(req).await
}
