package m2mauth

/*
#include <stdlib.h>
#include <m2m_auth.h>
*/
import "C"

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// transport is the http.RoundTripper of Client.Transport.
type transport struct {
	cl   *Client
	base http.RoundTripper
	req  *Request
}

// Transport is an http.RoundTripper that sends every request through base
// (nil: http.DefaultTransport) with the client's token for the defaults or
// req, using the engine's headers (m2m_client_request_headers):
// Authorization, and for a DPoP token a new DPoP proof of each request.
// Every answer goes to the engine (m2m_client_dpop_response): a DPoP nonce
// challenge gets the request once more with new headers; then a 401 gets
// the token dropped (m2m_client_invalidate_rejected, unless another
// goroutine renewed it already), a new one, and the request once more.
// Whatever the API answers then is returned. The request's context bounds
// the wait for a token. A URL that must not carry a token (not https,
// unless http to a loopback host) is an ErrConfig error; a redirect the
// http.Client follows to another origin is sent without a token. A request
// body is sent again from GetBody, or, without GetBody, from a copy in
// memory read before the first send.
func (cl *Client) Transport(base http.RoundTripper, req ...Request) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	var r *Request
	if len(req) > 0 {
		r = &req[0]
	}
	return &transport{cl: cl, base: base, req: r}
}

// RoundTrip sends r with the token; see Client.Transport.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Response != nil && r.Response.Request != nil && !sameOrigin(r.Response.Request.URL, r.URL) {
		return t.base.RoundTrip(r) // a redirect to another origin: no token goes there
	}
	first, getBody, err := rewindable(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	tok, err := t.cl.tokenHandle(ctx, false, t.req)
	if err != nil {
		closeBody(first)
		return nil, err
	}
	defer func() { C.m2m_token_free(tok) }()
	resp, retry, err := t.send(r, tok, first)
	if err != nil {
		return nil, err
	}
	if retry {
		discard(resp)
		if resp, _, err = t.send(r, tok, getBody()); err != nil {
			return nil, err
		}
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	discard(resp)
	var at *C.char
	C.m2m_token_access_token(tok, &at)
	if err := t.cl.InvalidateRejected(goString(at), derefRequest(t.req)...); err != nil {
		return nil, err
	}
	renewed, err := t.cl.tokenHandle(ctx, false, t.req)
	if err != nil {
		return nil, err
	}
	C.m2m_token_free(tok)
	tok = renewed
	resp, _, err = t.send(r, tok, getBody())
	return resp, err
}

func derefRequest(r *Request) []Request {
	if r == nil {
		return nil
	}
	return []Request{*r}
}

// send sends a copy of r with body and the engine's headers for tok (it
// closes body); retry is the engine's answer to a DPoP nonce challenge.
func (t *transport) send(r *http.Request, tok *C.m2m_token, body io.ReadCloser) (*http.Response, bool, error) {
	u := r.URL.String()
	h, err := t.cl.headersFor(r.Method, u, tok)
	if err != nil {
		closeBody(body)
		return nil, false, err
	}
	out := r.Clone(r.Context())
	out.Body = body
	if body == nil {
		out.Body = nil
		if r.Body == http.NoBody {
			out.Body = http.NoBody
		}
	}
	out.Header.Set("Authorization", h.Authorization)
	// A DPoP proof is never empty: "" is the engine's "no DPoP header".
	if h.DPoP != "" {
		out.Header.Set("DPoP", h.DPoP)
	} else {
		out.Header.Del("DPoP")
	}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return nil, false, err
	}
	retry := false
	_ = t.cl.use(func(c *C.m2m_client) error {
		cu := cString(u)
		defer freeCString(cu, false)
		var www, nonce *C.char
		if v := resp.Header.Values("WWW-Authenticate"); len(v) > 0 {
			www = cString(strings.Join(v, ", "))
			defer freeCString(www, false)
		}
		if v := resp.Header.Get("DPoP-Nonce"); v != "" {
			nonce = cString(v)
			defer freeCString(nonce, false)
		}
		var rt C.bool
		if C.m2m_client_dpop_response(c, cu, tok, C.uint16_t(resp.StatusCode), www, nonce, &rt) == C.M2M_OK {
			retry = bool(rt)
		}
		return nil
	})
	return resp, retry, nil
}

// rewindable is r's body for the first send and a function giving it
// again for another (nil without a body): from GetBody, else read into
// memory once (r itself is not changed; its body is closed).
func rewindable(r *http.Request) (io.ReadCloser, func() io.ReadCloser, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, func() io.ReadCloser { return nil }, nil
	}
	if r.GetBody != nil {
		return r.Body, func() io.ReadCloser {
			b, err := r.GetBody()
			if err != nil {
				return io.NopCloser(errReader{err})
			}
			return b
		}, nil
	}
	data, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	again := func() io.ReadCloser { return io.NopCloser(bytes.NewReader(data)) }
	return again(), again, nil
}

// errReader fails every read with err (a body GetBody could not give).
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}

// discard reads a little of an answer that is not returned and closes it
// (so that its connection can be reused).
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// sameOrigin compares scheme, host and port (default ports filled in).
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}
