package m2mauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

// A herd of 10,000 goroutines on a cold cache makes one token request.
func TestHerd(t *testing.T) {
	srv := startServer(t)
	// The token endpoint answers after 300 ms: the whole herd asks while
	// the cache is cold.
	if err := srv.Faults("", json.RawMessage(`[{"delay_ms": 300}]`), false); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, srv, m2mauth.Options{})
	const n = 10000
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var ready, wg sync.WaitGroup
	ready.Add(1)
	tokens := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ready.Wait()
			tok, err := cl.Token(ctx)
			errs[i] = err
			if err == nil {
				tokens[i] = tok.AccessToken
			}
		}(i)
	}
	start := time.Now()
	ready.Done()
	wg.Wait()
	elapsed := time.Since(start)
	distinct := map[string]bool{}
	failures := 0
	for i := range tokens {
		if errs[i] != nil {
			failures++
			if failures == 1 {
				t.Errorf("a caller failed: %v", errs[i])
			}
			continue
		}
		distinct[tokens[i]] = true
	}
	requests := tokenRequests(t, srv)
	st, _ := cl.Stats()
	fmt.Printf("herd: %d goroutines on a cold cache: %d token request(s), %d distinct token(s), %d failure(s), %.0f ms; stats hits=%d misses=%d fetches=%d\n",
		n, requests, len(distinct), failures, float64(elapsed.Microseconds())/1000, st.Hits, st.Misses, st.Fetches)
	if requests != 1 || len(distinct) != 1 || failures != 0 {
		t.Fatalf("expected 1 token request and 1 token, got %d requests, %d tokens", requests, len(distinct))
	}
	if st.Fetches != 1 || st.Hits+st.Misses != n {
		t.Errorf("stats: %+v", st)
	}
}

// Token returns ctx.Err() when the context ends first; the request goes
// on and its token is cached.
func TestTokenContext(t *testing.T) {
	srv := startServer(t)
	if err := srv.Faults("", json.RawMessage(`[{"delay_ms": 1500}]`), false); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, srv, m2mauth.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := cl.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expected context.DeadlineExceeded, got %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel2() }()
	if _, err := cl.Token(ctx2); !errors.Is(err, context.Canceled) {
		t.Fatalf("expected context.Canceled, got %v", err)
	}
	done, cancel3 := context.WithCancel(context.Background())
	cancel3()
	if _, err := cl.Token(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: expected context.Canceled, got %v", err)
	}
	tok, err := cl.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := tokenRequests(t, srv); n != 1 {
		t.Fatalf("expected the one request to go on and be cached, the server saw %d", n)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 || tok.ExpiresAt.Before(time.Now()) || tok.Fingerprint == "" {
		t.Fatalf("token fields: %v", tok)
	}
}

// Errors are *m2mauth.Error (errors.As) with the C error's fields, and
// match their code (errors.Is); no text of them holds the secret.
func TestErrors(t *testing.T) {
	srv := startServer(t)
	cl := newClient(t, srv, m2mauth.Options{ClientSecret: "wrong-secret"})
	_, err := cl.Token(context.Background())
	var e *m2mauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("expected *m2mauth.Error, got %T %v", err, err)
	}
	if e.Code != m2mauth.ErrOAuth || !errors.Is(err, m2mauth.ErrOAuth) || errors.Is(err, m2mauth.ErrHTTP) ||
		e.OAuthError != "invalid_client" || e.Status != 401 || e.Message == "" {
		t.Fatalf("error fields: %+v", e)
	}
	for _, text := range errorTexts(err) {
		if strings.Contains(text, "wrong-secret") {
			t.Fatal("the secret appears in the error")
		}
	}
	// A config error, before any I/O.
	_, err = m2mauth.NewClient(m2mauth.Options{TokenURL: srv.TokenURL, Domain: "example.com", ClientID: "x", ClientSecret: "y"})
	if !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("two endpoints: expected a config error, got %v", err)
	}
	_, err = m2mauth.NewClient(m2mauth.Options{Set: map[string]string{"no_such_option": "1"}})
	if !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("unknown option: expected a config error, got %v", err)
	}
	// A C string cannot carry a NUL byte: refused rather than cut.
	if _, err := m2mauth.NewClient(m2mauth.Options{TokenURL: srv.TokenURL, ClientID: "x", ClientSecret: "a\x00b"}); !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("a secret with a NUL byte: expected a config error, got %v", err)
	}
	if _, err := cl.Token(context.Background(), m2mauth.Request{Audience: "a\x00b"}); !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("an audience with a NUL byte: expected a config error, got %v", err)
	}
	// A transport error: nothing listens there.
	down := newClient(t, srv, m2mauth.Options{TokenURL: "http://127.0.0.1:1/oauth/token", Set: map[string]string{"max_attempts": "1"}})
	_, err = down.Token(context.Background())
	if !errors.As(err, &e) || e.Code != m2mauth.ErrTransport || e.Kind != "connect" {
		t.Fatalf("expected a transport error of kind connect, got %v", err)
	}
}

