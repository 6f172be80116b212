package httpapi

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The /docs page is rendered once, at start, from the contract itself: one
// self-contained HTML document (inline CSS, no script, nothing fetched), so
// it works offline and behind the strictest Content-Security-Policy.

type docsPage struct {
	Title       string
	Version     string
	Description string
	Tags        []docsTag
	Schemes     []docsScheme
	Schemas     []docsSchema
}

type docsTag struct {
	Name, Description string
	Ops               []docsOp
}

type docsOp struct {
	ID, Method, Path, Summary, Description string
	Security                               []string
	Params                                 []docsParam
	Body                                   []docsMedia
	BodyRequired                           bool
	Responses                              []docsResponse
}

type docsParam struct {
	Name, In, Type, Description string
	Required                    bool
}

type docsMedia struct {
	Type   string
	Schema template.HTML
}

type docsResponse struct {
	Status, Description string
	Media               []docsMedia
}

type docsScheme struct {
	Name, Kind, Description string
}

type docsSchema struct {
	Name, Description string
	Body              template.HTML
}

func renderDocs(doc *openapi3.T) ([]byte, error) {
	page := docsPage{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description}
	tagDesc := map[string]string{}
	var tagOrder []string
	for _, t := range doc.Tags {
		tagDesc[t.Name] = t.Description
		tagOrder = append(tagOrder, t.Name)
	}
	byTag := map[string][]docsOp{}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			d := docsOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
			d.Security = securityText(op.Security, doc.Security)
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Value == nil {
					continue
				}
				d.Params = append(d.Params, docsParam{
					Name: p.Value.Name, In: p.Value.In, Required: p.Value.Required,
					Type: typeText(p.Value.Schema), Description: p.Value.Description,
				})
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				d.BodyRequired = rb.Value.Required
				d.Body = mediaList(rb.Value.Content)
			}
			if op.Responses != nil {
				codes := make([]string, 0, op.Responses.Len())
				for code := range op.Responses.Map() {
					codes = append(codes, code)
				}
				sort.Strings(codes) // "default" sorts after the numeric codes
				for _, code := range codes {
					r := op.Responses.Value(code)
					if r == nil || r.Value == nil {
						continue
					}
					desc := ""
					if r.Value.Description != nil {
						desc = *r.Value.Description
					}
					d.Responses = append(d.Responses, docsResponse{Status: code, Description: desc, Media: mediaList(r.Value.Content)})
				}
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if _, known := tagDesc[tag]; !known {
				tagDesc[tag] = ""
				tagOrder = append(tagOrder, tag)
			}
			byTag[tag] = append(byTag[tag], d)
		}
	}
	for _, t := range tagOrder {
		if len(byTag[t]) > 0 {
			page.Tags = append(page.Tags, docsTag{Name: t, Description: tagDesc[t], Ops: byTag[t]})
		}
	}
	if doc.Components != nil {
		for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
			s := doc.Components.SecuritySchemes[name].Value
			if s == nil {
				continue
			}
			k := s.Type
			switch s.Type {
			case "apiKey":
				k = fmt.Sprintf("API key in %s %q", s.In, s.Name)
			case "http":
				k = "HTTP " + s.Scheme
			}
			page.Schemes = append(page.Schemes, docsScheme{Name: name, Kind: k, Description: s.Description})
		}
		for _, name := range sortedKeys(doc.Components.Schemas) {
			s := doc.Components.Schemas[name]
			desc := ""
			if s.Value != nil {
				desc = s.Value.Description
			}
			page.Schemas = append(page.Schemas, docsSchema{Name: name, Description: desc, Body: schemaHTML(&openapi3.SchemaRef{Value: s.Value}, 0)})
		}
	}
	var b bytes.Buffer
	if err := docsTemplate.Execute(&b, page); err != nil {
		return nil, fmt.Errorf("render /docs: %w", err)
	}
	return b.Bytes(), nil
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func securityText(op *openapi3.SecurityRequirements, global openapi3.SecurityRequirements) []string {
	reqs := global
	if op != nil {
		reqs = *op
	}
	var out []string
	for _, r := range reqs {
		out = append(out, strings.Join(sortedKeys(r), " + "))
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func mediaList(c openapi3.Content) []docsMedia {
	var out []docsMedia
	for _, mt := range sortedKeys(c) {
		m := c[mt]
		var h template.HTML
		if m != nil && m.Schema != nil {
			h = schemaHTML(m.Schema, 0)
		}
		out = append(out, docsMedia{Type: mt, Schema: h})
	}
	return out
}

// refName is the component name a $ref points to.
func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

// typeText is a one-line description of a schema: a link to a component,
// or its type with format, enum and bounds.
func typeText(s *openapi3.SchemaRef) string {
	if s == nil {
		return "any"
	}
	if s.Ref != "" {
		return refName(s.Ref)
	}
	v := s.Value
	if v == nil {
		return "any"
	}
	t := strings.Join(v.Type.Slice(), "|")
	if t == "" {
		t = "any"
	}
	if t == "array" && v.Items != nil {
		t = "array of " + typeText(v.Items)
	}
	if v.Format != "" {
		t += " (" + v.Format + ")"
	}
	var notes []string
	if len(v.Enum) > 0 {
		items := make([]string, len(v.Enum))
		for i, e := range v.Enum {
			items[i] = fmt.Sprint(e)
		}
		notes = append(notes, "one of "+strings.Join(items, ", "))
	}
	if v.Min != nil {
		notes = append(notes, fmt.Sprintf("≥ %g", *v.Min))
	}
	if v.Max != nil {
		notes = append(notes, fmt.Sprintf("≤ %g", *v.Max))
	}
	if v.MaxLength != nil {
		notes = append(notes, fmt.Sprintf("at most %d characters", *v.MaxLength))
	}
	if v.Pattern != "" {
		notes = append(notes, "pattern "+v.Pattern)
	}
	if v.Default != nil {
		notes = append(notes, fmt.Sprintf("default %v", v.Default))
	}
	if len(notes) > 0 {
		t += "; " + strings.Join(notes, "; ")
	}
	return t
}

// schemaHTML renders a schema as nested property lists; a $ref becomes a
// link to the component, so recursion stops at component boundaries.
func schemaHTML(s *openapi3.SchemaRef, depth int) template.HTML {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		n := template.HTMLEscapeString(refName(s.Ref))
		return template.HTML(`<a href="#schema-` + n + `">` + n + `</a>`)
	}
	v := s.Value
	if v == nil || depth > 8 {
		return template.HTML(template.HTMLEscapeString(typeText(s)))
	}
	var b strings.Builder
	b.WriteString(template.HTMLEscapeString(typeText(s)))
	if len(v.Properties) > 0 {
		required := map[string]bool{}
		for _, r := range v.Required {
			required[r] = true
		}
		b.WriteString(`<ul class="props">`)
		for _, name := range sortedKeys(v.Properties) {
			p := v.Properties[name]
			b.WriteString(`<li><code>` + template.HTMLEscapeString(name) + `</code>`)
			if required[name] {
				b.WriteString(` <span class="req">required</span>`)
			}
			b.WriteString(` — ` + string(schemaHTML(p, depth+1)))
			if p.Ref == "" && p.Value != nil && p.Value.Description != "" {
				b.WriteString(`<div class="desc">` + template.HTMLEscapeString(p.Value.Description) + `</div>`)
			}
			b.WriteString(`</li>`)
		}
		b.WriteString(`</ul>`)
	}
	if ap := v.AdditionalProperties.Schema; ap != nil {
		b.WriteString(`<ul class="props"><li><i>any key</i> — ` + string(schemaHTML(ap, depth+1)) + `</li></ul>`)
	}
	if v.Items != nil && v.Items.Ref == "" && v.Items.Value != nil && len(v.Items.Value.Properties) > 0 {
		b.WriteString(`<ul class="props"><li><i>item</i> — ` + string(schemaHTML(v.Items, depth+1)) + `</li></ul>`)
	}
	return template.HTML(b.String())
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — API {{.Version}}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;color:#1d232a;display:flex}
nav{width:270px;flex:none;height:100vh;position:sticky;top:0;overflow:auto;background:#f4f6f8;border-right:1px solid #dde3e8;padding:16px;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#1d232a;text-decoration:none;padding:2px 0}nav a:hover{text-decoration:underline}
nav h3{margin:14px 0 4px;font-size:12px;text-transform:uppercase;color:#5b6770}
main{padding:24px 40px;max-width:980px;min-width:0}
h1{margin:0 0 4px}h2{border-bottom:1px solid #dde3e8;padding-bottom:4px;margin-top:40px}
.op{border:1px solid #dde3e8;border-radius:6px;margin:18px 0;padding:12px 16px}
.m{display:inline-block;min-width:58px;text-align:center;font-weight:700;color:#fff;border-radius:4px;padding:1px 6px;margin-right:8px;font-size:13px}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#ef6c00}.patch{background:#6a1b9a}.delete{background:#c62828}.head,.options{background:#546e7a}
code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.path{font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border:1px solid #dde3e8;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f6f8}
.pre{white-space:pre-wrap}.desc{color:#5b6770;font-size:13px}.req{color:#c62828;font-size:12px}
.props{margin:2px 0 2px 0;padding-left:20px}.small{color:#5b6770;font-size:13px}
</style></head><body>
<nav><strong>{{.Title}}</strong><div class="small">API {{.Version}} · <a href="/api-spec/openapi.yaml" style="display:inline">openapi.yaml</a></div>
{{range .Tags}}<h3>{{.Name}}</h3>{{range .Ops}}<a href="#op-{{.ID}}"><code>{{.Method}}</code> {{.Path}}</a>{{end}}{{end}}
<h3>reference</h3><a href="#security">Security schemes</a><a href="#schemas">Schemas</a>
</nav>
<main>
<h1>{{.Title}}</h1>
<p class="small">API version {{.Version}}. The contract: <a href="/api-spec/openapi.yaml">/api-spec/openapi.yaml</a> (OpenAPI 3).</p>
<p class="pre">{{.Description}}</p>
{{range .Tags}}
<h2 id="tag-{{.Name}}">{{.Name}}</h2>{{if .Description}}<p class="pre">{{.Description}}</p>{{end}}
{{range .Ops}}<section class="op" id="op-{{.ID}}">
<div><span class="m {{lower .Method}}">{{.Method}}</span><span class="path">{{.Path}}</span> <span class="small">{{.ID}}</span></div>
{{if .Summary}}<p><strong>{{.Summary}}</strong></p>{{end}}{{if .Description}}<p class="pre">{{.Description}}</p>{{end}}
<p class="small">Security: {{range $i, $s := .Security}}{{if $i}} or {{end}}<code>{{$s}}</code>{{end}}</p>
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td class="pre">{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<p><strong>Request body</strong>{{if .BodyRequired}} <span class="req">required</span>{{end}}</p>
{{range .Body}}<div><code>{{.Type}}</code>: {{.Schema}}</div>{{end}}{{end}}
<table><tr><th>status</th><th>description</th><th>body</th></tr>
{{range .Responses}}<tr><td><code>{{.Status}}</code></td><td class="pre">{{.Description}}</td><td>{{range .Media}}<div><code>{{.Type}}</code>: {{.Schema}}</div>{{end}}</td></tr>{{end}}</table>
</section>{{end}}{{end}}
<h2 id="security">Security schemes</h2>
<table><tr><th>name</th><th>kind</th><th>description</th></tr>
{{range .Schemes}}<tr><td><code>{{.Name}}</code></td><td>{{.Kind}}</td><td class="pre">{{.Description}}</td></tr>{{end}}</table>
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<section class="op" id="schema-{{.Name}}"><div class="path">{{.Name}}</div>{{if .Description}}<p class="pre">{{.Description}}</p>{{end}}<div>{{.Body}}</div></section>{{end}}
</main></body></html>
`))
