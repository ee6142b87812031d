package scaffold

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/config"
)

const templateDir = "../../examples/fastapi-service"

// Every file of the template, made a new service's: golden-path.yaml names
// it and its team (and stays valid, comments kept), and no file still
// names the template's service.
func TestRewriteTemplate(t *testing.T) {
	s, err := New("orders", "shop")
	assert.NilError(t, err)
	files := 0
	err = fs.WalkDir(os.DirFS(templateDir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(templateDir, p))
		assert.NilError(t, err)
		out, err := s.Rewrite(p, string(data))
		assert.NilError(t, err, p)
		assert.Check(t, !strings.Contains(out, TemplateName), "%s still names %s", p, TemplateName)
		assert.Check(t, !strings.Contains(out, "kv-"+TemplateTeam), "%s still names the template team's vault", p)
		if p == config.FileName {
			cfg, err := config.Parse([]byte(out), "")
			assert.NilError(t, err)
			assert.Check(t, is.Equal(cfg.Name, "orders"))
			assert.Check(t, is.Equal(cfg.Team, "shop"))
			assert.Check(t, is.Equal(strings.Count(out, "\n"), strings.Count(string(data), "\n")), "only two lines change")
		}
		files++
		return nil
	})
	assert.NilError(t, err)
	assert.Assert(t, files > 10)
}

func TestRewriteRefusesAChangedTemplate(t *testing.T) {
	s, err := New("orders", "shop")
	assert.NilError(t, err)
	_, err = s.Rewrite(config.FileName, "apiVersion: golden-path/v1\nname: other\nteam: payments\n")
	assert.Error(t, err, `init: the template's golden-path.yaml has no line "name: hello-api" or "team: payments" to replace: put them back (init sets the new service's there)`)
}

// A name or team golden-path.yaml would refuse is refused with its words,
// naming the argument.
func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, team, want string
	}{
		{"Orders", "shop", `init: --name "Orders": `},
		{"orders_api", "shop", `init: --name "orders_api": `},
		{"", "shop", `init: --name "": `},
		{strings.Repeat("a", 64), "shop", `init: --name "aaaa`},
		{"orders", "Shop Team", `init: --team "Shop Team": `},
		{"orders", "shop\nport: 1", `init: --team "shop\nport: 1": `},
	} {
		_, err := New(tc.name, tc.team)
		assert.Check(t, IsInputError(err), "%q %q: %v", tc.name, tc.team, err)
		assert.Check(t, is.ErrorContains(err, tc.want))
	}
	_, err := New("Orders", "shop")
	assert.Check(t, is.Error(err, `init: --name "Orders": cannot be used: it names the Kubernetes objects of your service, `+
		`and Kubernetes allows only lowercase letters, digits and '-' there; use "orders" instead `+
		`(only lowercase letters, digits and '-', starting and ending with a letter or digit)`))
}