// Printing a token shows neither the token nor its header; every option
// reaches the engine by name; stats, invalidate and Close.
func TestTokenClient(t *testing.T) {
	srv := startServer(t)
	cl := newClient(t, srv, m2mauth.Options{Scope: []string{"read:data write:data"},
		Set: map[string]string{"leeway": "30", "refresh_ratio": "0.8", "max_attempts": "2"}})
	tok, err := cl.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	printed := fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok) + fmt.Sprintf("%v %+v", *tok, *tok)
	if strings.Contains(printed, tok.AccessToken) || !strings.Contains(printed, tok.Fingerprint) {
		t.Fatalf("printing a token: %s", printed)
	}
	if tok.Scope != "read:data write:data" || tok.AuthorizationHeader != "Bearer "+tok.AccessToken {
		t.Fatalf("scope %q", tok.Scope)
	}
	again, _ := cl.Token(context.Background())
	if again.AccessToken != tok.AccessToken {
		t.Fatal("the second call did not return the cached token")
	}
	other, err := cl.Token(context.Background(), m2mauth.Request{Scope: []string{"read:data"}})
	if err != nil || other.AccessToken == tok.AccessToken || other.Scope != "read:data" {
		t.Fatalf("a per-call scope: %v %v", other, err)
	}
	if err := cl.Invalidate(); err != nil {
		t.Fatal(err)
	}
	renewed, _ := cl.Token(context.Background())
	if renewed.AccessToken == tok.AccessToken {
		t.Fatal("Invalidate kept the token")
	}
	if err := cl.InvalidateRejected(tok.AccessToken); err != nil { // an old token: kept
		t.Fatal(err)
	}
	if same, _ := cl.Token(context.Background()); same.AccessToken != renewed.AccessToken {
		t.Fatal("InvalidateRejected of an older token dropped the current one")
	}
	st, err := cl.Stats()
	if err != nil || st.Fetches != 3 || st.Hits < 2 || st.Misses != 3 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if cl.ClientID() != testClientID || cl.AuthMethod() != "client_secret_post" || cl.DPoPThumbprint() != "" {
		t.Fatalf("client %q %q", cl.ClientID(), cl.AuthMethod())
	}
	if n := tokenRequests(t, srv); n != 3 {
		t.Fatalf("the server saw %d token requests, expected 3", n)
	}
	cl.Close()
	if _, err := cl.Token(context.Background()); !errors.Is(err, m2mauth.ErrConfig) {
		t.Fatalf("a closed client: %v", err)
	}
	cl.Close()
}

// FromEnv reads the M2M_AUTH_* variables (the typed fields override them);
// a file: cache shares a token between two clients with caches of their own.
func TestFromEnvAndFileCache(t *testing.T) {
	srv := startServer(t)
	t.Setenv("M2M_AUTH_TOKEN_URL", srv.TokenURL)
	t.Setenv("M2M_AUTH_CLIENT_ID", testClientID)
	t.Setenv("M2M_AUTH_CLIENT_SECRET", testSecret)
	t.Setenv("M2M_AUTH_AUDIENCE", "https://env.example.com")
	t.Setenv("M2M_AUTH_NO_PROXY", "true")
	dir := t.TempDir()
	t.Setenv("M2M_AUTH_CACHE", "file:"+dir)
	a, err := m2mauth.NewClient(m2mauth.Options{FromEnv: true, Scope: []string{"read:data"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ta, err := a.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ta.Scope != "read:data" || a.ClientID() != testClientID {
		t.Fatalf("from the environment: scope %q, client id %q", ta.Scope, a.ClientID())
	}
	// Another bound of the in-memory cache is a cache of its own: the token
	// comes from the file.
	b, err := m2mauth.NewClient(m2mauth.Options{FromEnv: true, Scope: []string{"read:data"},
		Set: map[string]string{"max_cache_keys": "77"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tb, err := b.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := b.Stats()
	if tb.AccessToken != ta.AccessToken || st.SharedHits != 1 || tokenRequests(t, srv) != 1 {
		t.Fatalf("file cache: same token %t, shared hits %d, token requests %d", tb.AccessToken == ta.AccessToken,
			st.SharedHits, tokenRequests(t, srv))
	}
}
