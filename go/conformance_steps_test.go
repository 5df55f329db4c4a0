package m2mauth_test

// The conformance runner: a vector's steps, and its calls (get_token,
// fetch_token, invalidate, call_api, build), `concurrency` of them at once
// on goroutines.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

// outcome is what one call returned.
type outcome struct {
	call    string
	token   *m2mauth.Token
	resp    *m2mauth.APIResponse
	err     error
	elapsed time.Duration
}

var stepKeys = []string{"call", "expect", "request", "concurrency", "label", "method", "path", "client_override",
	"faults", "api_faults", "repeat_last", "clear_faults", "sleep_ms", "shutdown_server",
	"expect_requests", "expect_api_requests", "expect_request", "expect_stats", "dpop_control"}

func (v *vector) runStep(root string, step obj) {
	if k := unknownKey(step, stepKeys); k != "" {
		v.fail("unsupported step field %q", k)
		return
	}
	switch {
	case step["call"] != nil:
		call, _ := step["call"].(string)
		v.doCall(root, step, call)
	case step["faults"] != nil:
		v.faults(step, "faults", "")
	case step["api_faults"] != nil:
		v.faults(step, "api_faults", "api")
	case step["clear_faults"] != nil:
		if !v.up || v.srv.ClearFaults() != nil {
			v.fail("cannot clear the fault scripts")
		}
	case step["sleep_ms"] != nil:
		time.Sleep(time.Duration(step["sleep_ms"].(float64)) * time.Millisecond)
	case step["shutdown_server"] != nil:
		v.shutdownServer()
	case step["expect_requests"] != nil:
		if got, want := v.count("token_requests"), step["expect_requests"].(float64); float64(got) != want {
			v.fail("the server saw %d token requests, expected %v", got, want)
		}
	case step["expect_api_requests"] != nil:
		if got, want := v.count("api_requests"), step["expect_api_requests"].(float64); float64(got) != want {
			v.fail("the server saw %d API requests, expected %v", got, want)
		}
	case step["expect_request"] != nil:
		v.expectRequest(step["expect_request"].(obj))
	case step["expect_stats"] != nil:
		v.expectStats(step["expect_stats"].(obj))
	case step["dpop_control"] != nil:
		if !v.up {
			v.fail("dpop_control after shutdown_server")
			return
		}
		body, _ := json.Marshal(step["dpop_control"])
		if err := v.srv.DPoP(body); err != nil {
			v.fail("the control API refused dpop_control: %v", err)
		}
	default:
		v.fail("a step without an action")
	}
}

func (v *vector) doCall(root string, step obj, call string) {
	expect, _ := step["expect"].(obj)
	if call == "build" {
		override, _ := step["client_override"].(obj)
		start := time.Now()
		err := v.build(root, override)
		v.check(expect, &outcome{call: call, err: err, elapsed: time.Since(start)})
		return
	}
	switch call {
	case "get_token", "fetch_token", "invalidate", "call_api":
	default:
		v.fail("unsupported call %q", call)
		return
	}
	if v.client == nil {
		// Built before the first call; a build failure is this call's outcome.
		if err := v.build(root, nil); err != nil {
			if expect == nil {
				v.fail("building the client failed: %v", err)
			}
			v.check(expect, &outcome{call: call, err: err})
			return
		}
	}
	n := 1
	if c, ok := step["concurrency"].(float64); ok && c > 1 {
		n = int(c)
	}
	req, _ := step["request"].(obj)
	rq := v.request(req)
	method, _ := step["method"].(string)
	if method == "" {
		method = "GET"
	}
	path, _ := step["path"].(string)
	if path == "" {
		path = "/api"
	}
	outs := make([]outcome, n)
	var ready, wg sync.WaitGroup
	ready.Add(1)
	for i := range outs {
		wg.Add(1)
		go func(o *outcome) {
			defer wg.Done()
			ready.Wait()
			o.call = call
			ctx := context.Background()
			start := time.Now()
			switch call {
			case "get_token":
				o.token, o.err = v.client.Token(ctx, rq...)
			case "fetch_token":
				o.token, o.err = v.client.FetchToken(ctx, rq...)
			case "invalidate":
				o.err = v.client.Invalidate(rq...)
			case "call_api":
				if v.mode == "transport" {
					o.resp, o.err = v.viaTransport(ctx, method, v.srv.URL+path, rq)
				} else {
					o.resp, o.err = v.client.CallAPI(ctx, method, v.srv.URL+path, nil, nil, rq...)
				}
			}
			o.elapsed = time.Since(start)
		}(&outs[i])
	}
	ready.Done()
	wg.Wait()
	for i := range outs {
		v.check(expect, &outs[i])
	}
	if label, ok := step["label"].(string); ok {
		if outs[0].token == nil {
			v.fail("label %q on a call that returned no token", label)
		} else {
			v.labels[label] = outs[0].token.AccessToken
		}
	}
}

// viaTransport makes a call_api step through Client.Transport (redirects
// not followed, as call_api does not).
func (v *vector) viaTransport(ctx context.Context, method, url string, rq []m2mauth.Request) (*m2mauth.APIResponse, error) {
	hc := &http.Client{
		Transport:     v.client.Transport(&http.Transport{Proxy: nil}, rq...),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return &m2mauth.APIResponse{Status: resp.StatusCode, Body: body, Header: resp.Header}, err
}
