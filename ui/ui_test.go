package ui_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/memsvc/memsvc/ui"
)

func serve(t *testing.T, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		w.WriteHeader(http.StatusTeapot)
	})
	w := httptest.NewRecorder()
	ui.Mount(api).ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestMount(t *testing.T) {
	w := serve(t, "GET", "/ui/")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), `src="app.js"`) {
		t.Fatalf("GET /ui/: %d %q %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "connect-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", w.Header())
	}
	if w := serve(t, "GET", "/ui/app.js"); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("GET /ui/app.js: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := serve(t, "GET", "/ui"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := serve(t, "GET", "/ui/nope.js"); w.Code != 404 {
		t.Errorf("GET /ui/nope.js: %d", w.Code)
	}
	if w := serve(t, "POST", "/ui/"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/: %d", w.Code)
	}
	for _, p := range []string{"/v1/agents", "/healthz", "/uix", "/"} {
		if w := serve(t, "GET", p); w.Code != http.StatusTeapot || w.Header().Get("X-From") != "api" {
			t.Errorf("GET %s did not reach the API: %d", p, w.Code)
		}
	}
}

// The page fetches nothing from another host and never puts the API key in a URL: no asset names
// an absolute URL (the SVG namespace is a name, not a fetch), and the key is only ever sent as a
// header.
func TestAssetsStayOnOrigin(t *testing.T) {
	sub := ui.Assets()
	absURL := regexp.MustCompile(`(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	n := 0
	err := fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		n++
		text := strings.ReplaceAll(string(b), "http://www.w3.org/2000/svg", "")
		if m := absURL.FindString(text); m != "" {
			t.Errorf("%s names another host: %q", path, m)
		}
		if strings.Contains(text, "apikey=") || strings.Contains(text, "api_key=") || strings.Contains(text, "?key=") {
			t.Errorf("%s puts a key in a URL", path)
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walked %d assets: %v", n, err)
	}
	api, err := fs.ReadFile(sub, "api.js")
	if err != nil || !strings.Contains(string(api), "headers.Authorization = 'Bearer ' + key") || !strings.Contains(string(api), "sessionStorage") {
		t.Errorf("api.js must send the key from sessionStorage as an Authorization header: %v", err)
	}
}
