package m2mauth

/*
#include <stdlib.h>
#include <m2m_auth.h>
*/
import "C"

import "runtime"

// RequestHeaders are the headers that send a token with one HTTP request.
type RequestHeaders struct {
	// Authorization is "Bearer <token>" or "DPoP <token>".
	Authorization string
	// DPoP is a new proof of the request for a DPoP token; "" for a
	// Bearer token (send no DPoP header then).
	DPoP string
}

// handleOf is the engine's token behind t (kept alive by t).
func handleOf(t *Token) (*C.m2m_token, error) {
	if t == nil || t.ref == nil {
		return nil, configError("the token must come from Client.Token or Client.FetchToken")
	}
	return t.ref.tok, nil
}

// RequestHeaders makes the headers that send token with the request
// method url (the engine's request_headers): for an HTTP client other
// than Go's (Client.Transport does this by itself). Make new ones for every
// request, retries included, then hand the answer to DPoPResponse. A URL
// that must not carry a token is an ErrConfig error.
func (cl *Client) RequestHeaders(method, url string, token *Token) (h RequestHeaders, err error) {
	tok, err := handleOf(token)
	if err != nil {
		return h, err
	}
	defer runtime.KeepAlive(token.ref)
	if err := noNUL("request_headers arguments", method+url); err != nil {
		return h, err
	}
	return cl.headersFor(method, url, tok)
}

// headersFor asks the engine for the headers that send tok with the
// request method url (Client.RequestHeaders and the transport).
func (cl *Client) headersFor(method, url string, tok *C.m2m_token) (h RequestHeaders, err error) {
	err = cl.use(func(c *C.m2m_client) error {
		m, u := cString(method), cString(url)
		defer freeCString(m, false)
		defer freeCString(u, false)
		var hs *C.m2m_request_headers
		var e *C.m2m_error
		if rc := C.m2m_client_request_headers(c, m, u, tok, &hs, &e); rc != C.M2M_OK {
			return newError(rc, e)
		}
		defer C.m2m_request_headers_free(hs)
		h.Authorization = goString(C.m2m_request_headers_authorization(hs))
		h.DPoP = goString(C.m2m_request_headers_dpop(hs))
		return nil
	})
	return h, err
}

// DPoPResponse hands the engine an API's answer to a request for url sent
// with token (the engine's dpop_response): its status and its
// WWW-Authenticate and DPoP-Nonce headers ("" when absent). For a DPoP
// token the engine remembers the nonce; retry is true exactly when the
// answer asks for one (send the request once more with new headers and
// the same token). False for a Bearer token.
func (cl *Client) DPoPResponse(url string, token *Token, status int, wwwAuthenticate, dpopNonce string) (retry bool, err error) {
	tok, err := handleOf(token)
	if err != nil {
		return false, err
	}
	defer runtime.KeepAlive(token.ref)
	if err := noNUL("dpop_response arguments", url+wwwAuthenticate+dpopNonce); err != nil {
		return false, err
	}
	if status < 0 || status > 65535 {
		return false, configError("dpop_response: status out of range")
	}
	err = cl.use(func(c *C.m2m_client) error {
		u := cString(url)
		defer freeCString(u, false)
		var www, nonce *C.char
		if wwwAuthenticate != "" {
			www = cString(wwwAuthenticate)
			defer freeCString(www, false)
		}
		if dpopNonce != "" {
			nonce = cString(dpopNonce)
			defer freeCString(nonce, false)
		}
		var r C.bool
		if rc := C.m2m_client_dpop_response(c, u, tok, C.uint16_t(status), www, nonce, &r); rc != C.M2M_OK {
			return check(rc, "dpop_response")
		}
		retry = bool(r)
		return nil
	})
	return retry, err
}
