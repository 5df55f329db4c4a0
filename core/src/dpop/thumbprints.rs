//! The thumbprints a client's DPoP key has had. `dpop_thumbprint()` lends
//! a `&str` for as long as the client lives, while the key behind it may
//! be replaced when `dpop_key_file` rotates: so each thumbprint, once
//! seen, is kept (about 100 bytes per distinct key, one per rotation to a
//! key not seen before) in an append-only list that readers walk without
//! a lock.

use std::sync::OnceLock;

/// An append-only list of thumbprints, never empty.
pub(crate) struct Thumbprints {
    first: Node,
}

struct Node {
    jkt: Box<str>,
    next: OnceLock<Box<Node>>,
}

impl Node {
    fn new(jkt: &str) -> Node {
        Node {
            jkt: jkt.into(),
            next: OnceLock::new(),
        }
    }
}

impl Thumbprints {
    /// A list holding `first`.
    pub(crate) fn new(first: &str) -> Thumbprints {
        Thumbprints {
            first: Node::new(first),
        }
    }

    /// Adds `jkt` unless it is already there.
    pub(crate) fn add(&self, jkt: &str) {
        let mut node = &self.first;
        loop {
            if &*node.jkt == jkt {
                return;
            }
            match node.next.get() {
                Some(next) => node = next,
                // Lost a race with another add: look at what it added.
                None => match node.next.set(Box::new(Node::new(jkt))) {
                    Ok(()) => return,
                    Err(_) => continue,
                },
            }
        }
    }

    /// The stored copy of `jkt`, or the first one if it was never added.
    pub(crate) fn get(&self, jkt: &str) -> &str {
        let mut node = &self.first;
        loop {
            if &*node.jkt == jkt {
                return &node.jkt;
            }
            match node.next.get() {
                Some(next) => node = next,
                None => return &self.first.jkt,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lends_each_thumbprint_once_stored() {
        let t = Thumbprints::new("a");
        t.add("b");
        t.add("a");
        t.add("b");
        t.add("c");
        assert_eq!((t.get("a"), t.get("b"), t.get("c")), ("a", "b", "c"));
        assert_eq!(t.get("unknown"), "a");
        let mut n = 1;
        let mut node = &t.first;
        while let Some(next) = node.next.get() {
            node = next;
            n += 1;
        }
        assert_eq!(n, 3, "no duplicate");
    }
}
