//! One process of the chaos and soak fleets (scripts/chaos.sh, scripts/soak.sh):
//! `--workers` concurrent callers calling `get_token` in a paced loop through
//! one client (shared cache given by `--cache`), each second appending one
//! JSON line to `--out` with what happened in that second.
//!
//! usage: fleet_driver --token-url URL --client-id ID --cache SPEC --out FILE
//!   [--keys N] [--workers N] [--threads N] [--duration SECS] [--interval-ms MS]
//!   [--leeway SECS] [--refresh-ratio R] [--max-cache-keys N] [--cycle]
//!   [--proc-index I --procs P] [--anchor-ms MS]
//! (the secret comes from M2M_AUTH_CLIENT_SECRET)
//!
//! Keys are audiences `https://fleet.test/kN`. Without `--cycle` each call
//! picks a key at random; with it, every worker of the fleet walks the keys
//! in order, the fleet's workers spread evenly over the ring (the soak).
//!
//! Times are real (Unix ms): `--anchor-ms` is the orchestrator's clock at
//! spawn, advanced by this process's monotonic clock, so a process whose wall
//! clock is faked (libfaketime, monotonic left alone) still reports real
//! time. Token expiries come from the JWT's `exp` (the dev server's clock).
//!
//! A line: `{"t_ms", "calls", "fail": [[ms, key, code]], "hist": {bucket:
//! n}, "max_us", "tokens": [[key, fingerprint, first_seen_ms, exp_ms]],
//! "stale", "expired"}`; latency bucket b covers up to 2^((b+1)/8) µs;
//! `stale` counts tokens served within the leeway before `exp` (with a
//! second's margin: `exp` is whole seconds, up to 1 s before the engine's
//! own expiry), `expired` those served at or past `exp` (which the API
//! refuses). The last line has `"final": true` and the stats.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use m2m_auth::{TokenClient, TokenRequest};

/// What the workers saw in the current second (swapped out by the flusher).
#[derive(Default)]
struct Second {
    calls: u64,
    fail: Vec<(u64, usize, &'static str)>,
    hist: BTreeMap<u32, u64>,
    max_us: u64,
    tokens: Vec<(usize, String, u64, u64)>,
    stale: u64,
    expired: u64,
}

/// The real-time clock of this process (see the module doc).
#[derive(Clone, Copy)]
struct Clock {
    anchor_ms: u64,
    start: Instant,
}

impl Clock {
    fn now_ms(&self) -> u64 {
        self.anchor_ms + self.start.elapsed().as_millis() as u64
    }
}

struct Args(HashMap<String, String>);

impl Args {
    fn parse() -> Args {
        let mut map = HashMap::new();
        let mut it = std::env::args().skip(1).peekable();
        while let Some(name) = it.next() {
            let name = name.trim_start_matches("--").to_string();
            // A flag is followed by another --name or nothing.
            let value = match it.peek() {
                Some(v) if !v.starts_with("--") => it.next().unwrap(),
                _ => "true".to_string(),
            };
            map.insert(name, value);
        }
        Args(map)
    }
    fn text(&self, name: &str) -> String {
        self.0
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("--{name} is required"))
    }
    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.0
            .get(name)
            .map(|v| v.parse().ok().unwrap_or_else(|| panic!("bad --{name}")))
            .unwrap_or(default)
    }
}

/// The JWT's `exp`, in Unix ms (0 if it cannot be read).
fn jwt_exp_ms(jwt: &str) -> u64 {
    let claims = jwt.split('.').nth(1).unwrap_or("");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("exp").and_then(|e| e.as_u64()))
        .map_or(0, |s| s * 1000)
}

fn bucket(us: u64) -> u32 {
    ((us.max(1) as f64).log2() * 8.0).floor() as u32
}

fn main() {
    let args = Args::parse();
    let clock = Clock {
        anchor_ms: args.num(
            "anchor-ms",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64,
        ),
        start: Instant::now(),
    };
    let threads: usize = args.num("threads", 2);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(args, clock));
}

