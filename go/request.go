package m2mauth

/*
#include <m2m_auth.h>
*/
import "C"

import "sort"

// Request overrides the client's default request parameters for one call
// (docs/design.md §2); each distinct request is cached under its own key.
// An empty string or a nil slice or map leaves the default; a non-nil
// empty slice or map replaces the default list with none. Params sets any
// parameter by its surface name from text ("" overrides the default with
// none), before the typed fields.
type Request struct {
	// Audience is the audience for this call.
	Audience string
	// Scope replaces the default scopes (each entry may hold several,
	// space-separated).
	Scope []string
	// Organization is the organization for this call.
	Organization string
	// Resource replaces the default RFC 8707 resource indicators.
	Resource []string
	// Extra replaces the default extra form parameters.
	Extra map[string]string
	// Params sets parameters by name ("audience", "scope", "organization",
	// "resource", "extra") from text: lists separated by spaces or commas,
	// maps as name=value pairs separated by & or commas.
	Params map[string]string
}

// requestOf is the one request of a variadic argument (nil: none).
func requestOf(reqs []Request) (*Request, error) {
	switch len(reqs) {
	case 0:
		return nil, nil
	case 1:
		return &reqs[0], nil
	}
	return nil, configError("at most one Request per call")
}

// build makes the C request (nil for none; free with m2m_request_free).
func (r *Request) build() (*C.m2m_request, error) {
	if r == nil {
		return nil, nil
	}
	var rq *C.m2m_request
	if rc := C.m2m_request_new(&rq); rc != C.M2M_OK {
		return nil, check(rc, "m2m_request_new")
	}
	var err error
	set := func(name, text string) {
		if err != nil {
			return
		}
		if err = noNUL("request parameter "+name, name+text); err != nil {
			return
		}
		n, t := cString(name), cString(text)
		defer freeCString(n, false)
		defer freeCString(t, false)
		if rc := C.m2m_request_set(rq, n, t); rc != C.M2M_OK {
			err = &Error{Code: Code(resultName(rc)), Message: "config: request parameter " + name + " does not take that text (or no parameter has that name)"}
		}
	}
	names := make([]string, 0, len(r.Params))
	for name := range r.Params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		set(name, r.Params[name])
	}
	text := func(name, v string, fn func(*C.m2m_request, *C.char) C.m2m_result) {
		if err != nil {
			return
		}
		if err = noNUL("request parameter "+name, v); err != nil {
			return
		}
		c := cString(v)
		defer freeCString(c, false)
		err = check(fn(rq, c), "request parameter "+name)
	}
	if r.Audience != "" {
		text("audience", r.Audience, func(q *C.m2m_request, v *C.char) C.m2m_result { return C.m2m_request_set_audience(q, v) })
	}
	if r.Organization != "" {
		text("organization", r.Organization, func(q *C.m2m_request, v *C.char) C.m2m_result { return C.m2m_request_set_organization(q, v) })
	}
	if r.Scope != nil {
		set("scope", "")
		for _, s := range r.Scope {
			text("scope", s, func(q *C.m2m_request, v *C.char) C.m2m_result { return C.m2m_request_add_scope(q, v) })
		}
	}
	if r.Resource != nil {
		set("resource", "")
		for _, s := range r.Resource {
			text("resource", s, func(q *C.m2m_request, v *C.char) C.m2m_result { return C.m2m_request_add_resource(q, v) })
		}
	}
	if r.Extra != nil {
		set("extra", "")
		keys := make([]string, 0, len(r.Extra))
		for k := range r.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err != nil {
				break
			}
			if err = noNUL("request parameter extra", k+r.Extra[k]); err != nil {
				break
			}
			n, v := cString(k), cString(r.Extra[k])
			err = check(C.m2m_request_add_extra(rq, n, v), "request parameter extra")
			freeCString(n, false)
			freeCString(v, false)
		}
	}
	if err != nil {
		C.m2m_request_free(rq)
		return nil, err
	}
	return rq, nil
}
