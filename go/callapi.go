package m2mauth

/*
#include <stdlib.h>
#include <m2m_auth.h>
*/
import "C"

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"unsafe"
)

// APIResponse is an API's answer to CallAPI.
type APIResponse struct {
	// Status is the HTTP status.
	Status int
	// Body is the response body.
	Body []byte
	// Header holds the answer's headers among APIResponseHeaders (the C
	// ABI reads headers by name).
	Header http.Header
}

// APIResponseHeaders are the response headers CallAPI copies.
var APIResponseHeaders = []string{"Content-Type", "WWW-Authenticate", "DPoP-Nonce", "Retry-After", "Location"}

type apiResult struct {
	resp *C.m2m_api_response
	err  error
}

// CallAPI calls an API with the client's token (the engine's call_api):
// Authorization with the token for the defaults or req, a DPoP proof for a
// DPoP token (and one more try when the API asks for a DPoP nonce), and,
// if the API answers 401, one renewal of the token and one more try.
// Whatever the API answers then is returned (any status); redirects are
// not followed. header and body may be nil. For Go's own HTTP stack, use
// Client.Transport instead.
func (cl *Client) CallAPI(ctx context.Context, method, url string, header http.Header, body []byte, req ...Request) (*APIResponse, error) {
	r, err := requestOf(req)
	if err != nil {
		return nil, err
	}
	lines := make([]string, 0, len(header))
	names := make([]string, 0, len(header))
	for name := range header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range header[name] {
			lines = append(lines, name+": "+v)
		}
	}
	if err := noNUL("call_api arguments", method+url+strings.Join(lines, "")); err != nil {
		return nil, err
	}
	res, err := blocking(ctx, func() apiResult {
		var out apiResult
		out.err = cl.use(func(c *C.m2m_client) error {
			rq, err := r.build()
			if err != nil {
				return err
			}
			defer C.m2m_request_free(rq)
			m, u := cString(method), cString(url)
			defer freeCString(m, false)
			defer freeCString(u, false)
			var hdrs **C.char
			if len(lines) > 0 {
				hdrs = (**C.char)(C.malloc(C.size_t(len(lines)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
				defer C.free(unsafe.Pointer(hdrs))
				arr := unsafe.Slice(hdrs, len(lines))
				for i, l := range lines {
					arr[i] = cString(l)
					defer freeCString(arr[i], true)
				}
			}
			var b *C.uint8_t
			if len(body) > 0 {
				b = (*C.uint8_t)(C.CBytes(body))
				defer C.free(unsafe.Pointer(b))
			}
			var e *C.m2m_error
			rc := C.m2m_client_call_api(c, rq, m, u, hdrs, C.size_t(len(lines)), b, C.size_t(len(body)), &out.resp, &e)
			if rc != C.M2M_OK {
				return newError(rc, e)
			}
			return nil
		})
		return out
	}, func(a apiResult) { C.m2m_api_response_free(a.resp) })
	if err != nil {
		return nil, err
	}
	if res.err != nil {
		return nil, res.err
	}
	defer C.m2m_api_response_free(res.resp)
	var status C.uint16_t
	C.m2m_api_response_status(res.resp, &status)
	var data *C.uint8_t
	var n C.size_t
	C.m2m_api_response_body(res.resp, &data, &n)
	out := &APIResponse{Status: int(status), Body: C.GoBytes(unsafe.Pointer(data), C.int(n)), Header: http.Header{}}
	for _, name := range APIResponseHeaders {
		cn := cString(name)
		var v *C.char
		if C.m2m_api_response_header(res.resp, cn, &v) == C.M2M_OK {
			out.Header.Set(name, goString(v))
		}
		freeCString(cn, false)
	}
	return out, nil
}
