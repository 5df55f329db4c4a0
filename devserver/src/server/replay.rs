//! The replay memory of client assertions: the `jti`s of accepted
//! assertions, per client, until they expire (RFC 7523 §3 item 7), bounded
//! in count and in size (a SHA-256 per entry, whatever the `jti`).

use std::collections::HashMap;

use ring::digest::{Context, SHA256};

/// At most this many unexpired `jti`s are remembered (all clients together).
pub(super) const MAX_REMEMBERED: usize = 100_000;

/// The `jti`s of accepted assertions (a SHA-256 of client id and `jti`),
/// each until its `exp` plus the allowed clock skew: after that the
/// assertion is refused as expired anyway.
#[derive(Default)]
pub(crate) struct ReplayMemory {
    seen: HashMap<[u8; 32], u64>,
    next_sweep: u64,
}

impl ReplayMemory {
    /// Remembers `jti` of `client_id` until `until` (Unix seconds), or says
    /// why not: already seen (a replay), or too many unexpired entries.
    pub(super) fn remember(
        &mut self,
        client_id: &str,
        jti: &str,
        until: u64,
        now: u64,
    ) -> Result<(), String> {
        if now >= self.next_sweep || self.seen.len() >= MAX_REMEMBERED {
            self.seen.retain(|_, u| *u >= now);
            self.next_sweep = now + 10;
        }
        let mut ctx = Context::new(&SHA256);
        ctx.update(&(client_id.len() as u64).to_be_bytes());
        ctx.update(client_id.as_bytes());
        ctx.update(jti.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        match self.seen.get(&key) {
            Some(u) if *u >= now => return Err("client assertion replayed".into()),
            _ => {}
        }
        if self.seen.len() >= MAX_REMEMBERED {
            return Err(format!(
                "more than {MAX_REMEMBERED} unexpired client assertions remembered; retry later"
            ));
        }
        self.seen.insert(key, until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_memory_forgets_expired_entries() {
        let mut m = ReplayMemory::default();
        m.remember("a", "j", 100, 50).unwrap();
        assert_eq!(
            m.remember("a", "j", 100, 60),
            Err("client assertion replayed".into())
        );
        m.remember("b", "j", 100, 60).unwrap();
        m.remember("a", "j", 200, 101).unwrap();
        assert_eq!(m.seen.len(), 1, "the expired entries were swept");
    }

    #[test]
    fn replay_memory_is_bounded() {
        let mut m = ReplayMemory::default();
        for i in 0..MAX_REMEMBERED {
            m.remember("a", &i.to_string(), 100, 50).unwrap();
        }
        assert!(m
            .remember("a", "x", 100, 50)
            .unwrap_err()
            .contains("retry later"));
        m.remember("a", "x", 200, 101).unwrap();
        assert_eq!(m.seen.len(), 1);
    }
}
