package m2mauth_test

import (
	"os"
	"strings"
	"testing"
)

// The README's quickstart is examples/quickstart/main.go verbatim (the
// program scripts/test-go.sh runs against the dev server).
func TestReadmeQuickstart(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	code, err := os.ReadFile("examples/quickstart/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(code)+"```\n") {
		t.Fatal("README.md does not quote examples/quickstart/main.go verbatim")
	}
}
