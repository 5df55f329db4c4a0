package m2mauth_test

// The conformance runner: the vector's dev server (on a port no earlier
// vector used), its fault scripts, counters and recorded requests.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
	"github.com/m2m-auth/m2m-auth/go/internal/devserver"
)

const defaultClients = `[{"client_id": "conf-client", "client_secret": "conf-secret", "token_lifetime": 3600}]`

func (v *vector) startServer(root string) error {
	server, _ := v.root["server"].(obj)
	clients := json.RawMessage(defaultClients)
	if c, ok := server["clients"]; ok {
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		clients = b
	}
	var list []obj
	_ = json.Unmarshal(clients, &list)
	v.defID, v.defSec = "conf-client", ""
	if len(list) > 0 {
		if id, ok := list[0]["client_id"].(string); ok {
			v.defID = id
		}
		v.defSec, _ = list[0]["client_secret"].(string)
	}
	tls, _ := server["tls"].(bool)
	nonce, _ := server["dpop_nonce"].(bool)
	var args []string
	if ca, ok := server["client_ca_file"].(string); ok {
		args = append(args, "--client-ca="+filepath.Join(root, ca))
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		file := fmt.Sprintf(`{"clients": %s, "port": %d, "tls": %t, "dpop_nonce": %t}`, clients, *v.port, tls, nonce)
		*v.port++
		if v.srv, err = devserver.Start(file, args...); err == nil {
			v.up = true
			return nil
		}
	}
	return err
}

// count is a server counter, or its value at shutdown_server.
func (v *vector) count(name string) int64 {
	if !v.up {
		return v.atStop[name]
	}
	st, err := v.srv.Stats()
	if err != nil {
		v.fail("cannot read the server's stats: %v", err)
		return -1
	}
	return st[name]
}

func (v *vector) expectStats(want obj) {
	if !v.up {
		v.fail("expect_stats after shutdown_server")
		return
	}
	for name, n := range want {
		if got := v.count(name); float64(got) != n.(float64) {
			v.fail("the server's %s is %d, expected %v", name, got, n)
		}
	}
}

func (v *vector) faults(step obj, key, target string) {
	if !v.up {
		v.fail("%s after shutdown_server", key)
		return
	}
	steps, _ := json.Marshal(step[key])
	repeat, _ := step["repeat_last"].(bool)
	if err := v.srv.Faults(target, steps, repeat); err != nil {
		v.fail("the control API refused %s: %v", key, err)
	}
}

func (v *vector) shutdownServer() {
	if !v.up {
		return
	}
	st, err := v.srv.Stats()
	if err != nil {
		v.fail("cannot read the server's stats: %v", err)
	}
	v.atStop = st
	u, _ := url.Parse(v.srv.URL)
	v.srv.Stop()
	v.up = false
	// The step ends once the port refuses connections (FORMAT.md).
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", u.Host, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
	}
}

// expectedText fills {version} and {language} in an expected wire value.
// The language is the C ABI's ("c"): the C ABI has no way to name another.
func expectedText(s string) string {
	s = strings.ReplaceAll(s, "{version}", m2mauth.Version())
	return strings.ReplaceAll(s, "{language}", "c")
}

func header(h map[string]string, name string) (string, bool) {
	for k, val := range h {
		if strings.EqualFold(k, name) {
			return val, true
		}
	}
	return "", false
}

func (v *vector) expectRequest(spec obj) {
	if !v.up {
		v.fail("expect_request after shutdown_server")
		return
	}
	reqs, err := v.srv.Requests()
	if err != nil {
		v.fail("cannot read /_control/requests: %v", err)
		return
	}
	i := 0
	if ix, ok := spec["index"].(float64); ok {
		i = int(ix)
	}
	if i < 0 {
		i += len(reqs)
	}
	if i < 0 || i >= len(reqs) {
		v.fail("no recorded token request #%d (%d recorded)", i, len(reqs))
		return
	}
	r := reqs[i]
	form, _ := url.ParseQuery(r.Body)
	for key, val := range spec {
		switch key {
		case "index":
		case "form":
			for name, w := range val.(obj) {
				var want []string
				if list, ok := w.([]any); ok {
					for _, x := range list {
						want = append(want, expectedText(x.(string)))
					}
				} else {
					want = []string{expectedText(w.(string))}
				}
				if !sameMultiset(form[name], want) {
					v.fail("request #%d form field %s: expected %v, got %v", i, name, want, form[name])
				}
			}
		case "form_absent":
			for _, n := range val.([]any) {
				if _, ok := form[n.(string)]; ok {
					v.fail("request #%d has form field %s", i, n)
				}
			}
		case "headers":
			for name, w := range val.(obj) {
				want := expectedText(w.(string))
				if got, ok := header(r.Headers, name); !ok || got != want {
					v.fail("request #%d header %s = %q, expected %q", i, name, got, want)
				}
			}
		case "headers_present", "headers_absent":
			for _, n := range val.([]any) {
				_, ok := header(r.Headers, n.(string))
				if ok != (key == "headers_present") {
					v.fail("request #%d: header %s present: %t", i, n, ok)
				}
			}
		default:
			v.fail("unsupported expect_request field %q", key)
		}
	}
}

func sameMultiset(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	left := append([]string(nil), got...)
	for _, w := range want {
		found := false
		for j, g := range left {
			if g == w {
				left = append(left[:j], left[j+1:]...)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
