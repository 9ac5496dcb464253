// Package ui serves memsvc's web inspector: a page that shows an agent's memory the way the pager
// sees it (its context window, timeline, searches, validity chains and compactions).
//
// The contract it keeps:
//   - Every asset is embedded in the binary (go:embed) and served under /ui/; the page fetches
//     nothing from any other host (its Content-Security-Policy forbids it), so it works offline.
//   - The assets hold no data. The page reads and writes through the public /v1 API, with the
//     API's own auth: loopback clients need no key while none is configured; otherwise the key
//     typed into the page is kept in sessionStorage and sent as an Authorization header, never
//     put in a URL.
//   - Lists are paged and searched by the server; the page never loads a whole agent.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Prefix is the path the inspector is served under.
const Prefix = "/ui/"

// Assets returns the embedded assets, rooted at the page (index.html, app.js, …).
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// "static" is a valid path embedded at build time: fs.Sub cannot fail on it.
		return static
	}
	return sub
}

// Handler serves the inspector's assets at Prefix (index.html at Prefix itself).
func Handler() http.Handler {
	files := http.StripPrefix(Prefix, http.FileServerFS(Assets()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; "+
			"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// Mount returns a handler that serves the inspector at Prefix (and redirects /ui to it) and
// passes every other request to api.
func Mount(api http.Handler) http.Handler {
	assets := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ui":
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, Prefix):
			assets.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}
