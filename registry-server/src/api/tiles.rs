//! The log over HTTP as C2SP tlog-tiles: `GET /checkpoint`, `GET /tile/<L>/<N>[.p/<W>]` and
//! `GET /tile/entries/<N>[.p/<W>]`, each answered from the published log only (nothing beyond
//! the latest checkpoint), so that monitors and counterparties never need the gRPC API and
//! any HTTP cache can stand in front of the registry.

use eproxy_verifier::tile::TilePath;

use super::answers::Answers;
use crate::log::LogReadError;
use eproxy_http::HttpAnswer;

/// How long a cache may keep a tile or an entry bundle: a year, for what is at a tile's path
/// never changes (a partial tile's path names its width).
const TILE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// How long a cache may keep the checkpoint, which changes as the log grows: a few seconds,
/// as the specification asks.
const CHECKPOINT_CACHE_CONTROL: &str = "public, max-age=2";

/// The answer to `method path` (`path` as requested, with its leading slash and no query).
pub fn answer(answers: &Answers, method: &str, path: &str) -> HttpAnswer {
    if method != "GET" {
        return HttpAnswer::refused(405, format!("{method} is not served: only GET"));
    }
    if path == "/checkpoint" {
        return HttpAnswer::ok(
            "text/plain; charset=utf-8",
            CHECKPOINT_CACHE_CONTROL,
            answers.log.published().note.into_bytes(),
        );
    }
    let tile = match path.strip_prefix('/').map(TilePath::parse) {
        Some(Ok(tile)) => tile,
        Some(Err(error)) if path.starts_with("/tile/") => {
            return HttpAnswer::refused(404, error.to_string());
        }
        _ => return HttpAnswer::refused(404, format!("{path}: no such resource")),
    };
    match answers.tile(&tile) {
        Ok(body) => HttpAnswer::ok("application/octet-stream", TILE_CACHE_CONTROL, body),
        Err(error @ LogReadError::BeyondCheckpoint { .. }) => {
            HttpAnswer::refused(404, format!("{tile}: {error}"))
        }
        Err(error) => {
            tracing::warn!(%tile, %error, "a tile could not be read");
            HttpAnswer::refused(503, format!("{tile}: not available now"))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::log::Log;
    use crate::log::operator::Operator;
    use crate::store::records::index_key;
    use crate::store::{Family, RocksStore, Store, Write};

    /// The answers of a registry whose log holds 300 published leaves.
    fn answers() -> (tempfile::TempDir, Answers) {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        let writes: Vec<Write> = (0..300u64)
            .map(|i| Write::put(Family::LogLeaves, index_key(i).to_vec(), vec![i as u8]))
            .collect();
        store.commit(&writes).unwrap();
        let operator = Arc::new(
            Operator::new("test/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap(),
        );
        let log = Log::open(&store, &operator).unwrap();
        log.confirm(300);
        log.publish(&store, &operator, 0).unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let answers = Answers {
            store: Arc::clone(&store),
            nearest: store,
            standby_lag: Arc::default(),
            log: Arc::new(log),
            operator,
        };
        (dir, answers)
    }

    #[test]
    fn the_checkpoint_and_tiles_are_served_as_the_specification_asks() {
        let (_dir, answers) = answers();
        let checkpoint = answer(&answers, "GET", "/checkpoint");
        assert_eq!(checkpoint.status, 200);
        assert_eq!(checkpoint.content_type, "text/plain; charset=utf-8");
        assert_eq!(checkpoint.cache_control, Some(CHECKPOINT_CACHE_CONTROL));
        assert!(
            String::from_utf8(checkpoint.body)
                .unwrap()
                .starts_with("test/log\n300\n")
        );
        let full = answer(&answers, "GET", "/tile/0/000");
        assert_eq!((full.status, full.body.len()), (200, 8192));
        assert_eq!(full.content_type, "application/octet-stream");
        assert_eq!(full.cache_control, Some(TILE_CACHE_CONTROL));
        let partial = answer(&answers, "GET", "/tile/0/001.p/44");
        assert_eq!((partial.status, partial.body.len()), (200, 44 * 32));
        let entries = answer(&answers, "GET", "/tile/entries/001.p/44");
        assert_eq!((entries.status, entries.body.len()), (200, 44 * 3));
    }

    #[test]
    fn what_is_not_a_published_tile_is_refused_with_its_reason() {
        let (_dir, answers) = answers();
        for (method, path, status, reason) in [
            (
                "GET",
                "/tile/0/001.p/45",
                404,
                "beyond the latest checkpoint",
            ),
            ("GET", "/tile/0/1", 404, "malformed tile path"),
            ("GET", "/tile/9/000", 404, "malformed tile path"),
            ("GET", "/metrics", 404, "no such resource"),
            ("GET", "/", 404, "no such resource"),
            ("POST", "/checkpoint", 405, "only GET"),
            ("DELETE", "/tile/0/000", 405, "only GET"),
        ] {
            let refused = answer(&answers, method, path);
            let body = String::from_utf8(refused.body).unwrap();
            assert_eq!(refused.status, status, "{method} {path}: {body}");
            assert!(body.contains(reason), "{method} {path}: {body}");
            assert_eq!(refused.cache_control, None, "a refusal is not to be cached");
        }
    }
}
