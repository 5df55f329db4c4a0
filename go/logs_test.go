package m2mauth_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

// syncBuffer is a bytes.Buffer safe for the engine's threads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The engine's records reach an slog.Logger, down to trace, and none holds
// the secret.
func TestLogger(t *testing.T) {
	srv := startServer(t)
	var out syncBuffer
	if err := m2mauth.SetLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: m2mauth.LevelTrace}))); err != nil {
		t.Fatal(err)
	}
	defer m2mauth.SetLogger(nil)
	cl := newClient(t, srv, m2mauth.Options{ClientSecret: "log-canary-secret"})
	if _, err := cl.Token(context.Background()); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	good := newClient(t, srv, m2mauth.Options{})
	if _, err := good.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // background records come ~50 ms later
	text := out.String()
	if !strings.Contains(text, "target=m2m_auth") || !strings.Contains(text, "level=WARN") {
		t.Fatalf("no engine records at warn: %q", text)
	}
	if strings.Contains(text, "log-canary-secret") || strings.Contains(text, testSecret) {
		t.Fatal("a secret appears in a log record")
	}
	if err := m2mauth.SetLogger(nil); err != nil {
		t.Fatal(err)
	}
	n := len(out.String())
	if _, err := cl.Token(context.Background()); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	time.Sleep(150 * time.Millisecond)
	if len(out.String()) != n {
		t.Fatal("records after SetLogger(nil)")
	}
}