async fn run(args: Args, clock: Clock) {
    let keys: usize = args.num("keys", 4);
    let workers: usize = args.num("workers", 4);
    let duration = Duration::from_secs_f64(args.num("duration", 60.0));
    let interval = Duration::from_millis(args.num("interval-ms", 5));
    let leeway_ms = (args.num("leeway", 60.0) * 1000.0) as u64;
    let cycle = args.0.contains_key("cycle");
    let (proc_index, procs): (usize, usize) = (args.num("proc-index", 0), args.num("procs", 1));
    let mut builder = TokenClient::builder()
        .token_url(args.text("token-url"))
        .client_id(args.text("client-id"))
        .client_secret(std::env::var("M2M_AUTH_CLIENT_SECRET").expect("M2M_AUTH_CLIENT_SECRET"))
        .cache(args.text("cache"))
        .leeway(Duration::from_millis(leeway_ms))
        .refresh_ratio(args.num("refresh-ratio", 0.75))
        .no_proxy();
    if let Some(n) = args.0.get("max-cache-keys") {
        builder = builder.max_cache_keys(n.parse().expect("bad --max-cache-keys"));
    }
    let client = builder.build().expect("client options");
    let requests: Arc<Vec<TokenRequest>> = Arc::new(
        (0..keys)
            .map(|k| TokenRequest::new().audience(format!("https://fleet.test/k{k}")))
            .collect(),
    );
    let second = Arc::new(Mutex::new(Second::default()));
    let visits = Arc::new(AtomicU64::new(0));
    let end = tokio::time::Instant::now() + duration;

    let mut tasks = Vec::new();
    for w in 0..workers {
        let (client, requests, second, visits) = (
            client.clone(),
            requests.clone(),
            second.clone(),
            visits.clone(),
        );
        // The soak's ring: this worker's place among all the fleet's workers.
        let mut pos = (proc_index * workers + w) * keys / (procs * workers).max(1);
        tasks.push(tokio::spawn(async move {
            // Per key: the last token this worker saw, and its exp.
            let mut seen: HashMap<usize, (String, u64)> = HashMap::new();
            let mut next = tokio::time::Instant::now();
            while next < end {
                let k = if cycle {
                    pos = (pos + 1) % keys;
                    pos
                } else {
                    fastrand::usize(..keys)
                };
                let t0 = Instant::now();
                let result = client.get_token(&requests[k]).await;
                let us = t0.elapsed().as_micros() as u64;
                let now = clock.now_ms();
                visits.fetch_add(1, Ordering::Relaxed);
                // A block, not drop(): the guard must be gone before the await.
                {
                    let mut s = second.lock().unwrap();
                    s.calls += 1;
                    *s.hist.entry(bucket(us)).or_default() += 1;
                    s.max_us = s.max_us.max(us);
                    match result {
                        Ok(token) => {
                            let fp = token.fingerprint();
                            let exp = match seen.get(&k) {
                                Some((f, exp)) if f == fp => *exp,
                                _ => {
                                    let exp = jwt_exp_ms(token.access_token());
                                    seen.insert(k, (fp.to_string(), exp));
                                    s.tokens.push((k, fp.to_string(), now, exp));
                                    exp
                                }
                            };
                            if now >= exp {
                                s.expired += 1;
                            } else if now + leeway_ms >= exp + 1000 {
                                s.stale += 1;
                            }
                        }
                        Err(e) => s.fail.push((now, k, e.code())),
                    }
                }
                next += interval;
                let now = tokio::time::Instant::now();
                if next < now {
                    next = now; // behind (a slow call): no burst to catch up
                }
                tokio::time::sleep_until(next).await;
            }
        }));
    }

    let mut out = std::io::BufWriter::new(
        std::fs::File::create(args.text("out")).expect("cannot create --out"),
    );
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        let done = tokio::time::Instant::now() >= end + Duration::from_millis(200)
            && tasks.iter().all(|t| t.is_finished());
        tick.tick().await;
        let s = std::mem::take(&mut *second.lock().unwrap());
        let line = serde_json::json!({
            "t_ms": clock.now_ms(), "calls": s.calls, "fail": s.fail,
            "hist": s.hist, "max_us": s.max_us, "tokens": s.tokens,
            "stale": s.stale, "expired": s.expired,
        });
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
        if done {
            break;
        }
    }
    let st = client.stats();
    let fields: serde_json::Map<String, serde_json::Value> = st
        .fields()
        .iter()
        .map(|(n, v)| (n.to_string(), (*v).into()))
        .collect();
    let line = serde_json::json!({"final": true, "visits": visits.load(Ordering::Relaxed),
        "stats": fields, "t_ms": clock.now_ms()});
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}
