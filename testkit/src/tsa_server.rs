//! The kit's time-stamping authority on the network: RFC 3161 over HTTP (section 3.4), one
//! request at a time, answering every valid SHA-256 query with a token at the current time or
//! at a fixed time (to stamp "later" or "earlier" on purpose). Test material only.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::asn1::Any;
use der::{Decode as _, Encode as _};
use eproxy_policy::UnixTime;
use eproxy_verifier::tsp::{PkiStatusInfo, TimeStampReq, TimeStampResp};

use crate::Error;
use crate::certificate::Credential;
use crate::cms::DigestChoice;
use crate::tsa::{TimestampRequest, timestamp_token};

/// The largest request body read.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// The most header lines read.
const MAX_HEADER_LINES: usize = 64;

/// Where the authority's clock stands.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// The real time.
    Now,
    /// Always this time.
    Fixed(UnixTime),
}

/// Serves `listener` until the process ends; a malformed request gets HTTP 400 and the server
/// goes on.
pub fn serve(listener: TcpListener, tsa: &Credential, clock: Clock) -> ! {
    let mut serial = 1u64;
    loop {
        let Ok((stream, _)) = listener.accept() else {
            continue;
        };
        serial += 1;
        // A client that misbehaves only loses its own answer.
        let _ = answer(stream, tsa, clock, serial);
    }
}

fn answer(
    mut stream: TcpStream,
    tsa: &Credential,
    clock: Clock,
    serial: u64,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = match read_request(&stream) {
        Ok(body) => body,
        Err(_) => return respond(&mut stream, "400 Bad Request", "text/plain", b"bad request"),
    };
    match token_reply(&body, tsa, clock, serial) {
        Ok(reply) => respond(&mut stream, "200 OK", "application/timestamp-reply", &reply),
        Err(_) => respond(
            &mut stream,
            "400 Bad Request",
            "text/plain",
            b"not a TimeStampReq",
        ),
    }
}

/// The body of one HTTP/1.1 POST, its length bounded.
fn read_request(stream: &TcpStream) -> Result<Vec<u8>, Error> {
    let mut reader = BufReader::new(stream.take(64 * 1024));
    let mut length = None;
    for _ in 0..MAX_HEADER_LINES {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| Error::Request(e.to_string()))?;
        let line = line.trim_end();
        if line.is_empty() {
            let length = length.ok_or_else(|| Error::Request("no Content-Length".into()))?;
            if length > MAX_BODY_BYTES {
                return Err(Error::Request("body too large".into()));
            }
            let mut body = vec![0; length];
            reader
                .read_exact(&mut body)
                .map_err(|e| Error::Request(e.to_string()))?;
            return Ok(body);
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    Err(Error::Request("too many header lines".into()))
}

/// A granted TimeStampResp for the query `body`.
fn token_reply(body: &[u8], tsa: &Credential, clock: Clock, serial: u64) -> Result<Vec<u8>, Error> {
    let request = TimeStampReq::from_der(body)?;
    if request.version != 1
        || request.message_imprint.hash_algorithm.oid != DigestChoice::Sha256.oid()
        || request.message_imprint.hashed_message.as_bytes().len() != 32
    {
        return Err(Error::Request(
            "only version 1 SHA-256 queries are answered".into(),
        ));
    }
    let gen_time = match clock {
        Clock::Fixed(at) => at,
        Clock::Now => UnixTime::from_seconds(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default(),
        ),
    };
    let mut token_request = TimestampRequest::new(&[], gen_time);
    token_request.serial = serial;
    token_request.imprint = Some(request.message_imprint.hashed_message.as_bytes().to_vec());
    token_request.nonce = request.nonce.as_ref().map(|n| n.as_bytes().to_vec());
    let token = timestamp_token(tsa, &token_request)?;
    Ok(TimeStampResp {
        status: PkiStatusInfo::granted(),
        time_stamp_token: Some(Any::from_der(&token)?),
    }
    .to_der()?)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}
