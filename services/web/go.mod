// The portal's sources are not Go. This empty module keeps the Go tools out
// of this folder: without it, `go build ./...`, `go vet ./...` and
// `go test ./...` in services/ would walk node_modules (thousands of folders,
// and some npm packages ship .go files of their own). The build goes to
// ../internal/portal/dist, which package portal embeds.
module github.com/kaiban-platform/kaiban/services/web

go 1.26.0
