// Package locale holds every user-facing text of the bot in English, Vietnamese and Arabic.
//
// Texts are Telegram HTML: template data is escaped, so a customer's name can never break
// the markup, and values in Arabic texts are wrapped in Unicode direction isolates so Latin
// codes, numbers and names keep their order inside right-to-left sentences.
package locale

import (
	"embed"
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed messages/*.toml
var files embed.FS

// Languages are the supported language codes, the default first.
var Languages = []string{"en", "vi", "ar"}

// Supported reports whether lang is one of Languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Match maps a Telegram language_code such as "vi-VN" to a supported language, or fallback.
func Match(code, fallback string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	if Supported(code) {
		return code
	}
	return fallback
}

// RTL reports whether lang is written right to left.
func RTL(lang string) bool { return lang == "ar" }

// HTML is template data that is already markup and must not be escaped.
type HTML string

// Args is the data a text is filled with.
type Args map[string]any

// Bundle renders texts by id.
type Bundle struct {
	langs map[string]*texts
	ids   []string
}

// texts are one language's texts, compiled.
type texts struct {
	tag  language.Tag
	byID map[string]*text
}

// text is one text: a template for each plural form it has (only Other for a text without
// plural forms).
type text struct {
	forms  map[plural.Form]template
	plural bool
}

// template is a text cut at its placeholders ({{.Name}}): filled by writing its parts in
// turn. The texts use nothing of Go's templates but placeholders, so they are rendered
// without text/template, which cost a bot's update more than any other part of a reply.
type template []part

// part is a literal, or the name of the value to put in its place.
type part struct{ literal, name string }

const (
	fsi = "\u2068" // first strong isolate
	pdi = "\u2069" // pop directional isolate
)

// New loads the embedded texts and checks that every language has every text and that
// every text uses only {{.Name}} placeholders.
func New() (*Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	ids := map[string][]string{}
	bundle := &Bundle{langs: map[string]*texts{}}
	for _, lang := range Languages {
		name := "messages/" + lang + ".toml"
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("locale: read %s: %w", name, err)
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("locale: parse %s: %w", name, err)
		}
		l := &texts{tag: language.Make(lang), byID: map[string]*text{}}
		for _, m := range mf.Messages {
			ids[lang] = append(ids[lang], m.ID)
			t := &text{forms: map[plural.Form]template{}, plural: m.One != "" || m.Few != "" || m.Many != ""}
			for form, s := range map[plural.Form]string{plural.Zero: m.Zero, plural.One: m.One, plural.Two: m.Two,
				plural.Few: m.Few, plural.Many: m.Many, plural.Other: m.Other} {
				if s == "" {
					continue
				}
				if t.forms[form], err = compile(s); err != nil {
					return nil, fmt.Errorf("locale: %s %s: %w", lang, m.ID, err)
				}
			}
			l.byID[m.ID] = t
		}
		bundle.langs[lang] = l
		sort.Strings(ids[lang])
	}
	for _, lang := range Languages[1:] {
		if missing := diff(ids[Languages[0]], ids[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("locale: %s lacks %s", lang, strings.Join(missing, ", "))
		}
		if extra := diff(ids[lang], ids[Languages[0]]); len(extra) > 0 {
			return nil, fmt.Errorf("locale: %s has texts that %s lacks: %s", lang, Languages[0], strings.Join(extra, ", "))
		}
	}
	bundle.ids = ids[Languages[0]]
	return bundle, nil
}

// compile cuts s at its placeholders, {{.Name}}; anything else between {{ and }} is an error.
func compile(s string) (template, error) {
	var t template
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			t = append(t, part{literal: s})
			break
		}
		if i > 0 {
			t = append(t, part{literal: s[:i]})
		}
		m := placeholder.FindStringSubmatch(s[i:])
		if m == nil {
			return nil, fmt.Errorf("only {{.Name}} placeholders are supported: %q", s[i:min(len(s), i+24)])
		}
		t = append(t, part{name: m[1]})
		s = s[i+len(m[0]):]
	}
	return t, nil
}

var placeholder = regexp.MustCompile(`^\{\{\.([A-Za-z_][A-Za-z0-9_]*)\}\}`)

func diff(want, have []string) []string {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	var out []string
	for _, w := range want {
		if !set[w] {
			out = append(out, w)
		}
	}
	return out
}

// IDs lists every text id.
func (b *Bundle) IDs() []string { return append([]string(nil), b.ids...) }

// T renders text id in lang. args are escaped for HTML (except values of type HTML).
// An unknown id renders as the id itself, so a mistake shows rather than panics;
// the package's tests make sure no such id is in use.
func (b *Bundle) T(lang, id string, args ...Args) string {
	return b.render(lang, id, nil, args)
}

// N renders text id in lang with plural forms chosen by count ({{.Count}} in the text).
func (b *Bundle) N(lang, id string, count int, args ...Args) string {
	return b.render(lang, id, count, args)
}

func (b *Bundle) render(lang, id string, count any, args []Args) string {
	l, ok := b.langs[lang]
	if !ok {
		lang = Languages[0]
		l = b.langs[lang]
	}
	t, ok := l.byID[id]
	if !ok {
		return id
	}
	form := plural.Other
	if n, ok := count.(int); ok && t.plural {
		if n < 0 {
			n = -n
		}
		if n < 0 { // math.MinInt
			n = math.MaxInt
		}
		form = plural.Cardinal.MatchPlural(l.tag, n, 0, 0, 0, 0)
	}
	tpl, ok := t.forms[form]
	if !ok {
		return id
	}
	var out strings.Builder
	for _, p := range tpl {
		if p.name == "" {
			out.WriteString(p.literal)
			continue
		}
		out.WriteString(b.arg(lang, p.name, count, args))
	}
	if RTL(lang) {
		// A value people copy (an order code to put in a transfer's note) is isolated
		// around its tag, not inside it, so the copy holds the value alone.
		return isolateCopyable(out.String())
	}
	return out.String()
}

// arg is the value named name for a text: the count for Count (when there is one), else
// the value of the last args that has it; "<no value>", as Go's templates write it, if none.
func (b *Bundle) arg(lang, name string, count any, args []Args) string {
	if name == "Count" && count != nil {
		return b.value(lang, count)
	}
	for i := len(args) - 1; i >= 0; i-- {
		if v, ok := args[i][name]; ok {
			return b.value(lang, v)
		}
	}
	return "<no value>"
}

// isolateCopyable moves the isolates of a value alone in <code> or <pre> around the tag.
func isolateCopyable(s string) string {
	for _, tag := range [...]string{"code", "pre"} {
		open, end := "<"+tag+">"+fsi, pdi+"</"+tag+">"
		if !strings.Contains(s, open) {
			continue
		}
		var out strings.Builder
		for {
			i := strings.Index(s, open)
			if i < 0 {
				break
			}
			value := s[i+len(open):]
			// The tag holds one isolated value: no markup and no other isolate before its end.
			j := strings.IndexAny(value, "<"+fsi+pdi)
			if j < 0 || !strings.HasPrefix(value[j:], end) {
				out.WriteString(s[:i+len(open)])
				s = value
				continue
			}
			out.WriteString(s[:i])
			out.WriteString(fsi + "<" + tag + ">" + value[:j] + "</" + tag + ">" + pdi)
			s = value[j+len(end):]
		}
		out.WriteString(s)
		s = out.String()
	}
	return s
}

func (b *Bundle) value(lang string, v any) string {
	var s string
	switch v := v.(type) {
	case HTML:
		s = string(v)
	case string:
		s = html.EscapeString(v)
	default:
		s = html.EscapeString(fmt.Sprint(v))
	}
	if RTL(lang) && s != "" {
		return fsi + s + pdi
	}
	return s
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// Plain is the text Telegram shows for an HTML text: tags dropped, entities decoded.
func Plain(htmlText string) string {
	return html.UnescapeString(tagRe.ReplaceAllString(htmlText, ""))
}
