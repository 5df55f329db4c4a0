package m2mauth_test

// The Go runner of the shared conformance vectors (tests/conformance/*.json,
// format in tests/conformance/FORMAT.md), modelled on the C runner
// (tests/c/conformance.c): every step goes through this package, hence the
// C ABI, and every expectation is checked on what the package returns.
// Each vector gets a fresh dev server on a port no earlier vector of the run
// used (a new port is a new cache key: the cache is process-wide). This
// file: loading the vectors and running each; the steps, the client and the
// checks are in conformance_*_test.go.
//
// M2M_AUTH_VECTORS=retry,cache-key runs only the vectors whose name holds
// one of those strings.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
	"github.com/m2m-auth/m2m-auth/go/internal/devserver"
)

// obj is a JSON object of a vector.
type obj = map[string]any

// vector is one vector's state while it runs.
type vector struct {
	t       *testing.T
	root    obj
	srv     *devserver.Server
	up      bool // srv runs (false after shutdown_server)
	port    *int
	mode    string // how call_api is made: "" CallAPI, "transport" Client.Transport
	client  *m2mauth.Client
	step    int
	failed  string
	labels  map[string]string
	atStop  map[string]int64 // the server's counters when it was shut down
	defID   string
	defSec  string
	secret  string   // the client's current secret, for the leak check
	keyPart []string // the secret parts of the client's dpop_key
}

// fail keeps the vector's first failure, with its step.
func (v *vector) fail(format string, args ...any) {
	if v.failed == "" {
		v.failed = fmt.Sprintf("step %d: ", v.step) + fmt.Sprintf(format, args...)
	}
}

var (
	topKeys    = []string{"name", "design", "description", "server", "client", "steps", "skip"}
	serverKeys = []string{"clients", "tls", "client_ca_file", "dpop_nonce"}
)

func unknownKey(m obj, known []string) string {
	for k := range m {
		found := false
		for _, n := range known {
			found = found || n == k
		}
		if !found {
			return k
		}
	}
	return ""
}

// nextPort is the first port of the next vector's block: one run-wide
// sequence from a random base, so that no two vectors of this process
// (whichever test runs them) share a port, hence a cache key.
var nextPort = 20000 + rand.New(rand.NewSource(time.Now().UnixNano())).Intn(25000)

func TestConformance(t *testing.T) {
	runVectors(t, "", "")
}

// The vectors with a call_api step once more, each call_api through the
// http.RoundTripper (Client.Transport) instead of the engine's call_api.
func TestConformanceTransport(t *testing.T) {
	runVectors(t, "transport", `"call_api"`)
}

// runVectors runs every vector (those whose text holds `holding`, if
// given) with call_api made by `mode` ("": CallAPI; "transport").
func runVectors(t *testing.T, mode, holding string) {
	root, err := devserver.Root()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "tests", "conformance", "*.json"))
	if err != nil || len(files) < 40 {
		t.Fatalf("expected at least 40 vectors, found %d (%v)", len(files), err)
	}
	sort.Strings(files)
	var only []string
	if s := os.Getenv("M2M_AUTH_VECTORS"); s != "" {
		only = strings.Split(s, ",")
	}
	passed, failed, skipped := 0, 0, 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		if only != nil && !containsAny(name, only) {
			continue
		}
		if data, err := os.ReadFile(file); holding != "" && (err != nil || !strings.Contains(string(data), holding)) {
			continue
		}
		port := nextPort
		nextPort += 20
		start := time.Now()
		result, msg := runVector(t, root, file, name, mode, &port)
		switch result {
		case "ok":
			passed++
			fmt.Printf("ok - %s (%.0f ms)\n", name, float64(time.Since(start).Microseconds())/1000)
		case "skip":
			skipped++
			fmt.Printf("ok - %s # SKIP %s\n", name, msg)
		default:
			failed++
			fmt.Printf("not ok - %s: %s\n", name, msg)
			t.Errorf("%s: %s", name, msg)
		}
	}
	what := "conformance"
	if mode != "" {
		what += " (call_api through the " + mode + ")"
	}
	fmt.Printf("%s: %d passed, %d failed, %d skipped\n", what, passed, failed, skipped)
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if p != "" && strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// runVector runs one vector: "ok", "skip" (with the reason) or "fail".
func runVector(t *testing.T, root, file, name, mode string, port *int) (string, string) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "fail", err.Error()
	}
	var m obj
	if err := json.Unmarshal(data, &m); err != nil {
		return "fail", "cannot parse: " + err.Error()
	}
	if k := unknownKey(m, topKeys); k != "" {
		return "fail", "malformed vector (unknown field " + k + ")"
	}
	server, _ := m["server"].(obj)
	if k := unknownKey(server, serverKeys); k != "" {
		return "fail", "malformed vector (unknown field " + k + ")"
	}
	if n, _ := m["name"].(string); n != name {
		return "fail", "malformed vector (name must equal the file name)"
	}
	if _, ok := m["design"].(string); !ok {
		return "fail", "malformed vector (design must be a string)"
	}
	if _, ok := m["description"].(string); !ok {
		return "fail", "malformed vector (description must be a string)"
	}
	if skip, ok := m["skip"].(obj); ok {
		if reason, ok := skip["go"].(string); ok {
			return "skip", reason
		}
	}
	v := &vector{t: t, root: m, port: port, mode: mode, labels: map[string]string{}}
	defer func() {
		if v.client != nil {
			v.client.Close()
		}
		if v.srv != nil {
			v.srv.Stop()
		}
	}()
	if err := v.startServer(root); err != nil {
		return "fail", "cannot start the dev server: " + err.Error()
	}
	steps, ok := m["steps"].([]any)
	if !ok {
		return "fail", "no steps"
	}
	for i, s := range steps {
		v.step = i + 1
		step, ok := s.(obj)
		if !ok {
			v.fail("a step must be an object")
			break
		}
		v.runStep(root, step)
		if v.failed != "" {
			break
		}
	}
	if v.failed != "" {
		return "fail", v.failed
	}
	return "ok", ""
}
