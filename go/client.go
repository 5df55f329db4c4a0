package m2mauth

/*
#include <stdlib.h>
#include <m2m_auth.h>
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Client gets tokens for one set of options: from the process-wide cache
// when it holds a fresh one (no I/O), else from the token endpoint, one
// request per key however many goroutines ask at once. Share one Client;
// it is safe for concurrent use. Close it when done.
type Client struct {
	mu      sync.RWMutex // held for reading by every call into the library
	c       *C.m2m_client
	cleanup runtime.Cleanup // frees c if the Client is dropped unclosed
}

// NewClient builds a client. Every option is checked before any I/O: a
// bad or missing one is an *Error with Code ErrConfig.
func NewClient(opts Options) (*Client, error) {
	o, err := opts.build()
	if err != nil {
		return nil, err
	}
	defer C.m2m_client_options_free(o)
	var c *C.m2m_client
	var e *C.m2m_error
	if rc := C.m2m_client_new(o, &c, &e); rc != C.M2M_OK {
		return nil, newError(rc, e)
	}
	cl := &Client{c: c}
	cl.cleanup = runtime.AddCleanup(cl, func(c *C.m2m_client) { C.m2m_client_free(c) }, c)
	return cl, nil
}

// Close frees the client, once every call still running in the library
// has returned (a call whose context ended goes on until its own
// timeout). Later calls fail with ErrConfig. Closing twice does nothing.
func (cl *Client) Close() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.cleanup.Stop()
	C.m2m_client_free(cl.c)
	cl.c = nil
	return nil
}

// use runs fn with the live client handle (ErrConfig once closed).
func (cl *Client) use(fn func(c *C.m2m_client) error) error {
	cl.mu.RLock()
	defer cl.mu.RUnlock()
	if cl.c == nil {
		return configError("the client is closed")
	}
	return fn(cl.c)
}

// handle is a C token and the error of getting it.
type handle struct {
	tok *C.m2m_token
	err error
}

func releaseHandle(h handle) { C.m2m_token_free(h.tok) }

// tokenHandle gets a C token (free it with m2m_token_free), honouring ctx.
func (cl *Client) tokenHandle(ctx context.Context, fetch bool, req *Request) (*C.m2m_token, error) {
	h, err := blocking(ctx, func() handle {
		var h handle
		h.err = cl.use(func(c *C.m2m_client) error {
			rq, err := req.build()
			if err != nil {
				return err
			}
			defer C.m2m_request_free(rq)
			var e *C.m2m_error
			var rc C.m2m_result
			if fetch {
				rc = C.m2m_client_fetch_token(c, rq, &h.tok, &e)
			} else {
				rc = C.m2m_client_get_token(c, rq, &h.tok, &e)
			}
			if rc != C.M2M_OK {
				return newError(rc, e)
			}
			return nil
		})
		return h
	}, releaseHandle)
	if err != nil {
		return nil, err
	}
	return h.tok, h.err
}

func (cl *Client) token(ctx context.Context, fetch bool, reqs []Request) (*Token, error) {
	req, err := requestOf(reqs)
	if err != nil {
		return nil, err
	}
	tok, err := cl.tokenHandle(ctx, fetch, req)
	if err != nil {
		return nil, err
	}
	t, err := tokenOf(tok)
	if err != nil {
		C.m2m_token_free(tok)
		return nil, err
	}
	t.ref = newTokenRef(tok)
	return t, nil
}

// Token returns a usable token for the client's defaults, or for req:
// from the cache when it holds a fresh one, without I/O or waiting, else
// from the token endpoint (one request per key however many goroutines
// ask at once). A token past its refresh point is returned at once while
// one background request renews it. When ctx ends first, Token returns
// ctx.Err() (the request goes on, bounded by the client's timeout, and
// its token is cached). Errors are *Error.
func (cl *Client) Token(ctx context.Context, req ...Request) (*Token, error) {
	return cl.token(ctx, false, req)
}

// FetchToken gets a new token from the token endpoint, bypassing (then
// updating) the cache; it joins a request for the same key in flight.
func (cl *Client) FetchToken(ctx context.Context, req ...Request) (*Token, error) {
	return cl.token(ctx, true, req)
}

// Invalidate drops the cached token for the defaults, or for req; the
// next call fetches a new one. After an API refused a token, prefer
// InvalidateRejected.
func (cl *Client) Invalidate(req ...Request) error {
	r, err := requestOf(req)
	if err != nil {
		return err
	}
	return cl.use(func(c *C.m2m_client) error {
		rq, err := r.build()
		if err != nil {
			return err
		}
		defer C.m2m_request_free(rq)
		var e *C.m2m_error
		if rc := C.m2m_client_invalidate(c, rq, &e); rc != C.M2M_OK {
			return newError(rc, e)
		}
		return nil
	})
}

// InvalidateRejected is what to call when an API answered 401 to
// accessToken: it drops the cached token only if it is still that one, so
// that a token another goroutine renewed already is kept.
func (cl *Client) InvalidateRejected(accessToken string, req ...Request) error {
	r, err := requestOf(req)
	if err != nil {
		return err
	}
	return cl.use(func(c *C.m2m_client) error {
		rq, err := r.build()
		if err != nil {
			return err
		}
		defer C.m2m_request_free(rq)
		if err := noNUL("access token", accessToken); err != nil {
			return err
		}
		at := cString(accessToken)
		defer freeCString(at, true)
		var e *C.m2m_error
		if rc := C.m2m_client_invalidate_rejected(c, rq, at, &e); rc != C.M2M_OK {
			return newError(rc, e)
		}
		return nil
	})
}

// ClientID is the client id ("" once closed).
func (cl *Client) ClientID() (id string) {
	_ = cl.use(func(c *C.m2m_client) error { id = goString(C.m2m_client_client_id(c)); return nil })
	return id
}

// AuthMethod is the client authentication method in use.
func (cl *Client) AuthMethod() (m string) {
	_ = cl.use(func(c *C.m2m_client) error { m = goString(C.m2m_client_auth_method(c)); return nil })
	return m
}

// DPoPThumbprint is the RFC 7638 thumbprint of the client's DPoP key (the
// cnf.jkt of its tokens); "" with DPoP off.
func (cl *Client) DPoPThumbprint() (t string) {
	_ = cl.use(func(c *C.m2m_client) error { t = goString(C.m2m_client_dpop_thumbprint(c)); return nil })
	return t
}

// DPoPProof is a new DPoP proof (RFC 9449 §4) for the request method url,
// bound to accessToken when it is not "" (ath). Client.Transport makes
// these by itself; this is the builder for any other use.
func (cl *Client) DPoPProof(method, url, accessToken string) (proof string, err error) {
	if err := noNUL("dpop_proof arguments", method+url+accessToken); err != nil {
		return "", err
	}
	err = cl.use(func(c *C.m2m_client) error {
		m, u := cString(method), cString(url)
		defer freeCString(m, false)
		defer freeCString(u, false)
		var at *C.char
		if accessToken != "" {
			at = cString(accessToken)
			defer freeCString(at, true)
		}
		var p *C.char
		var e *C.m2m_error
		if rc := C.m2m_client_dpop_proof(c, m, u, at, &p, &e); rc != C.M2M_OK {
			return newError(rc, e)
		}
		proof = C.GoString(p)
		C.m2m_dpop_proof_free(p)
		return nil
	})
	return proof, err
}

// Stats are a client's counters over its whole life (the surface's stats).
type Stats struct {
	Hits, Misses, Fetches, Refreshes, Failures uint64
	SharedHits, StoreErrors, Throttles         uint64
	// QuotaRemaining is the lowest remaining token quota; math.MaxUint64
	// when the server reports none.
	QuotaRemaining uint64
}

// Stats takes a snapshot of the client's counters.
func (cl *Client) Stats() (s Stats, err error) {
	err = cl.use(func(c *C.m2m_client) error {
		var st *C.m2m_stats
		if rc := C.m2m_client_stats(c, &st); rc != C.M2M_OK {
			return check(rc, "m2m_client_stats")
		}
		defer C.m2m_stats_free(st)
		s = Stats{
			Hits: uint64(C.m2m_stats_hits(st)), Misses: uint64(C.m2m_stats_misses(st)),
			Fetches: uint64(C.m2m_stats_fetches(st)), Refreshes: uint64(C.m2m_stats_refreshes(st)),
			Failures: uint64(C.m2m_stats_failures(st)), SharedHits: uint64(C.m2m_stats_shared_hits(st)),
			StoreErrors: uint64(C.m2m_stats_store_errors(st)), Throttles: uint64(C.m2m_stats_throttles(st)),
			QuotaRemaining: uint64(C.m2m_stats_quota_remaining(st)),
		}
		return nil
	})
	return s, err
}

// QuotaBucket is one token quota bucket as the token endpoint last
// reported it (Auth0's Auth0-*-Quota-Limit headers).
type QuotaBucket struct {
	Scope, Bucket    string // "client" or "organization"; "per_hour" or "per_day"
	Quota, Remaining uint64
	ResetAt          time.Time
}

// Quota is the buckets the token endpoint last reported (nil for none).
func (cl *Client) Quota() (q []QuotaBucket) {
	_ = cl.use(func(c *C.m2m_client) error {
		n := int(C.m2m_client_quota_count(c))
		for i := 0; i < n; i++ {
			var b C.struct_m2m_quota_bucket
			if C.m2m_client_quota_bucket(c, C.size_t(i), &b) != C.M2M_OK {
				break
			}
			q = append(q, QuotaBucket{Scope: goString(b.scope), Bucket: goString(b.bucket),
				Quota: uint64(b.quota), Remaining: uint64(b.remaining), ResetAt: time.UnixMilli(int64(b.reset_at))})
		}
		return nil
	})
	return q
}
