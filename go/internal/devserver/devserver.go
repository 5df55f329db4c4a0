// Package devserver starts the project's dev/fault authorization server
// (devserver/PROTOCOL.md) for the Go tests and drives its control API.
package devserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Root is the repository root: the first directory up from the working
// directory that holds tests/conformance.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "tests", "conformance")); err == nil && st.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no repository root (tests/conformance) above the working directory")
		}
		dir = parent
	}
}

// Binary is $M2M_AUTH_DEVSERVER, else the debug build under target/.
func Binary() (string, error) {
	if b := os.Getenv("M2M_AUTH_DEVSERVER"); b != "" {
		return b, nil
	}
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "target", "debug", "m2m-auth-devserver"), nil
}

// Server is one running dev server: the URLs of its startup line.
type Server struct {
	URL          string `json:"url"`
	Issuer       string `json:"issuer"`
	TokenURL     string `json:"token_url"`
	APIURL       string `json:"api_url"`
	ControlURL   string `json:"control_url"`
	ControlToken string `json:"control_token"`
	HTTPSURL     string `json:"https_url"`
	MTLSTokenURL string `json:"mtls_token_url"`
	TLSCAPEM     string `json:"tls_ca_pem"`

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	clients string
	http    *http.Client
}

// Start runs the dev server with --exit-on-stdin-eof, clientsFile (JSON
// text of a clients file; "" for none: the demo client) and args, and
// reads its first line.
func Start(clientsFile string, args ...string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}}
	argv := []string{"--exit-on-stdin-eof"}
	if clientsFile != "" {
		f, err := os.CreateTemp("", "m2m-go-clients-*.json")
		if err != nil {
			return nil, err
		}
		s.clients = f.Name()
		_, werr := f.WriteString(clientsFile)
		f.Close()
		if werr != nil {
			os.Remove(s.clients)
			return nil, werr
		}
		argv = append(argv, "--clients", s.clients)
	}
	argv = append(argv, args...)
	s.cmd = exec.Command(bin, argv...)
	s.cmd.Stderr = os.Stderr
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		s.cleanup()
		return nil, err
	}
	line, err := bufio.NewReaderSize(out, 64<<10).ReadString('\n')
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("the dev server did not start: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if err := json.Unmarshal([]byte(line), s); err != nil || s.URL == "" || s.ControlToken == "" {
		s.Stop()
		return nil, fmt.Errorf("unexpected first line from the dev server")
	}
	return s, nil
}

func (s *Server) cleanup() {
	if s.clients != "" {
		os.Remove(s.clients)
		s.clients = ""
	}
}

// Stop closes the server's stdin and waits for it to exit (killing it
// after 5 s).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	s.cleanup()
}

// Control calls the control API: method, path under /_control, a JSON
// body (nil for none); it returns the answer's body and fails on a non-200.
func (s *Server) Control(method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(s.ControlURL, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.ControlToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("control %s %s: status %d: %s", method, path, resp.StatusCode, data)
	}
	return data, nil
}

// Faults sets the fault script of the token endpoint (target "") or /api
// (target "api").
func (s *Server) Faults(target string, steps json.RawMessage, repeatLast bool) error {
	path := "/faults"
	if target != "" {
		path += "?target=" + target
	}
	_, err := s.Control("POST", path, map[string]any{"steps": steps, "repeat_last": repeatLast})
	return err
}

// ClearFaults clears both fault scripts.
func (s *Server) ClearFaults() error {
	if _, err := s.Control("DELETE", "/faults", nil); err != nil {
		return err
	}
	_, err := s.Control("DELETE", "/faults?target=api", nil)
	return err
}

// Stats are the server's counters (token_requests, api_requests, ...).
func (s *Server) Stats() (map[string]int64, error) {
	data, err := s.Control("GET", "/stats", nil)
	if err != nil {
		return nil, err
	}
	var m map[string]int64
	return m, json.Unmarshal(data, &m)
}

// Recorded is one token request the server saw (secrets fingerprinted).
type Recorded struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// Requests are the token requests the server saw, in order.
func (s *Server) Requests() ([]Recorded, error) {
	data, err := s.Control("GET", "/requests", nil)
	if err != nil {
		return nil, err
	}
	var r []Recorded
	return r, json.Unmarshal(data, &r)
}

// DPoP posts a DPoP control body (nonce_token, nonce_api, rotate).
func (s *Server) DPoP(body json.RawMessage) error {
	_, err := s.Control("POST", "/dpop", body)
	return err
}
