// The Go peer of scripts/bench.sh: golang.org/x/oauth2/clientcredentials
// against the same dev server, doing the same work as the other languages.
// Prints one JSON object: hot (ns/call), cold (µs/request), herd (token
// requests made by 64 goroutines on a cold cache), api (calls/s of token +
// GET /api).
//
//	go run . -token-url URL -api-url URL -control-url URL -control-token T
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

var (
	tokenURL     = flag.String("token-url", "", "the token endpoint")
	apiURL       = flag.String("api-url", "", "the protected API")
	controlURL   = flag.String("control-url", "", "the dev server's control API")
	controlToken = flag.String("control-token", "", "its bearer token")
	clientID     = flag.String("client-id", "demo-client", "")
	clientSecret = flag.String("client-secret", "demo-secret", "")
	audience     = flag.String("audience", "https://api.example.com", "")
	coldN        = flag.Int("cold", 2000, "sequential token requests per round")
	rounds       = flag.Int("rounds", 3, "rounds (the best counts)")
)

// plain: no proxy from the environment, keep-alive as net/http's default.
var plain = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}

func config(aud string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID:       *clientID,
		ClientSecret:   *clientSecret,
		TokenURL:       *tokenURL,
		EndpointParams: map[string][]string{"audience": {aud}},
		AuthStyle:      oauth2.AuthStyleInParams,
	}
}

func control(method, path string, body string) []byte {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, *controlURL+path, r)
	req.Header.Set("Authorization", "Bearer "+*controlToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := plain.Do(req)
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func tokenRequests() int {
	var s struct {
		TokenRequests int `json:"token_requests"`
	}
	json.Unmarshal(control("GET", "/stats", ""), &s)
	return s.TokenRequests
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-go:", err)
	os.Exit(1)
}

func main() {
	flag.Parse()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, plain)
	if *controlURL != "" {
		// A client of its own, any audience (the herd asks for a fresh one).
		*clientID, *clientSecret = "bench-go", "bench-go-secret"
		control("POST", "/clients", `{"client_id":"bench-go","client_secret":"bench-go-secret","token_lifetime":86400}`)
	}
	cfg := config(*audience)

	// Hot: a ReuseTokenSource holding a fresh token (what x/oauth2 users keep).
	src := cfg.TokenSource(ctx)
	if _, err := src.Token(); err != nil {
		fail(err)
	}
	hot := 1e18
	for r := 0; r < 5; r++ {
		const n = 2_000_000
		t0 := time.Now()
		for i := 0; i < n; i++ {
			if _, err := src.Token(); err != nil {
				fail(err)
			}
		}
		hot = min(hot, float64(time.Since(t0).Nanoseconds())/n)
	}

	// Cold: Config.Token makes one request each call.
	for i := 0; i < 200; i++ {
		cfg.Token(ctx)
	}
	cold := 1e18
	for r := 0; r < *rounds; r++ {
		t0 := time.Now()
		for i := 0; i < *coldN; i++ {
			if _, err := cfg.Token(ctx); err != nil {
				fail(err)
			}
		}
		cold = min(cold, float64(time.Since(t0).Microseconds())/float64(*coldN))
	}

	// API loop: the oauth2 http.Client (token from the cache + GET /api).
	api := 0.0
	if *apiURL != "" {
		hc := oauth2.NewClient(ctx, src)
		get := func() {
			resp, err := hc.Get(*apiURL)
			if err != nil {
				fail(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				fail(fmt.Errorf("GET /api: %d", resp.StatusCode))
			}
		}
		for i := 0; i < 200; i++ {
			get()
		}
		for r := 0; r < *rounds; r++ {
			const n = 2000
			t0 := time.Now()
			for i := 0; i < n; i++ {
				get()
			}
			api = max(api, n/time.Since(t0).Seconds())
		}
	}

	// Herd: 64 goroutines on one cold ReuseTokenSource, each request held
	// 100 ms by the server so that they overlap.
	herd := -1
	if *controlURL != "" {
		control("POST", "/faults", `{"steps":[{"delay_ms":100}],"repeat_last":true}`)
		cold := config(fmt.Sprintf("https://bench/go-%d", time.Now().UnixNano())).TokenSource(ctx)
		before := tokenRequests()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				cold.Token()
			}()
		}
		close(start)
		wg.Wait()
		herd = tokenRequests() - before
		control("DELETE", "/faults", "")
	}

	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"hot_ns": hot, "cold_us": cold, "herd": herd, "api_per_s": api,
	})
}
