package m2mauth_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
	"github.com/m2m-auth/m2m-auth/go/internal/devserver"
)

// snake is a Go field name in the surface's words.
func snake(name string) string {
	special := map[string]string{"DPoP": "dpop", "DPoPKey": "dpop_key", "CACerts": "ca_certs", "OAuthError": "error",
		"TokenURL": "token_url", "ClientID": "client_id", "KeyID": "key_id", "ErrorURI": "error_uri"}
	if s, ok := special[name]; ok {
		return s
	}
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func fieldNames(v any, skip ...string) []string {
	var names []string
	t := reflect.TypeOf(v)
outer:
	for i := 0; i < t.NumField(); i++ {
		if !t.Field(i).IsExported() {
			continue
		}
		for _, s := range skip {
			if t.Field(i).Name == s {
				continue outer
			}
		}
		names = append(names, snake(t.Field(i).Name))
	}
	sort.Strings(names)
	return names
}

type surfaceItem struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// The package spells the surface (tests/surface.json) with its words:
// every stat, error field, token field and request parameter is a field
// of the same name; every typed option is an option of the surface, and
// every option (but the callback) is accepted by name through Options.Set.
func TestSurfaceParity(t *testing.T) {
	root, err := devserver.Root()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "tests", "surface.json"))
	if err != nil {
		t.Fatal(err)
	}
	var surface map[string]json.RawMessage
	if err := json.Unmarshal(data, &surface); err != nil {
		t.Fatal(err)
	}
	items := func(key string) map[string]string {
		var list []surfaceItem
		if err := json.Unmarshal(surface[key], &list); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, it := range list {
			m[it.Name] = it.Type
		}
		return m
	}
	exactly := func(what string, got []string, want map[string]string) {
		var names []string
		for n := range want {
			names = append(names, n)
		}
		sort.Strings(names)
		if !reflect.DeepEqual(got, names) {
			t.Errorf("%s: the package has %v, the surface %v", what, got, names)
		}
	}
	exactly("stats", fieldNames(m2mauth.Stats{}), items("stats"))
	exactly("error fields", fieldNames(m2mauth.Error{}), items("error_fields"))
	exactly("token fields", fieldNames(m2mauth.Token{}), items("token_fields"))
	exactly("request parameters", fieldNames(m2mauth.Request{}, "Params"), items("request_parameters"))
	// Client methods: Go's name for each (get_token is Token).
	goMethod := map[string]string{"get_token": "Token", "fetch_token": "FetchToken", "invalidate": "Invalidate",
		"invalidate_rejected": "InvalidateRejected", "call_api": "CallAPI", "request_headers": "RequestHeaders",
		"dpop_proof": "DPoPProof", "dpop_response": "DPoPResponse", "dpop_thumbprint": "DPoPThumbprint",
		"stats": "Stats", "quota": "Quota", "client_id": "ClientID", "auth_method": "AuthMethod"}
	for name := range items("client_methods") {
		m, ok := goMethod[name]
		if !ok {
			t.Errorf("client method %s: no Go method", name)
		} else if _, ok := reflect.TypeOf(&m2mauth.Client{}).MethodByName(m); !ok {
			t.Errorf("client method %s: Client has no method %s", name, m)
		}
	}
	if len(goMethod) != len(items("client_methods")) {
		t.Errorf("client methods: Go names %d, the surface %d", len(goMethod), len(items("client_methods")))
	}
	options := items("client_options")
	for _, name := range fieldNames(m2mauth.Options{}, "FromEnv", "Set") {
		if _, ok := options[name]; !ok {
			t.Errorf("Options has %s, which is no option of the surface", name)
		}
	}
	sample := map[string]string{"text": "x", "secret": "x", "pem": "x", "flag": "false", "duration": "1",
		"count": "1", "fraction": "0.5", "list": "a", "map": "a=b"}
	for name, ty := range options {
		if ty == "callback" {
			continue
		}
		text, ok := sample[ty]
		if !ok {
			t.Errorf("option %s: a type this test does not know: %s", name, ty)
			continue
		}
		_, err := m2mauth.NewClient(m2mauth.Options{Set: map[string]string{name: text}})
		if err != nil && strings.Contains(err.Error(), "does not take") {
			t.Errorf("option %s: Options.Set refused it: %v", name, err)
		}
	}
}
