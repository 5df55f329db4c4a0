//! Response body: a literal head, then optionally generated `a`s (a fixed
//! count or endless), with an optional stall after some number of bytes.
//! Generated bodies never allocate more than the static 16 KiB fill buffer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// Chunk size for generated bodies.
pub(crate) const CHUNK: usize = 16 * 1024;
static FILL: [u8; CHUNK] = [b'a'; CHUNK];

/// Generated content after the literal head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    None,
    Count(u64),
    Endless,
}

struct Stall {
    at: u64,
    dur: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

/// The response body type of every response the server sends.
pub(crate) struct RespBody {
    head: Bytes,
    fill: Fill,
    stall: Option<Stall>,
    sent: u64,
}

impl RespBody {
    pub(crate) fn full(b: impl Into<Bytes>) -> Self {
        Self::new(b.into(), Fill::None)
    }

    pub(crate) fn new(head: Bytes, fill: Fill) -> Self {
        RespBody {
            head,
            fill,
            stall: None,
            sent: 0,
        }
    }

    /// Stall for `dur` once `at` bytes have been sent.
    pub(crate) fn with_stall(mut self, at: u64, dur: Duration) -> Self {
        self.stall = Some(Stall {
            at,
            dur,
            sleep: None,
        });
        self
    }

    fn remaining(&self) -> Option<u64> {
        match self.fill {
            Fill::None => Some(self.head.len() as u64),
            Fill::Count(n) => Some(self.head.len() as u64 + n),
            Fill::Endless => None,
        }
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(st) = &mut this.stall {
            if this.sent >= st.at {
                let dur = st.dur;
                let sleep = st
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(dur)));
                match sleep.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => this.stall = None,
                }
            }
        }
        let limit = match &this.stall {
            Some(st) => ((st.at - this.sent).min(CHUNK as u64)) as usize,
            None => CHUNK,
        };
        if !this.head.is_empty() {
            let n = limit.min(this.head.len());
            let chunk = this.head.split_to(n);
            this.sent += n as u64;
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        let n = match &mut this.fill {
            Fill::None => return Poll::Ready(None),
            Fill::Count(0) => {
                this.fill = Fill::None;
                return Poll::Ready(None);
            }
            Fill::Count(left) => {
                let n = (limit as u64).min(*left) as usize;
                *left -= n as u64;
                n
            }
            Fill::Endless => limit,
        };
        this.sent += n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&FILL[..n])))))
    }

    fn is_end_stream(&self) -> bool {
        self.stall.is_none() && self.remaining() == Some(0)
    }

    fn size_hint(&self) -> SizeHint {
        match self.remaining() {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
