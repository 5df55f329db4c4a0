package m2mauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

// seen is what a test API recorded of one request.
type seen struct{ authorization, dpop, body string }

// recorder is a loopback API that records requests and answers 401 to the
// first `refuse` of them, 200 after.
func recorder(t *testing.T, refuse int) (*httptest.Server, func() []seen) {
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Header.Get("Authorization"), r.Header.Get("DPoP"), string(body)})
		n := len(got)
		mu.Unlock()
		if n <= refuse {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), got...) }
}

func httpClient(cl *m2mauth.Client) *http.Client {
	return &http.Client{Transport: cl.Transport(&http.Transport{Proxy: nil}), Timeout: 30 * time.Second}
}

// The transport sets the engine's Authorization header; the dev server's
// /api accepts it.
func TestTransportHeader(t *testing.T) {
	srv := startServer(t)
	cl := newClient(t, srv, m2mauth.Options{})
	resp, err := httpClient(cl).Get(srv.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok":true`) {
		t.Fatalf("the API answered %d: %s", resp.StatusCode, body)
	}
	api, requests := recorder(t, 0)
	if _, err := httpClient(cl).Get(api.URL + "/things"); err != nil {
		t.Fatal(err)
	}
	tok, _ := cl.Token(context.Background())
	if r := requests(); len(r) != 1 || r[0].authorization != "Bearer "+tok.AccessToken || r[0].dpop != "" {
		t.Fatal("the API did not get the client's Bearer token")
	}
}

// A 401 from the dev server's /api renews the token once; a second 401 is
// returned as it is.
func TestTransportRenewsOnce(t *testing.T) {
	srv := startServer(t)
	cl := newClient(t, srv, m2mauth.Options{})
	if err := srv.Faults("api", json.RawMessage(`[{"status": 401, "json": {"error": "invalid_token"}}]`), false); err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient(cl).Get(srv.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st, _ := srv.Stats()
	if resp.StatusCode != 200 || st["token_requests"] != 2 || st["api_requests"] != 2 {
		t.Fatalf("status %d, stats %v: expected 200 after one renewal", resp.StatusCode, st)
	}
	if err := srv.Faults("api", json.RawMessage(`[{"status": 401, "json": {"error": "invalid_token"}}]`), true); err != nil {
		t.Fatal(err)
	}
	resp, err = httpClient(cl).Get(srv.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st, _ = srv.Stats()
	if resp.StatusCode != 401 || st["token_requests"] != 3 || st["api_requests"] != 4 {
		t.Fatalf("status %d, stats %v: expected the second 401 returned after one renewal", resp.StatusCode, st)
	}
}

// The renewal sends the same body again with the new token.
func TestTransportResendsBody(t *testing.T) {
	srv := startServer(t)
	cl := newClient(t, srv, m2mauth.Options{})
	api, requests := recorder(t, 1)
	// A body without GetBody (read into memory by the transport).
	req, _ := http.NewRequest("POST", api.URL+"/orders", io.NopCloser(strings.NewReader(`{"id":1}`)))
	resp, err := httpClient(cl).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := requests()
	if resp.StatusCode != 200 || len(r) != 2 || r[0].body != `{"id":1}` || r[1].body != `{"id":1}` ||
		r[0].authorization == r[1].authorization {
		t.Fatalf("status %d, %d requests: expected the body twice, with a renewed token", resp.StatusCode, len(r))
	}
}

// A redirect to another origin carries no token.
func TestTransportRedirect(t *testing.T) {
	srv := startServer(t)
	cl := newClient(t, srv, m2mauth.Options{})
	other, requests := recorder(t, 0)
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer first.Close()
	resp, err := httpClient(cl).Get(first.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := requests(); len(r) != 1 || r[0].authorization != "" {
		t.Fatal("the token went with a redirect to another origin")
	}
}

// A bad secret: the request fails with the engine's *Error (errors.As
// through *url.Error); a URL that must not carry a token is a config error.
func TestTransportErrors(t *testing.T) {
	srv := startServer(t)
	bad := newClient(t, srv, m2mauth.Options{ClientSecret: "wrong-secret"})
	_, err := httpClient(bad).Get(srv.APIURL)
	var e *m2mauth.Error
	if !errors.As(err, &e) || e.Code != m2mauth.ErrOAuth || e.OAuthError != "invalid_client" || e.Status != 401 {
		t.Fatalf("expected an oauth invalid_client error, got %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatal("the secret appears in the error")
	}
	cl := newClient(t, srv, m2mauth.Options{})
	_, err = httpClient(cl).Get("http://example.com/api")
	if !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("http to a remote host: expected a config error, got %v", err)
	}
}

// The request's context bounds the wait for a token.
func TestTransportContext(t *testing.T) {
	srv := startServer(t)
	if err := srv.Faults("", json.RawMessage(`[{"delay_ms": 1500}]`), false); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, srv, m2mauth.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.APIURL, nil)
	if _, err := httpClient(cl).Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expected context.DeadlineExceeded, got %v", err)
	}
}

// DPoP through the transport: a proof with every request, the API's nonce
// challenge answered (the dev server in nonce mode).
func TestTransportDPoP(t *testing.T) {
	srv := startServer(t)
	if err := srv.DPoP(json.RawMessage(`{"nonce_token": true, "nonce_api": true}`)); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, srv, m2mauth.Options{DPoP: true})
	for i := 0; i < 2; i++ {
		resp, err := httpClient(cl).Get(srv.APIURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("the API answered %d: %s", resp.StatusCode, body)
		}
	}
	tok, _ := cl.Token(context.Background())
	st, _ := srv.Stats()
	if tok.TokenType != "DPoP" || cl.DPoPThumbprint() == "" || st["dpop_api_requests"] < 2 || st["token_requests"] > 3 {
		t.Fatalf("token %v, stats %v", tok, st)
	}
	proof, err := cl.DPoPProof("GET", srv.APIURL, tok.AccessToken)
	if err != nil || strings.Count(proof, ".") != 2 {
		t.Fatalf("DPoPProof: %v", err)
	}
	// The same by hand, for another HTTP client: the engine's headers, then
	// its reading of the answer (a nonce challenge: once more).
	if err := srv.DPoP(json.RawMessage(`{"rotate": true}`)); err != nil {
		t.Fatal(err)
	}
	status, retries := 0, 0
	for attempt := 0; attempt < 2; attempt++ {
		h, err := cl.RequestHeaders("GET", srv.APIURL, tok)
		if err != nil || h.Authorization != "DPoP "+tok.AccessToken || h.DPoP == "" {
			t.Fatalf("RequestHeaders: %v", err)
		}
		req, _ := http.NewRequest("GET", srv.APIURL, nil)
		req.Header.Set("Authorization", h.Authorization)
		req.Header.Set("DPoP", h.DPoP)
		resp, err := (&http.Transport{Proxy: nil}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		status = resp.StatusCode
		retry, err := cl.DPoPResponse(srv.APIURL, tok, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.Header.Get("DPoP-Nonce"))
		if err != nil {
			t.Fatal(err)
		}
		if !retry {
			break
		}
		retries++
	}
	if status != 200 || retries != 1 {
		t.Fatalf("by hand: status %d after %d nonce retries, expected 200 after 1", status, retries)
	}
	if _, err := cl.RequestHeaders("GET", srv.APIURL, &m2mauth.Token{AccessToken: "x"}); !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("a Token not from the client: %v", err)
	}
}
