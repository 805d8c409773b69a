//! How many calls are served at once, in two lanes with a limit each: calls that commit to the
//! store (submissions, revocations, and the evidence releases and listings, which are audited
//! before they are answered) and calls that only read (statuses, checkpoints, proofs, leaves,
//! health). One shared limit let writes held up by the disk, or by a flood of submissions,
//! take every place, and a status lookup that needs ten microseconds then waited behind them.
//! A call waits for a place in its lane, within its deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::sync::Semaphore;

/// The lanes, each with its own places.
#[derive(Clone, Debug)]
pub struct Lanes(Arc<[Lane; 2]>);

/// One lane: its places and how many calls wait for one.
#[derive(Debug)]
struct Lane {
    name: &'static str,
    places: Arc<Semaphore>,
    limit: usize,
    waiting: AtomicUsize,
}

/// What a lane is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneState {
    /// "write" or "read".
    pub name: &'static str,
    /// Calls being served.
    pub in_flight: usize,
    /// Calls waiting for a place.
    pub waiting: usize,
}

/// The gRPC methods that commit to the store: their paths' final segments.
const WRITING_METHODS: [&str; 6] = [
    "SubmitDelegation",
    "RevokeDelegation",
    "GetEvidence",
    "ListDelegations",
    "EnrollCard",
    "EndEnrollment",
];

impl Lanes {
    /// Two lanes of `limit` places each.
    pub fn new(limit: usize) -> Self {
        let lane = |name| Lane {
            name,
            places: Arc::new(Semaphore::new(limit)),
            limit,
            waiting: AtomicUsize::new(0),
        };
        Self(Arc::new([lane("write"), lane("read")]))
    }

    /// The lane of a call to `path` (`/package.Service/Method`).
    fn lane_of(&self, path: &str) -> &Lane {
        let method = path.rsplit('/').next().unwrap_or_default();
        let writes =
            path.starts_with("/eproxy.registry.v1.Registry/") && WRITING_METHODS.contains(&method);
        &self.0[usize::from(!writes)]
    }

    /// Each lane's state, write lane first.
    pub fn states(&self) -> [LaneState; 2] {
        self.0.each_ref().map(|lane| LaneState {
            name: lane.name,
            in_flight: lane.limit - lane.places.available_permits(),
            waiting: lane.waiting.load(Ordering::Relaxed),
        })
    }
}

impl<S> tower::Layer<S> for Lanes {
    type Service = Laned<S>;

    fn layer(&self, inner: S) -> Laned<S> {
        Laned {
            lanes: self.clone(),
            inner,
        }
    }
}

/// A service whose calls each hold a place in their lane while they run.
#[derive(Clone, Debug)]
pub struct Laned<S> {
    lanes: Lanes,
    inner: S,
}

impl<S, B> tower::Service<hyper::Request<B>> for Laned<S>
where
    S: tower::Service<hyper::Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    /// Always ready: readiness is per lane, so a call waits in [`call`](Self::call), where its
    /// lane is known, and a full lane never holds up the other's calls.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: hyper::Request<B>) -> Self::Future {
        // The clone that was made ready is the one to call (tower's convention for services
        // moved into a future).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let lanes = self.lanes.clone();
        Box::pin(async move {
            let lane = lanes.lane_of(request.uri().path());
            let place = {
                // Counted while waiting, however the wait ends: a call whose deadline passes
                // is dropped right here.
                let _waiting = Waiting::count(&lane.waiting);
                Arc::clone(&lane.places).acquire_owned().await
            };
            // The semaphore is never closed, so a place always comes.
            let _place = place.ok();
            std::future::poll_fn(|cx| inner.poll_ready(cx)).await?;
            inner.call(request).await
        })
    }
}

/// One call counted in a lane's `waiting` for as long as this lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::Relaxed);
        Self(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_take_separate_lanes() {
        let lanes = Lanes::new(3);
        for method in WRITING_METHODS {
            let path = format!("/eproxy.registry.v1.Registry/{method}");
            assert_eq!(lanes.lane_of(&path).name, "write", "{path}");
        }
        for path in [
            "/eproxy.registry.v1.Registry/GetStatus",
            "/eproxy.registry.v1.TransparencyLog/GetCheckpoint",
            "/eproxy.registry.v1.TransparencyLog/GetLeaves",
            "/grpc.health.v1.Health/Check",
            // The method name alone does not make a write.
            "/other.Service/SubmitDelegation",
            "",
        ] {
            assert_eq!(lanes.lane_of(path).name, "read", "{path}");
        }
    }

    #[tokio::test]
    async fn a_full_lane_holds_up_its_own_calls_only() {
        use tower::{Service as _, ServiceExt as _};
        let lanes = Lanes::new(1);
        let (release, released) = tokio::sync::watch::channel(false);
        // A service whose writes wait until released and whose reads answer at once.
        let service = tower::service_fn(move |request: hyper::Request<()>| {
            let mut released = released.clone();
            async move {
                if request.uri().path().ends_with("SubmitDelegation") {
                    released.wait_for(|r| *r).await.ok();
                }
                Ok::<_, std::convert::Infallible>(request.uri().path().to_owned())
            }
        });
        let mut laned = tower::Layer::layer(&lanes, service);
        let call = |path: &str| hyper::Request::builder().uri(path).body(()).unwrap();
        let write = "/eproxy.registry.v1.Registry/SubmitDelegation";
        let first = tokio::spawn(laned.ready().await.unwrap().call(call(write)));
        let second = tokio::spawn(laned.ready().await.unwrap().call(call(write)));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let state = lanes.states();
        assert_eq!((state[0].in_flight, state[0].waiting), (1, 1));
        // A read is served while the write lane is full.
        let read = "/eproxy.registry.v1.Registry/GetStatus";
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            laned.ready().await.unwrap().call(call(read)),
        )
        .await
        .expect("the read waited behind the writes");
        assert_eq!(answer.unwrap(), read);
        // A waiting call whose deadline passes is no longer counted.
        let third = laned.ready().await.unwrap().call(call(write));
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), third).await;
        assert!(waited.is_err(), "the third write found a place");
        assert_eq!(lanes.states()[0].waiting, 1);
        release.send(true).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), write);
        assert_eq!(second.await.unwrap().unwrap(), write);
        let state = lanes.states()[0];
        assert_eq!((state.in_flight, state.waiting), (0, 0));
    }
}
