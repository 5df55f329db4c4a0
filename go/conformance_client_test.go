package m2mauth_test

// The conformance runner: the client under test, built from a vector's
// `client` options (and a build step's `client_override`) through
// m2mauth.Options, and the per-call requests (m2mauth.Request).

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"

	m2mauth "github.com/m2m-auth/m2m-auth/go"
)

// seconds is a millisecond count as the text of a duration option.
func seconds(ms float64) string { return strconv.FormatFloat(ms/1000, 'f', -1, 64) }

func (v *vector) placeholders(s string) string {
	r := strings.NewReplacer("{token_url}", v.srv.TokenURL, "{issuer}", v.srv.Issuer,
		"{mtls_token_url}", v.srv.MTLSTokenURL, "{url}", v.srv.URL)
	return r.Replace(s)
}

// rememberKeyParts keeps the parts of a DPoP key that must never show:
// each PEM body line, or a JWK's private members.
func (v *vector) rememberKeyParts(key string) {
	if strings.HasPrefix(strings.TrimSpace(key), "{") {
		var jwk map[string]any
		_ = json.Unmarshal([]byte(key), &jwk)
		for _, m := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if s, ok := jwk[m].(string); ok {
				v.keyPart = append(v.keyPart, s)
			}
		}
		return
	}
	for _, line := range strings.Split(key, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "-----") {
			v.keyPart = append(v.keyPart, line)
		}
	}
}

// applyOption puts one `client` field into opts: non-empty text through
// the typed field, everything else by name (Options.Set).
func (v *vector) applyOption(root string, o *m2mauth.Options, k string, val any) {
	str, isStr := val.(string)
	typed := map[string]*string{
		"token_url": &o.TokenURL, "issuer": &o.Issuer, "domain": &o.Domain, "client_id": &o.ClientID,
		"client_secret": &o.ClientSecret, "auth_method": &o.AuthMethod, "audience": &o.Audience,
		"organization": &o.Organization, "private_key": &o.PrivateKey, "key_id": &o.KeyID,
		"signing_alg": &o.SigningAlg, "dpop_key": &o.DPoPKey,
		"client_certificate_file": &o.ClientCertificateFile, "client_key_file": &o.ClientKeyFile,
	}
	switch k {
	case "token_url", "issuer", "domain":
		if !isStr {
			v.fail("client.%s must be a string", k)
			return
		}
		str = v.placeholders(str)
	case "client_certificate_file", "client_key_file":
		str = filepath.Join(root, str)
	case "client_secret":
		v.secret = str
	case "dpop_key":
		v.rememberKeyParts(str)
	}
	if field, ok := typed[k]; ok {
		if !isStr {
			v.fail("client.%s must be a string", k)
		} else if str != "" {
			*field = str
		} else {
			o.Set[k] = ""
		}
		return
	}
	switch k {
	case "scope":
		if !isStr {
			v.fail("client.scope must be a string")
		} else if str != "" {
			o.Scope = []string{str}
		}
	case "dpop", "dpop_accept_bearer":
		b, ok := val.(bool)
		if !ok {
			v.fail("client.%s must be a boolean", k)
		}
		if k == "dpop" && b {
			o.DPoP = true
		} else {
			o.Set[k] = strconv.FormatBool(b)
		}
	case "resource":
		o.Resource = []string{}
		for _, r := range val.([]any) {
			o.Resource = append(o.Resource, r.(string))
		}
	case "extra":
		o.Extra = map[string]string{}
		for n, x := range val.(obj) {
			o.Extra[n] = x.(string)
		}
	case "timeout_ms":
		o.Set["timeout"] = seconds(val.(float64))
	case "connect_timeout_ms":
		o.Set["connect_timeout"] = seconds(val.(float64))
	case "leeway_ms":
		o.Set["leeway"] = seconds(val.(float64))
	case "refresh_ratio":
		o.Set["refresh_ratio"] = strconv.FormatFloat(val.(float64), 'f', -1, 64)
	case "retry":
		for rk, x := range val.(obj) {
			n := x.(float64)
			switch rk {
			case "max_attempts":
				o.Set["max_attempts"] = strconv.FormatFloat(n, 'f', -1, 64)
			case "base_delay_ms":
				o.Set["retry_base_delay"] = seconds(n)
			case "max_delay_ms":
				o.Set["retry_max_delay"] = seconds(n)
			case "default_throttle_ms":
				o.Set["default_throttle"] = seconds(n)
			case "max_retry_after_s":
				o.Set["max_retry_after"] = seconds(n * 1000)
			default:
				v.fail("unsupported client.retry field %q", rk)
			}
		}
	default:
		v.fail("unsupported client field %q", k)
	}
}

// build makes the client from `client` with override merged over it
// (replacing the vector's client on success).
func (v *vector) build(root string, override obj) error {
	if v.client != nil {
		v.client.Close()
		v.client = nil
	}
	v.secret, v.keyPart = v.defSec, nil
	o := m2mauth.Options{NoProxy: true, Set: map[string]string{"retry_base_delay": "0.02"}, CACerts: v.srv.TLSCAPEM}
	merged := obj{}
	if c, ok := v.root["client"].(obj); ok {
		for k, x := range c {
			merged[k] = x
		}
	}
	for k, x := range override {
		merged[k] = x
	}
	for k, x := range merged {
		v.applyOption(root, &o, k, x)
	}
	_, hasURL := merged["token_url"]
	_, hasIssuer := merged["issuer"]
	_, hasDomain := merged["domain"]
	if !hasURL && !hasIssuer && !hasDomain {
		o.TokenURL = v.srv.TokenURL
	}
	if _, ok := merged["client_id"]; !ok {
		o.ClientID = v.defID
	}
	if _, ok := merged["client_secret"]; !ok {
		o.ClientSecret = v.defSec
	}
	c, err := m2mauth.NewClient(o)
	if err == nil {
		v.client = c
	}
	return err
}

// request is a step's `request` (nil when absent).
func (v *vector) request(r obj) []m2mauth.Request {
	if r == nil {
		return nil
	}
	q := m2mauth.Request{Params: map[string]string{}}
	for k, val := range r {
		switch k {
		case "audience", "organization", "scope":
			s, _ := val.(string)
			switch {
			case s == "":
				q.Params[k] = ""
			case k == "audience":
				q.Audience = s
			case k == "organization":
				q.Organization = s
			default:
				q.Scope = []string{s}
			}
		case "resource":
			q.Resource = []string{}
			for _, x := range val.([]any) {
				q.Resource = append(q.Resource, x.(string))
			}
		case "extra":
			q.Extra = map[string]string{}
			for n, x := range val.(obj) {
				q.Extra[n] = x.(string)
			}
		default:
			v.fail("unsupported request field %q", k)
		}
	}
	return []m2mauth.Request{q}
}
